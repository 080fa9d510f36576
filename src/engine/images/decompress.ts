/**
 * Layer and archive streams arrive compressed (gzip, bzip2, xz, zstd: by their magic bytes,
 * as docker's DetectCompression) or not; yields the plain bytes (common/compression.ts).
 */
import type { Readable } from 'node:stream';
import { decompress } from '../../common/compression.ts';

/** Yields the uncompressed bytes of `src`. */
export async function decompressed(src: Readable): Promise<Readable> {
  return (await decompress(src)).stream;
}
