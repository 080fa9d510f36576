/**
 * Compressed archives as the builder meets them (the uploaded context, `ADD x.tar.gz`):
 * sniff the magic bytes, then inflate gzip in-process and bzip2/xz with the system tools
 * (`bzip2 -dc`, `xz -dc`), and tell whether the plain bytes are a tar archive.
 *
 *   const { kind, stream } = await decompress(fs.createReadStream(file));
 *   if (await isTarArchive(() => fs.createReadStream(file))) …
 */
import { spawn } from 'node:child_process';
import { PassThrough, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InvalidArchiveError, InvalidArgumentError } from '../../common/errors.ts';
import { peekStream } from '../../common/peek-stream.ts';

export type Compression = 'none' | 'gzip' | 'bzip2' | 'xz';

export function compressionOf(head: Buffer): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  return 'none';
}

function tool(kind: 'bzip2' | 'xz', raw: Readable): Readable {
  const p = spawn(kind, ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const out = new PassThrough();
  let err = '';
  p.stderr.on('data', (c: Buffer) => { err += c.toString(); });
  p.on('error', (e) => out.destroy(new InvalidArgumentError(`${kind}: ${e.message}`)));
  p.stdin.on('error', () => undefined);
  raw.on('error', (e) => { out.destroy(e); p.kill(); });
  raw.pipe(p.stdin);
  p.stdout.pipe(out, { end: false });
  p.on('close', (code) => {
    if (code === 0) out.end();
    else out.destroy(new InvalidArgumentError(`${kind}: ${err.trim() || `exit ${code}`}`));
  });
  return out;
}

/** The plain bytes of `src`, whatever of gzip/bzip2/xz it was compressed with. */
export async function decompress(src: Readable): Promise<{ kind: Compression; stream: Readable }> {
  const { head: first, stream: raw } = await peekStream(src, 6);
  const kind = compressionOf(first);
  if (kind === 'none') return { kind, stream: raw };
  if (kind === 'gzip') {
    const gz = createGunzip();
    const out = new PassThrough();
    raw.on('error', (e) => out.destroy(e));
    gz.on('error', (e) => out.destroy(new InvalidArgumentError(`gzip: ${e.message}`)));
    raw.pipe(gz).pipe(out);
    return { kind, stream: out };
  }
  return { kind, stream: tool(kind, raw) };
}

/**
 * Calls `fn` with the plain bytes of `src` as they arrive: an uncompressed stream straight
 * from its 'data' events (no async iterator or promise per chunk: a 50 MiB build context is
 * ~800 chunks), a compressed one through decompress(). Resolves at the end; rejects on a
 * stream error, a stream closed before its end, or when `fn` throws (then once the rest of
 * `src` was read and dropped).
 */
export function forEachPlainChunk(src: Readable, fn: (chunk: Buffer) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const head: Buffer[] = [];
    let headLen = 0;
    let plain = false;
    let settled = false;
    const off = () => {
      src.off('data', onData);
      src.off('end', onEnd);
      src.off('error', finish);
      src.off('close', onClose);
    };
    function finish(err?: Error): void {
      if (settled) return;
      settled = true;
      off();
      if (err) refuse(err); else resolve();
    }
    /**
     * The rest of the upload is read and dropped before the error is answered: a client
     * still sending (the docker CLI, docker-py) then gets its 400, not a reset connection.
     */
    function refuse(err: Error): void {
      src.on('error', () => undefined);
      if (src.readableEnded || src.destroyed) { reject(err); return; }
      src.once('end', () => reject(err));
      src.once('close', () => reject(err));
      src.resume();
    }
    const feed = (c: Buffer) => {
      try { fn(c); } catch (err) { finish(err as Error); }
    };
    const decide = (ended: boolean) => {
      const first = Buffer.concat(head);
      head.length = 0;
      if (compressionOf(first) === 'none') {
        plain = true;
        if (first.length) feed(first);
        return;
      }
      settled = true;
      off();
      src.pause();
      // Until the iterator below attaches its own: an error then is its to report, never uncaught.
      src.on('error', () => undefined);
      const rest = async function* (): AsyncGenerator<Buffer> {
        yield first;
        if (!ended) yield* src;
      };
      void (async () => {
        const { stream } = await decompress(Readable.from(rest()));
        for await (const c of stream) fn(c as Buffer);
      })().then(resolve, (err: Error) => refuse(err));
    };
    function onData(c: Buffer): void {
      if (plain) { feed(c); return; }
      head.push(c);
      headLen += c.length;
      if (headLen >= 6) decide(false);
    }
    function onEnd(): void {
      if (!plain && !settled) decide(true);
      finish();
    }
    function onClose(): void {
      finish(new InvalidArchiveError('archive/tar: unexpected EOF (the upload was cut)'));
    }
    src.on('data', onData);
    src.on('end', onEnd);
    src.on('error', finish);
    src.on('close', onClose);
  });
}

/**
 * Whether some bytes (a file, a context entry) are a tar archive, plain or compressed: the
 * first header block says ustar or checks out. `open` gives a fresh stream of them.
 */
export async function isTarArchive(open: () => Readable): Promise<boolean> {
  let stream: Readable;
  try {
    stream = (await decompress(open())).stream;
  } catch {
    return false;
  }
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const c of stream) {
      chunks.push(c as Buffer);
      n += (c as Buffer).length;
      if (n >= 512) break;
    }
  } catch {
    return false;
  } finally {
    stream.destroy();
  }
  const block = Buffer.concat(chunks).subarray(0, 512);
  if (block.length < 512) return false;
  if (block.subarray(257, 262).toString('latin1') === 'ustar') return true;
  // Old (v7) tar: verify the header checksum.
  const stored = parseInt(block.subarray(148, 156).toString('latin1').replace(/\0.*$/, '').trim(), 8);
  if (Number.isNaN(stored)) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : block[i]!;
  return sum === stored;
}
