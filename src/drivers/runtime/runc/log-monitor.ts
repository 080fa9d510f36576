/**
 * The json-file log monitor (`wharf-logmon`): ONE small process per exec root, not per
 * container, that outlives the daemon like conmon does. conmon 2.1 can only write k8s-file
 * (or journald), so for a json-file container conmon writes its k8s-file records into a FIFO
 * this process reads; it turns each record into docker's json-file line and appends it to the
 * container's LogPath, rotating at max-size (LogPath → LogPath.1 → … → LogPath.<max-file - 1>).
 * The daemon can stop, crash or restart meanwhile: the FIFO, this process and conmon stay.
 *
 * Layout under `<execRoot>/runtime/logmon/` (0700):
 *   monitor.sock               control socket: one request line, one answer line
 *                              (`add ID` / `flush ID` / `close ID` → `ok` | `error MESSAGE`);
 *                              `watch -` answers `ok` and stays open: the daemon starts a new
 *                              monitor when that connection drops while streams remain
 *   monitor.log                its own stderr
 *   c/<id>/fifo                the FIFO conmon writes k8s-file records to (`-l k8s-file:FIFO`)
 *   c/<id>/config.json         { path, maxSize?, maxFile?, compress?, conmonPidFile? }
 * At start it adopts every c/<id> (a monitor that died and came back loses nothing that is still
 * in the FIFOs: conmon waits on a full FIFO rather than dropping lines, as docker's blocking mode
 * does). A stream ends on `close` (the daemon, after the container exited), when conmon's pid is
 * gone (the container exited while the daemon was down) or when its c/<id> directory is removed;
 * the monitor exits after 10 s without streams.
 *
 * The FIFO is held open O_RDWR, so conmon's open never blocks and reads never see EOF; reads go
 * through a libuv pipe handle (epoll), never the thread pool. Writes are plain write(2)s of whole
 * lines, a chunk of the FIFO at a time.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { encodeJsonLogInto, encodeJsonLogLine, k8sTimeToUtc, rfc3339NanoUtc } from '../../../common/json-log.ts';

export interface StreamConfig {
  /** The json-file log (docker's LogPath). */
  path: string;
  /** Rotate once the file reached this many bytes (none: no rotation). */
  maxSize?: number;
  /** Files kept, the current one included (default 1). */
  maxFile?: number;
  /** Rotated files are gzipped (`LogPath.N.gz`), docker's `compress`. */
  compress?: boolean;
  /** conmon's pid file: the stream ends once that process is gone. */
  conmonPidFile?: string;
}

const NL = 0x0a;
const SP = 0x20;
const NLBUF = Buffer.from('\n');
/** One output buffer for every stream: a chunk's lines are written before the next chunk is read. */
const OUT = Buffer.allocUnsafe(1 << 18);

/** One container's FIFO → json-file. */
class Stream {
  private readonly fifoFd: number;
  private readonly sock: net.Socket;
  private out: number;
  private size: number;
  private rest: Buffer | undefined;
  private lastRaw = '';
  private lastError = '';
  private rotations = 0;
  private lastTime = '';
  readonly since = Date.now();
  closed = false;

