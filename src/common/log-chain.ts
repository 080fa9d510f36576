/**
 * A rotating log's files as a reader follows them: `LogPath` and the files it rotated into,
 * docker's names `LogPath.1` … `LogPath.N` (newest first), each `.N.gz` once compressed.
 * Which file comes after the one a reader holds is found by what that file IS (its inode, or
 * the gzip trailer of its compressed copy), not by where it was: files shift one name per
 * rotation, and a reader that lags (a busy machine) may find several rotations done since it
 * last looked. Chain order is creation order at every instant, gaps and all: rotation renames
 * atomically, the oldest first.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

export interface ChainFile { path: string; ino: number }
/** One position: `n` 0 is LogPath itself; `plain` and `gz` both exist for a moment while a compression ends (same lines). */
export interface ChainEntry { n: number; plain?: ChainFile; gz?: ChainFile }

/** The file a reader holds open: its inode stays its own while the reader keeps it open. */
export interface HeldFile {
  fh: fs.promises.FileHandle;
  ino: number;
  gz: boolean;
  /** CRC-32 and size of its bytes, once computed (only to recognise its compressed copy). */
  sum?: { crc: number; size: number };
}

/** LogPath's files as they are now, oldest first (LogPath.N … LogPath.1, then LogPath). */
export function listChain(logPath: string): ChainEntry[] {
  const dir = path.dirname(logPath);
  const base = path.basename(logPath);
  let names: string[];
  try { names = fs.readdirSync(dir); } catch { return []; }
  const byN = new Map<number, ChainEntry>();
  for (const name of names) {
    let n = 0;
    let gz = false;
    if (name !== base) {
      if (!name.startsWith(`${base}.`)) continue;
      const m = /^([1-9]\d{0,5})(\.gz)?$/.exec(name.slice(base.length + 1));
      if (!m) continue;
      n = Number(m[1]);
      gz = m[2] !== undefined;
    }
    const p = path.join(dir, name);
    let ino: number;
    try { ino = fs.statSync(p).ino; } catch { continue; } // rotated away since the listing
    const e = byN.get(n) ?? { n };
    byN.set(n, e);
    if (gz) e.gz = { path: p, ino };
    else e.plain = { path: p, ino };
  }
  return [...byN.values()].sort((a, b) => b.n - a.n);
}

async function sumOf(fh: fs.promises.FileHandle): Promise<{ crc: number; size: number }> {
  const buf = Buffer.allocUnsafe(1 << 20);
  let crc = 0;
  let size = 0;
  for (;;) {
    const { bytesRead } = await fh.read(buf, 0, buf.length, size);
    if (bytesRead <= 0) return { crc, size };
    crc = zlib.crc32(buf.subarray(0, bytesRead), crc);
    size += bytesRead;
  }
}

/** gzip's trailer: CRC-32 and size (mod 2^32) of what it holds. */
function gzipTrailer(file: string): { crc: number; size: number } | undefined {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const len = fs.fstatSync(fd).size;
      if (len < 18) return undefined;
      const t = Buffer.alloc(8);
      if (fs.readSync(fd, t, 0, 8, len - 8) !== 8) return undefined;
      return { crc: t.readUInt32LE(0), size: t.readUInt32LE(4) };
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/** Where `held` is in `chain` now; -1 when it is gone (rotated past max-file). */
async function indexOf(chain: ChainEntry[], held: HeldFile): Promise<number> {
  const i = chain.findIndex((e) => e.plain?.ino === held.ino || e.gz?.ino === held.ino);
  if (i >= 0 || held.gz || !chain.some((e) => e.gz)) return i;
  // Compressed since: its .gz holds the same bytes (a rotated file is never written again).
  held.sum ??= await sumOf(held.fh);
  const { crc, size } = held.sum;
  return chain.findIndex((e) => {
    const t = e.gz && gzipTrailer(e.gz.path);
    return !!t && t.crc === crc && t.size === size % 2 ** 32;
  });
}

/**
 * Opens the file that follows `held` in LogPath's chain (the oldest one when nothing is held,
 * or when `held` rotated away): undefined when there is none yet (`held` is the newest file
 * while LogPath is being replaced). A file rotated past max-file before the reader got to it
 * is lost, as in docker; nothing else is skipped and nothing is read twice.
 */
export async function openNext(logPath: string, held: HeldFile | undefined): Promise<HeldFile | undefined> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const chain = listChain(logPath);
    const e = chain[(held ? await indexOf(chain, held) : -1) + 1];
    if (!e) return undefined;
    const f = (e.plain ?? e.gz)!;
    let fh: fs.promises.FileHandle;
    try { fh = await fs.promises.open(f.path, 'r'); } catch { continue; } // shifted or compressed meanwhile
    const ino = (await fh.stat()).ino;
    // The names may have shifted between the listing and the open: still the one after `held`?
    const again = listChain(logPath);
    const next = again[(held ? await indexOf(again, held) : -1) + 1];
    if (next && (next.plain?.ino === ino || next.gz?.ino === ino)) return { fh, ino, gz: next.gz?.ino === ino };
    await fh.close();
  }
  return undefined;
}
