/**
 * Layer and archive streams arrive gzip-compressed or not: peek at the magic bytes and
 * inflate when they say gzip. Other compressions are refused with docker's wording.
 */
import { PassThrough, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InvalidArgumentError } from '../../common/errors.ts';
import { peekStream } from '../../common/peek-stream.ts';

/** Yields the uncompressed bytes of `src` (which may be gzip or plain). */
export async function decompressed(src: Readable): Promise<Readable> {
  const { head: first, stream: raw } = await peekStream(src, 6);
  if (first[0] === 0x1f && first[1] === 0x8b) {
    const out = new PassThrough();
    const gz = createGunzip();
    raw.on('error', (e) => out.destroy(e));
    gz.on('error', (e) => out.destroy(new InvalidArgumentError(`gzip: ${e.message}`)));
    raw.pipe(gz).pipe(out);
    return out;
  }
  if (first.subarray(0, 3).equals(Buffer.from('BZh'))) throw new InvalidArgumentError('bzip2 compressed archives are not supported');
  if (first.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) throw new InvalidArgumentError('xz compressed archives are not supported');
  if (first.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) throw new InvalidArgumentError('zstd compressed archives are not supported');
  return raw;
}
