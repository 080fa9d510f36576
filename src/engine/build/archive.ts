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
import { InvalidArgumentError } from '../../common/errors.ts';
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