  constructor(readonly id: string, readonly dir: string, readonly cfg: StreamConfig, private readonly onError: (msg: string) => void) {
    this.fifoFd = fs.openSync(path.join(dir, 'fifo'), fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
    this.out = fs.openSync(cfg.path, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o640);
    this.size = fs.fstatSync(this.out).size;
    this.sock = new net.Socket({ fd: this.fifoFd, readable: true, writable: false });
    this.sock.on('data', (c: Buffer) => {
      // Nothing a chunk does may take the monitor (and every other container's log) down.
      try { this.feed(c); } catch (e) { this.onError(`log stream ${id}: ${(e as Error).message}`); }
    });
    this.sock.on('error', (e) => this.onError(`log stream ${id}: ${e.message}`));
  }

  /** Reads what the FIFO holds right now (everything conmon wrote so far). */
  drain(): void {
    const buf = Buffer.allocUnsafe(1 << 16);
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(this.fifoFd, buf, 0, buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return;
        throw e;
      }
      if (n <= 0) return;
      this.feed(buf.subarray(0, n));
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try { this.drain(); } catch (e) { this.onError(`log stream ${this.id}: ${(e as Error).message}`); }
    this.sock.destroy(); // closes the FIFO's fd
    if (this.out >= 0) fs.closeSync(this.out);
  }

  private feed(chunk: Buffer): void {
    let buf = chunk;
    if (this.rest) { buf = Buffer.concat([this.rest, chunk]); this.rest = undefined; }
    let start = 0;
    let o = 0;
    for (;;) {
      const nl = buf.indexOf(NL, start);
      if (nl < 0) break;
      const sp1 = buf.indexOf(SP, start);
      const sp2 = sp1 < 0 || sp1 >= nl ? -1 : buf.indexOf(SP, sp1 + 1);
      if (sp2 < 0 || sp2 >= nl) { start = nl + 1; continue; } // not a k8s-file record
      if (this.cfg.maxSize && this.size >= this.cfg.maxSize) {
        this.write(o);
        o = 0;
        this.rotate();
      }
      // `<time> <stream> <F|P> <bytes>`: a P record is part of a line (no "\n" of its own).
      const stream = buf[sp1 + 4] === 0x65 /* 'e' of stderr */ ? 'stderr' : 'stdout';
      const partial = buf[sp2 + 1] === 0x50; /* 'P' */
      const payload = buf.subarray(Math.min(sp2 + 3, nl), nl);
      const time = this.time(buf, start, sp1);
      let n = encodeJsonLogInto(OUT, o, stream, payload, !partial, time);
      if (n < 0) {
        this.write(o);
        o = 0;
        n = encodeJsonLogInto(OUT, 0, stream, payload, !partial, time);
        if (n < 0) { this.writeString(encodeJsonLogLine(stream, partial ? payload : Buffer.concat([payload, NLBUF]), time)); n = 0; }
      }
      this.size += n - o;
      o = n;
      start = nl + 1;
    }
    this.write(o);
    if (start < buf.length) this.rest = Buffer.from(buf.subarray(start));
  }

  /** conmon stamps every record of one read alike: the conversion is cached on the raw bytes. */
  private time(buf: Buffer, start: number, end: number): string {
    const raw = buf.toString('latin1', start, end);
    if (raw !== this.lastRaw) {
      this.lastRaw = raw;
      this.lastTime = k8sTimeToUtc(raw) ?? rfc3339NanoUtc(new Date());
    }
    return this.lastTime;
  }

  private writeString(s: string): void {
    if (this.out < 0 && !this.reopen()) return;
    try {
      fs.writeSync(this.out, s);
    } catch (e) {
      this.writeFailed(e as Error);
    }
  }

  /** A full disk: the lines are dropped (docker's json-file does so too), and said once, not per chunk. */
  private writeFailed(e: Error): void {
    if (e.message !== this.lastError) this.onError(`log stream ${this.id}: ${e.message} (lines dropped until writes succeed)`);
    this.lastError = e.message;
  }

  /** Writes OUT[0, n). */
  private write(n: number): void {
    if (n <= 0) return;
    if (this.out < 0 && !this.reopen()) return;
    try {
      // A short write (the disk filled up mid-buffer) is carried on, so no line is torn while writes succeed.
      for (let off = 0; off < n;) off += fs.writeSync(this.out, OUT, off, n - off);
      this.lastError = '';
    } catch (e) {
      this.writeFailed(e as Error);
    }
  }

  /** docker's naming: LogPath → LogPath.1 → … → LogPath.<max-file - 1>, the oldest dropped. */
  private rotate(): void {
    const p = this.cfg.path;
    const maxFile = this.cfg.maxFile ?? 1;
    try {
      if (maxFile <= 1) {
        fs.renameSync(p, `${p}.rotating`);
        fs.rmSync(`${p}.rotating`, { force: true });
      } else {
        // A rotated file is `.N` or, once compressed, `.N.gz`: both shift.
        for (const ext of ['', '.gz']) fs.rmSync(`${p}.${maxFile - 1}${ext}`, { force: true });
        for (let n = maxFile - 2; n >= 1; n--) {
          for (const ext of ['', '.gz']) if (fs.existsSync(`${p}.${n}${ext}`)) fs.renameSync(`${p}.${n}${ext}`, `${p}.${n + 1}${ext}`);
        }
        fs.renameSync(p, `${p}.1`);
        this.rotations++;
      }
    } catch (e) {
      this.onError(`log rotation of ${this.id}: ${(e as Error).message}`);
      return;
    }
    if (this.out >= 0) fs.closeSync(this.out);
    this.out = -1;
    this.size = 0;
    this.reopen();
    if (this.cfg.compress && maxFile > 1) this.compress(this.rotations);
  }

  /** Opens LogPath for appending; false (said once) when it cannot, and the lines are dropped until it can. */
  private reopen(): boolean {
    try {
      this.out = fs.openSync(this.cfg.path, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o640);
      this.size = fs.fstatSync(this.out).size;
      return true;
    } catch (e) {
      this.writeFailed(e as Error);
      return false;
    }
  }

  /**
   * docker's `compress`: the file just rotated to `.1` becomes `.1.gz`, off the event loop
   * (zlib on the thread pool, streamed). Rotations may shift it meanwhile: it is renamed to
   * where it is by then (`.<1 + rotations since>`), or dropped if it rotated away.
   */
  private compress(gen: number): void {
    const p = this.cfg.path;
    const src = `${p}.1`;
    const tmp = `${p}.gz-${gen}.tmp`;
    pendingJobs++;
    let input: fs.ReadStream;
    // Opened now, not when the stream starts: a lagging monitor rotates several times in one
    // chunk, and `.1` is another file by then (its lines would be gzipped in this one's place).
    try { input = fs.createReadStream(src, { fd: fs.openSync(src, 'r') }); } catch { pendingJobs--; return; }
    pipeline(input, zlib.createGzip({ level: zlib.constants.Z_BEST_SPEED }), fs.createWriteStream(tmp, { mode: 0o640 }))
      .then(() => {
        const n = 1 + this.rotations - gen;
        const at = `${p}.${n}`;
        if (n > (this.cfg.maxFile ?? 1) - 1 || !fs.existsSync(at)) { fs.rmSync(tmp, { force: true }); return; }
        // The .gz first, then the plain file goes: a reader in between sees the lines twice, never none.
        fs.renameSync(tmp, `${at}.gz`);
        fs.rmSync(at, { force: true });
      })
      .catch((e: Error) => {
        fs.rmSync(tmp, { force: true });
        this.onError(`compressing the log of ${this.id}: ${e.message} (the rotated file stays uncompressed)`);
      })
      .finally(() => { pendingJobs--; });
  }
}

/** Compressions still running: the monitor does not exit under them. */
let pendingJobs = 0;

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

/** Runs the monitor on `dir` until it has had no stream for `idleMs`. */
export function runLogMonitor(dir: string, idleMs = 10_000): void {
  const streams = new Map<string, Stream>();
  const warn = (msg: string) => process.stderr.write(`${new Date().toISOString()} ${msg}\n`);
  const cdir = path.join(dir, 'c');
  fs.mkdirSync(cdir, { recursive: true, mode: 0o700 });

  const add = (id: string): void => {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(id)) throw new Error(`invalid id ${JSON.stringify(id)}`);
    const existing = streams.get(id);
    if (existing && !existing.closed) return;
    const sdir = path.join(cdir, id);
    const cfg = JSON.parse(fs.readFileSync(path.join(sdir, 'config.json'), 'utf8')) as StreamConfig;
    streams.set(id, new Stream(id, sdir, cfg, warn));
  };
  const close = (id: string, remove: boolean): void => {
    const s = streams.get(id);
    streams.delete(id);
    s?.close();
    if (remove) fs.rmSync(path.join(cdir, id), { recursive: true, force: true });
  };

