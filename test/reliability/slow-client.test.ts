/**
 * Bounded memory with slow and vanishing clients: a container prints a lot (fast mode 50 MB,
 * soak 500 MB) to an attach, exec or `logs -f` client that reads slowly (a raw socket paused
 * after 64 KiB and resumed every 10 ms), and to a client that goes away mid-stream.
 * wharfd's RSS (VmRSS of the daemon process) must stay within a bound of where it started,
 * and each slow client must get every byte in the end. The other way round, a client that
 * floods stdin of a process that does not read is held back too.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { importBusybox } from '../helpers/images.ts';
import { scaled, SOAK } from './mode.ts';

const MB = 1024 * 1024;
/** Bytes each container prints: 100-byte lines (99 characters and a newline). */
const TOTAL = scaled({ fast: 50, soak: 500 }) * MB;
/** The RSS growth allowed over the daemon's RSS before a case. */
const BOUND = 30 * MB;
const LINE = 'x'.repeat(99);
const PRINT = ['sh', '-c', `yes ${LINE} | head -c ${TOTAL}`];

let d: TestDaemon;
let pid: number;
/** Figures for docs/reliability.md, printed at the end. */
const report: string[] = [];

before(async () => {
  d = await startDaemon();
  await importBusybox(d);
  pid = d.proc.pid!;
  await d.cli(['run', '--rm', 'bb', 'true']);
});
after(async () => {
  for (const r of report) console.log(r);
  await d?.stop();
});

function rss(): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

/** Samples the daemon's RSS every 50 ms until stopped; keeps the peak. */
function watchRss(): { before: number; peak: () => number; stop: () => void } {
  const start = rss();
  let peak = start;
  const t = setInterval(() => { peak = Math.max(peak, rss()); }, 50);
  return { before: start, peak: () => Math.max(peak, rss()), stop: () => clearInterval(t) };
}

/** Counts stdcopy payload bytes (or raw bytes with `raw`) of what follows the HTTP header. */
class Counter {
  bytes = 0;
  private head = true;
  private pending = Buffer.alloc(0);
  private left = 0;
  header = '';
  constructor(private readonly raw = false) {}
  push(c: Buffer): void {
    if (this.head) {
      this.pending = Buffer.concat([this.pending, c]);
      const i = this.pending.indexOf('\r\n\r\n');
      if (i < 0) return;
      this.header = this.pending.subarray(0, i).toString();
      c = this.pending.subarray(i + 4);
      this.pending = Buffer.alloc(0);
      this.head = false;
    }
    if (this.raw) { this.bytes += c.length; return; }
    while (c.length) {
      if (this.left) {
        const n = Math.min(this.left, c.length);
        this.bytes += n;
        this.left -= n;
        c = c.subarray(n);
        continue;
      }
      const h = Buffer.concat([this.pending, c]);
      if (h.length < 8) { this.pending = h; return; }
      this.left = h.readUInt32BE(4);
      this.pending = Buffer.alloc(0);
      c = h.subarray(8);
    }
  }
}

/** What a slow client reads per 10 ms tick: at most ~6.4 MB/s, a small part of what `yes` prints. */
const BUDGET = 64 * 1024;

/**
 * A raw HTTP client on the daemon's socket that reads slowly: its socket is paused once it read
 * BUDGET bytes and resumed every 10 ms. Resolves with the payload counter once the daemon closes
 * (or once `stopAfter` payload bytes came, when it hangs up itself).
 */
function slowClient(request: string, o: { stopAfter?: number } = {}): { done: Promise<Counter>; counter: Counter } {
  const counter = new Counter();
  const s = net.connect(d.sock);
  let budget = BUDGET;
  const done = new Promise<Counter>((resolve, reject) => {
    s.on('connect', () => { s.write(request); });
    s.on('data', (c: Buffer) => {
      counter.push(c);
      budget -= c.length;
      if (budget <= 0) s.pause();
      if (o.stopAfter !== undefined && counter.bytes >= o.stopAfter) { s.destroy(); resolve(counter); }
    });
    s.on('error', reject);
    s.on('close', () => resolve(counter));
  });
  const t = setInterval(() => {
    budget = BUDGET;
    s.resume();
  }, 10);
  void done.finally(() => clearInterval(t));
  return { done, counter };
}

async function create(cmd: string[]): Promise<string> {
  const r = await d.api('POST', '/containers/create', { Image: 'bb', Cmd: cmd, Tty: false });
  assert.equal(r.status, 201, r.body);
  return r.json.Id as string;
}

