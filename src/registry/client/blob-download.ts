/**
 * A blob download as a Readable that hashes while streaming and checks size and sha256 at
 * the end (destroying the stream with VerificationFailedError on a mismatch: the consumer
 * must discard what it wrote). A broken connection is resumed with `Range: bytes=N-`; a
 * server that ignores Range is handled by skipping the bytes already delivered.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { VerificationFailedError } from './errors.ts';
import type { HttpResponse } from './transport.ts';

export interface DownloadOptions {
  digest: string;
  /** Expected size, when known (from the manifest descriptor). */
  size?: number;
  /** Opens the blob at `offset` (a Range request when > 0). Must throw for non-2xx answers. */
  open(offset: number): Promise<HttpResponse>;
  onProgress?(current: number, total: number | undefined): void;
  /** How many times to resume after a broken connection without progress (default 3). */
  maxRetries?: number;
}

export function verifiedDownload(opts: DownloadOptions): Readable {
  const { digest, size } = opts;
  if (!digest.startsWith('sha256:')) throw new VerificationFailedError(`unsupported digest algorithm in ${digest}`);
  const verifyError = (): VerificationFailedError => new VerificationFailedError(`filesystem layer verification failed for digest ${digest}`);
  async function* gen(): AsyncGenerator<Buffer> {
    const hash = createHash('sha256');
    let offset = 0;
    let failures = 0;
    for (;;) {
      const res = await opts.open(offset);
      let skip = 0;
      if (offset > 0 && res.status !== 206) skip = offset; // Range ignored: drop what we have
      const startOffset = offset;
      try {
        for await (const raw of res.body as AsyncIterable<Buffer>) {
          let chunk = raw;
          if (skip > 0) {
            if (chunk.length <= skip) {
              skip -= chunk.length;
              continue;
            }
            chunk = chunk.subarray(skip);
            skip = 0;
          }
          offset += chunk.length;
          if (size !== undefined && offset > size) throw verifyError();
          hash.update(chunk);
          opts.onProgress?.(offset, size);
          yield chunk;
        }
        if (!res.body.complete) throw Object.assign(new Error('connection closed before the blob was complete'), { code: 'ECONNRESET' });
      } catch (err) {
        res.body.destroy();
        if (err instanceof VerificationFailedError) throw err;
        if (offset > startOffset) failures = 0;
        if (++failures > (opts.maxRetries ?? 3) || (size !== undefined && offset >= size)) throw err;
        continue;
      }
      break;
    }
    if ((size !== undefined && offset !== size) || 'sha256:' + hash.digest('hex') !== digest) throw verifyError();
  }
  return Readable.from(gen(), { objectMode: false });
}