  for (const id of fs.readdirSync(cdir)) {
    try {
      add(id);
    } catch (e) {
      warn(`adopting log stream ${id}: ${(e as Error).message}`);
      // Its container is gone (no config, no log directory): dropped. Anything else (a full
      // disk, no fds) is tried again by the next monitor the daemon starts.
      let gone = true;
      try { gone = !fs.existsSync(path.dirname((JSON.parse(fs.readFileSync(path.join(cdir, id, 'config.json'), 'utf8')) as StreamConfig).path)); } catch { /* unreadable config: gone */ }
      if (gone) fs.rmSync(path.join(cdir, id), { recursive: true, force: true });
    }
  }

  const sockPath = path.join(dir, 'monitor.sock');
  const server = net.createServer((c) => {
    let buf = '';
    c.on('error', () => undefined);
    c.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const [cmd, id = ''] = buf.slice(0, nl).split(' ');
      try {
        if (cmd === 'add') add(id);
        else if (cmd === 'flush') streams.get(id)?.drain();
        else if (cmd === 'close') close(id, true);
        else if (cmd === 'watch') { c.write('ok\n'); return; } // held open: the daemon learns of our death by its close
        else throw new Error(`unknown request ${JSON.stringify(cmd)}`);
        c.end('ok\n');
      } catch (e) {
        c.end(`error ${(e as Error).message.replace(/\n/g, ' ')}\n`);
      }
    });
  });
  let idleSince = Date.now();
  const exit = () => {
    clearInterval(timer);
    for (const id of [...streams.keys()]) close(id, false);
    server.close();
    try { fs.unlinkSync(sockPath); } catch { /* gone with its directory */ }
    process.exit(0);
  };
  const timer = setInterval(() => {
    if (!fs.existsSync(dir)) exit(); // its exec root was removed
    for (const [id, s] of streams) {
      if (!fs.existsSync(s.dir)) { close(id, false); continue; }
      let pid = 0;
      try { pid = Number(fs.readFileSync(s.cfg.conmonPidFile ?? '', 'utf8').trim()); } catch { /* not written yet */ }
      // conmon gone (exited while the daemon was down), or never started and nobody closed it.
      if ((pid > 0 && !alive(pid)) || (pid === 0 && Date.now() - s.since > 60_000)) close(id, true);
    }
    if (streams.size || pendingJobs) idleSince = Date.now();
    else if (Date.now() - idleSince > idleMs) exit();
  }, 1000);
  process.on('SIGTERM', exit);
  process.on('SIGINT', exit);
  try { fs.unlinkSync(sockPath); } catch { /* none */ }
  server.listen(sockPath);
}