async function waitExit(id: string): Promise<number> {
  const r = await d.api('POST', `/containers/${id}/wait`);
  return r.json.StatusCode as number;
}

function note(name: string, w: { before: number; peak: () => number }, delivered: number): void {
  const f = (n: number) => (n / MB).toFixed(1);
  const line = `${name}: RSS before ${f(w.before)} MB, peak ${f(w.peak())} MB (+${f(w.peak() - w.before)}), after ${f(rss())} MB; delivered ${delivered} of ${TOTAL} bytes${SOAK ? ' (soak)' : ''}`;
  report.push(line);
}

const upgrade = (p: string, body = '') =>
  `POST ${p} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

test('(a) a slow attach client: bounded RSS, every byte delivered', { timeout: scaled({ fast: 300_000, soak: 3_600_000 }) }, async () => {
  const id = await create(PRINT);
  const w = watchRss();
  const c = slowClient(upgrade(`/containers/${id}/attach?stream=1&stdout=1&stderr=1`));
  // The attach is registered before start (docker run's order), so nothing is missed.
  await new Promise((r) => setTimeout(r, 200));
  assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 204);
  const got = await c.done;
  w.stop();
  assert.match(got.header, /^HTTP\/1.1 101/);
  note('attach', w, got.bytes);
  assert.equal(await waitExit(id), 0);
  assert.equal(got.bytes, TOTAL);
  assert.ok(w.peak() - w.before < BOUND, `RSS grew ${((w.peak() - w.before) / MB).toFixed(1)} MB`);
  await d.api('DELETE', `/containers/${id}?force=1`);
});

test('(b) a slow exec client: bounded RSS, every byte delivered', { timeout: scaled({ fast: 300_000, soak: 3_600_000 }) }, async () => {
  const id = await create(['sleep', '3600']);
  assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 204);
  const ex = await d.api('POST', `/containers/${id}/exec`, { Cmd: PRINT, AttachStdout: true, AttachStderr: true });
  assert.equal(ex.status, 201, ex.body);
  const w = watchRss();
  const got = await slowClient(upgrade(`/exec/${ex.json.Id}/start`, JSON.stringify({ Detach: false, Tty: false }))).done;
  w.stop();
  note('exec', w, got.bytes);
  assert.equal(got.bytes, TOTAL);
  assert.equal((await d.api('GET', `/exec/${ex.json.Id}/json`)).json.ExitCode, 0);
  assert.ok(w.peak() - w.before < BOUND, `RSS grew ${((w.peak() - w.before) / MB).toFixed(1)} MB`);
  await d.api('DELETE', `/containers/${id}?force=1`);
});

test('(c) a slow logs -f client: bounded RSS, every byte delivered', { timeout: scaled({ fast: 300_000, soak: 3_600_000 }) }, async () => {
  // Printing starts after a pause, so the follower is there first and follows it live.
  const id = await create(['sh', '-c', `sleep 1; yes ${LINE} | head -c ${TOTAL}`]);
  assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 204);
  const w = watchRss();
  // HTTP/1.0: the body is not chunked and ends when the daemon closes the connection.
  const got = await slowClient(`GET /containers/${id}/logs?follow=1&stdout=1&stderr=1 HTTP/1.0\r\nHost: x\r\n\r\n`).done;
  w.stop();
  note('logs -f', w, got.bytes);
  assert.equal(got.bytes, TOTAL);
  assert.ok(w.peak() - w.before < BOUND, `RSS grew ${((w.peak() - w.before) / MB).toFixed(1)} MB`);
  await d.api('DELETE', `/containers/${id}?force=1`);
});

test('(d) clients that go away mid-stream: output is dropped, not kept; the log has it all', { timeout: scaled({ fast: 300_000, soak: 3_600_000 }) }, async () => {
  const id = await create(PRINT);
  const fdsBefore = fs.readdirSync(`/proc/${pid}/fd`).length;
  const w = watchRss();
  const attach = slowClient(upgrade(`/containers/${id}/attach?stream=1&stdout=1&stderr=1`), { stopAfter: 2 * MB });
  const ex = { follow: undefined as undefined | ReturnType<typeof slowClient> };
  await new Promise((r) => setTimeout(r, 200));
  assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 204);
  ex.follow = slowClient(`GET /containers/${id}/logs?follow=1&stdout=1 HTTP/1.0\r\nHost: x\r\n\r\n`, { stopAfter: 2 * MB });
  const a = await attach.done;
  await ex.follow.done;
  assert.ok(a.bytes >= 2 * MB && a.bytes < TOTAL);
  // With its client gone the container is not held back: it finishes at full speed.
  assert.equal(await waitExit(id), 0);
  w.stop();
  // Everything reached the log file (conmon writes it); count it through a fast reader.
  const all = await new Promise<number>((resolve, reject) => {
    const c = new Counter();
    const s = net.connect(d.sock, () => s.write(`GET /containers/${id}/logs?stdout=1&stderr=1 HTTP/1.0\r\nHost: x\r\n\r\n`));
    s.on('data', (b: Buffer) => c.push(b));
    s.on('close', () => resolve(c.bytes));
    s.on('error', reject);
  });
  note('gone mid-stream', w, all);
  assert.equal(all, TOTAL);
  assert.ok(w.peak() - w.before < BOUND, `RSS grew ${((w.peak() - w.before) / MB).toFixed(1)} MB`);
  // Nothing of the departed clients is left open (the follower's log file, attach sockets);
  // the last request's connection may take a moment to close on the daemon's side.
  for (let i = 0; fs.readdirSync(`/proc/${pid}/fd`).length > fdsBefore; i++) {
    assert.ok(i < 50, 'file descriptors left behind');
    await new Promise((r) => setTimeout(r, 100));
  }
  await d.api('DELETE', `/containers/${id}?force=1`);
});

test('(e) an exec client that goes away mid-stream: the exec is not held back', { timeout: scaled({ fast: 300_000, soak: 3_600_000 }) }, async () => {
  const id = await create(['sleep', '3600']);
  assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 204);
  const ex = await d.api('POST', `/containers/${id}/exec`, { Cmd: PRINT, AttachStdout: true, AttachStderr: true });
  const w = watchRss();
  const got = await slowClient(upgrade(`/exec/${ex.json.Id}/start`, JSON.stringify({ Detach: false, Tty: false })), { stopAfter: 2 * MB }).done;
  assert.ok(got.bytes >= 2 * MB && got.bytes < TOTAL);
  // Its output is dropped from here on: the process runs to its end at full speed.
  const t = Date.now();
  for (;;) {
    const r = (await d.api('GET', `/exec/${ex.json.Id}/json`)).json;
    if (!r.Running) { assert.equal(r.ExitCode, 0); break; }
    assert.ok(Date.now() - t < scaled({ fast: 60_000, soak: 600_000 }), 'the exec did not finish');
    await new Promise((r) => setTimeout(r, 100));
  }
  w.stop();
  note('exec gone mid-stream', w, got.bytes);
  assert.ok(w.peak() - w.before < BOUND, `RSS grew ${((w.peak() - w.before) / MB).toFixed(1)} MB`);
  await d.api('DELETE', `/containers/${id}?force=1`);
});

test('(f) a client that floods stdin of a process that does not read: bounded RSS, every byte arrives', { timeout: scaled({ fast: 300_000, soak: 3_600_000 }) }, async () => {
  // The process reads nothing for 3 s, then counts its stdin.
  const r = await d.api('POST', '/containers/create', { Image: 'bb', Cmd: ['sh', '-c', 'sleep 3; wc -c'], OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true, Tty: false });
  assert.equal(r.status, 201, r.body);
  const id = r.json.Id as string;
  assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 204);
  const w = watchRss();
  const out = await new Promise<string>((resolve, reject) => {
    const c = new Counter();
    let text = '';
    const s = net.connect(d.sock);
    s.on('connect', () => {
      s.write(upgrade(`/containers/${id}/attach?stream=1&stdin=1&stdout=1`));
      // As fast as the daemon takes it (honouring write() → false here too), then half-close.
      const chunk = Buffer.alloc(MB, 0x61);
      let sent = 0;
      const push = (): void => {
        while (sent < TOTAL) {
          sent += chunk.length;
          if (!s.write(chunk)) { s.once('drain', push); return; }
        }
        s.end();
      };
      push();
    });
    s.on('data', (b: Buffer) => {
      c.push(b);
      if (!c.header) return;
      const body = b.toString('latin1');
      text += body;
    });
    s.on('error', reject);
    s.on('close', () => resolve(text));
  });
  w.stop();
  const count = Number(/(\d+)\s*$/.exec(out)?.[1]);
  note('stdin flood', w, count);
  assert.equal(count, TOTAL);
  assert.equal(await waitExit(id), 0);
  assert.ok(w.peak() - w.before < BOUND, `RSS grew ${((w.peak() - w.before) / MB).toFixed(1)} MB`);
  await d.api('DELETE', `/containers/${id}?force=1`);
});
