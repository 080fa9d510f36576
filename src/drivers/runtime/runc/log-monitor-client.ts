/**
 * The runc driver's side of the json-file log monitor (log-monitor.ts): prepares a container's
 * FIFO and config, starts the monitor when none answers, and asks it to add, flush or close a
 * stream. Requests are one short unix-socket connection each.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { S_IFIFO, mknod, setPipeSize } from '../../../common/native/libc.ts';
import type { StreamConfig } from './log-monitor.ts';

/**
 * How to run the monitor: the bundle beside this one (dist/wharf-logmon.mjs, the daemon's case),
 * else the TypeScript entry through tsx (tests that import the driver from src/).
 */
export function defaultLogMonitorCommand(): string[] {
  const here = fileURLToPath(import.meta.url);
  const bundled = path.join(path.dirname(here), 'wharf-logmon.mjs');
  const flags = ['--max-semi-space-size=1', '--max-old-space-size=64'];
  if (fs.existsSync(bundled)) return [process.execPath, ...flags, bundled];
  // The monitor runs with cwd '/': tsx by its resolved location, not by name.
  return [process.execPath, ...flags, '--import', import.meta.resolve('tsx'), path.join(path.dirname(here), 'log-monitor-main.ts')];
}

export class LogMonitorClient {
  private starting: Promise<void> | undefined;
  private watcher: net.Socket | undefined;
  private closed = false;

  constructor(readonly dir: string, private readonly command: string[] = defaultLogMonitorCommand(), private readonly cgroupProcs?: string) {
    fs.mkdirSync(path.join(dir, 'c'), { recursive: true, mode: 0o700 });
  }

  private get sock(): string { return path.join(this.dir, 'monitor.sock'); }
  streamDir(id: string): string { return path.join(this.dir, 'c', id); }

  /** Creates the container's FIFO and registers it; returns the FIFO's path for conmon's `-l k8s-file:`. */
  async prepare(id: string, cfg: StreamConfig): Promise<string> {
    const d = this.streamDir(id);
    await this.close(id);
    fs.rmSync(d, { recursive: true, force: true }); // a stale FIFO of a run nobody closed
    fs.mkdirSync(d, { recursive: true, mode: 0o700 });
    const fifo = path.join(d, 'fifo');
    mknod(fifo, S_IFIFO | 0o600);
    fs.writeFileSync(path.join(d, 'config.json'), JSON.stringify(cfg));
    await this.request('add', id);
    // The monitor holds the FIFO open from here on, so the size set now stays: 1 MiB instead of
    // 64 KiB lets conmon and the monitor trade larger chunks (fewer wake-ups per MB logged);
    // the kernel fills it page by page, so a quiet container costs nothing more.
    const fd = fs.openSync(fifo, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
    try { setPipeSize(fd, 1 << 20); } catch { /* the default 64 KiB works too */ } finally { fs.closeSync(fd); }
    return fifo;
  }

  /** Everything conmon wrote so far is in the log file when this resolves. */
  async flush(id: string): Promise<void> {
    if (fs.existsSync(this.streamDir(id))) await this.request('flush', id);
  }

  /** Drains and ends the stream (conmon is done writing); a no-op when there is none. */
  async close(id: string): Promise<void> {
    if (fs.existsSync(this.streamDir(id))) await this.request('close', id);
  }

  /** Starts the monitor if the container's stream exists but no monitor answers (it adopts every stream). */
  async ensure(id: string): Promise<void> {
    if (fs.existsSync(this.streamDir(id))) await this.request('add', id);
  }

  private async request(cmd: string, id: string): Promise<void> {
    let answer: string;
    try {
      answer = await this.send(`${cmd} ${id}\n`);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ECONNREFUSED' && code !== 'ECONNRESET' && code !== 'EPIPE') throw e;
      await this.start();
      answer = await this.send(`${cmd} ${id}\n`);
    }
    if (answer !== 'ok') throw new Error(`log monitor: ${answer.replace(/^error /, '')}`);
    if (cmd === 'add') this.watch();
  }

  /**
   * Holds one idle connection to the monitor: when it drops while streams remain (the monitor
   * was killed), a new monitor is started at once and adopts every FIFO, so conmon never waits
   * long on a full one. Unref'd: it keeps no daemon alive.
   */
  private watch(): void {
    if (this.watcher || this.closed) return;
    const c = net.connect(this.sock);
    this.watcher = c;
    c.unref();
    c.on('connect', () => c.write('watch -\n'));
    c.on('data', () => undefined);
    c.on('error', () => undefined);
    c.on('close', () => {
      this.watcher = undefined;
      if (this.closed || !this.hasStreams()) return;
      setTimeout(() => {
        if (this.closed || !this.hasStreams()) return;
        this.start().then(() => this.watch(), () => undefined);
      }, 50).unref();
    });
  }

  private hasStreams(): boolean {
    try { return fs.readdirSync(path.join(this.dir, 'c')).length > 0; } catch { return false; }
  }

  /** Daemon shutdown: stop watching (the monitor and its streams carry on). */
  stopWatching(): void {
    this.closed = true;
    this.watcher?.destroy();
    this.watcher = undefined;
  }

  private send(line: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const c = net.connect(this.sock);
      let buf = '';
      const t = setTimeout(() => { c.destroy(); reject(Object.assign(new Error('log monitor did not answer'), { code: 'ETIMEDOUT' })); }, 10_000);
      c.on('connect', () => c.write(line));
      c.on('data', (d: Buffer) => { buf += d.toString('utf8'); });
      c.on('end', () => {
        clearTimeout(t);
        if (!buf.endsWith('\n')) reject(Object.assign(new Error('log monitor closed the connection'), { code: 'ECONNRESET' }));
        else resolve(buf.trim());
      });
      c.on('error', (e) => { clearTimeout(t); reject(e); });
    });
  }

  /** Spawns the monitor (own session, outlives the daemon) and waits for its socket. */
  private start(): Promise<void> {
    this.starting ??= (async () => {
      const out = fs.openSync(path.join(this.dir, 'monitor.log'), 'a', 0o600);
      try {
        const [bin, ...args] = this.command;
        const child = spawn(bin!, [...args, this.dir], {
          stdio: ['ignore', out, out], detached: true, cwd: '/',
          env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', MALLOC_ARENA_MAX: '2' },
        });
        child.unref();
        if (this.cgroupProcs && child.pid) {
          try { fs.writeFileSync(this.cgroupProcs, String(child.pid)); } catch { /* accounting only */ }
        }
        let exited = false;
        child.once('exit', () => { exited = true; });
        const deadline = Date.now() + 15_000;
        for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
          try { await this.send('flush -\n'); return; } catch { /* not listening yet */ }
          if (exited) throw new Error(`log monitor exited at start: ${fs.readFileSync(path.join(this.dir, 'monitor.log'), 'utf8').slice(-500)}`);
          if (Date.now() > deadline) throw new Error('log monitor did not start');
          await new Promise((r) => setTimeout(r, delay));
        }
      } finally {
        fs.closeSync(out);
      }
    })().finally(() => { this.starting = undefined; });
    return this.starting;
  }
}
