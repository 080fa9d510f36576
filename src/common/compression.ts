/**
 * Stream compression by magic bytes, as docker's archive.DetectCompression: gzip, bzip2, xz,
 * zstd, or none. Decompression runs outside the event loop: Debian's tools as a child
 * process where installed (gzip through `igzip` from isa-l, ~4× Node's zlib here, else
 * `pigz`; zstd, xz, bzip2 through `zstd`, `xz`, `bzip2`), else Node's zlib (on libuv's
 * thread pool) for gzip. Node 20 has no zstd of its own.
 *
 *   const { stream, compression } = await decompress(src);   // compression: 'gzip' | … | 'none'
 *   const gz = compressGzip(tarStream);                        // pigz where installed, else zlib
 *
 * A process's failure (corrupt input) errors the stream with InvalidArgumentError naming the
 * format; an error of `src` (a failed digest check) errors it with that error, and the process
 * is killed. `WHARF_GZIP=zlib|igzip|pigz` picks the gzip decompressor (for measurements).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import { InvalidArgumentError } from './errors.ts';
import { peekStream } from './peek-stream.ts';

export type Compression = 'gzip' | 'bzip2' | 'xz' | 'zstd' | 'none';

export function detectCompression(head: Buffer): Compression {
  if (head.length >= 3 && head[0] === 0x1f && head[1] === 0x8b && head[2] === 0x08) return 'gzip';
  if (head.length >= 3 && head.subarray(0, 3).equals(Buffer.from('BZh'))) return 'bzip2';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.length >= 4 && head.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return 'zstd';
  return 'none';
}

const found = new Map<string, string | undefined>();
/** The path of a tool in the usual system directories, or undefined. */
export function tool(name: string): string | undefined {
  if (!found.has(name)) found.set(name, ['/usr/bin', '/bin', '/usr/local/bin', '/usr/sbin'].map((d) => `${d}/${name}`).find((p) => fs.existsSync(p)));
  return found.get(name);
}

function gzipDecoder(): [string, string[]] | undefined {
  const pick = process.env.WHARF_GZIP;
  if (pick === 'zlib') return undefined;
  if (pick !== 'pigz' && tool('igzip')) return [tool('igzip')!, ['-dc']];
  if (tool('pigz')) return [tool('pigz')!, ['-dc']];
  return undefined;
}

/** Pipes `src` through a process; see the module comment for errors. */
export function throughProcess(cmd: string, args: string[], src: Readable, what: string): Readable {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let srcError: unknown;
  let spawnError: Error | undefined;
  child.stderr.on('data', (c: Buffer) => { if (stderr.length < 4096) stderr += c.toString(); });
  child.on('error', (e) => { spawnError ??= e; });
  child.stdin.on('error', () => {}); // EPIPE when the process gave up: its exit status says why
  src.on('error', (e) => {
    srcError ??= e;
    child.kill('SIGKILL');
  });
  src.pipe(child.stdin);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  // Read from now on: a child that exits before anyone reads would have its unread output
  // dropped (Node resumes stdout streams nobody listens to when the process exits).
  const held = new PassThrough({ highWaterMark: 256 * 1024 });
  child.stdout.pipe(held);
  const stdout = held[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  async function* out(): AsyncGenerator<Buffer> {
    let done = false;
    try {
      for (let r = await stdout.next(); !r.done; r = await stdout.next()) yield r.value;
      const { code, signal } = await exited;
      done = true;
      if (srcError) throw srcError;
      if (spawnError) throw spawnError;
      if (code !== 0) throw new InvalidArgumentError(`${what}: ${stderr.trim().split('\n').pop() || (signal ? `killed by ${signal}` : `exit status ${code}`)}`);
    } finally {
      if (!done) {
        child.kill('SIGKILL');
        src.unpipe(child.stdin);
        src.destroy();
      }
    }
  }
  return Readable.from(out(), { objectMode: false });
}

function viaZlib(src: Readable): Readable {
  const gz = createGunzip({ chunkSize: 256 * 1024 });
  src.on('error', (e) => gz.destroy(e));
  src.pipe(gz);
  async function* out(): AsyncGenerator<Buffer> {
    try {
      for await (const c of gz as AsyncIterable<Buffer>) yield c;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (typeof code === 'string' && code.startsWith('Z_')) throw new InvalidArgumentError(`gzip: ${(err as Error).message}`);
      throw err;
    }
  }
  return Readable.from(out(), { objectMode: false });
}

/** Decompresses `src` by its magic bytes; `none` passes it through. */
export function decompressAs(compression: Compression, src: Readable): Readable {
  switch (compression) {
    case 'none':
      return src;
    case 'gzip': {
      const d = gzipDecoder();
      return d ? throughProcess(d[0], d[1], src, 'gzip') : viaZlib(src);
    }
    case 'zstd':
    case 'xz':
    case 'bzip2': {
      const t = tool(compression);
      if (!t) {
        src.destroy();
        throw new InvalidArgumentError(`${compression} compressed data is not supported: ${compression} is not installed`);
      }
      return throughProcess(t, ['-dc'], src, compression);
    }
  }
}

/** Sniffs `src` and yields its uncompressed bytes. */
export async function decompress(src: Readable): Promise<{ stream: Readable; compression: Compression }> {
  const { head, stream } = await peekStream(src, 6);
  src.on('error', (e) => stream.destroy(e));
  const compression = detectCompression(head);
  return { stream: decompressAs(compression, stream), compression };
}

/** gzip-compresses `src` (pigz on every core where installed, else zlib). */
export function compressGzip(src: Readable): Readable {
  if (process.env.WHARF_GZIP !== 'zlib' && tool('pigz')) return throughProcess(tool('pigz')!, ['-c', '-6', '-n'], src, 'gzip');
  const gz = createGzip();
  src.on('error', (e) => gz.destroy(e));
  return src.pipe(gz);
}

/** zstd-compresses `src` with Debian's zstd. */
export function compressZstd(src: Readable): Readable {
  const t = tool('zstd');
  if (!t) throw new InvalidArgumentError('zstd is not installed');
  return throughProcess(t, ['-c', '-3', '-q', '-T0'], src, 'zstd');
}
