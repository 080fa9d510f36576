/**
 * A followed log read across max-size rotations when the reader lags: the writer rotates
 * several times while the reader is not running (a busy machine), and the reader still gets
 * every line of every file still kept, in order, none twice; also when the rotated files were
 * gzipped meanwhile (compress), when the read starts while files are already rotated, and
 * with a tail over the whole chain. The writer does what the log monitor does
 * (src/drivers/runtime/runc/log-monitor.ts): LogPath → LogPath.1 → …, the oldest dropped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { readK8sLogBatches, type ReadLogOptions } from '../../src/common/k8s-log.ts';

class Writer {
  readonly logPath: string;
  private n = 0;
  constructor(private readonly maxFile: number) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-logchain-'));
    this.logPath = path.join(dir, 'c-json.log');
    fs.writeFileSync(this.logPath, '');
  }

  lines(count: number): void {
    let s = '';
    for (let i = 0; i < count; i++) s += `{"log":"l-${++this.n}\\n","stream":"stdout","time":"2026-12-07T05:00:00.${String(this.n).padStart(9, '0')}Z"}\n`;
    fs.appendFileSync(this.logPath, s);
  }

  rotate(): void {
    const p = this.logPath;
    for (const ext of ['', '.gz']) fs.rmSync(`${p}.${this.maxFile - 1}${ext}`, { force: true });
    for (let n = this.maxFile - 2; n >= 1; n--) {
      for (const ext of ['', '.gz']) if (fs.existsSync(`${p}.${n}${ext}`)) fs.renameSync(`${p}.${n}${ext}`, `${p}.${n + 1}${ext}`);
    }
    fs.renameSync(p, `${p}.1`);
    fs.writeFileSync(p, '');
  }

  /** compress: LogPath.n becomes LogPath.n.gz (the .gz first, then the plain file goes). */
  compress(n: number): void {
    const f = `${this.logPath}.${n}`;
    fs.writeFileSync(`${f}.gz`, zlib.gzipSync(fs.readFileSync(f)));
    fs.rmSync(f);
  }
}

/** A reader pulled by hand: it does nothing between two pulls, as a starved one does. */
function reader(logPath: string, opts: ReadLogOptions) {
  const it = readK8sLogBatches(logPath, { rotated: true, ...opts });
  const got: number[] = [];
  return {
    got,
    async pull(): Promise<boolean> {
      const r = await it.next();
      if (r.done) return false;
      for (const e of r.value) got.push(Number(/^l-(\d+)\n$/.exec(e.line.toString())?.[1]));
      return true;
    },
    async rest(): Promise<void> { while (await this.pull()); },
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

for (const maxFile of [2, 3, 5]) {
  test(`a follower that lags two rotations reads the file in between (max-file=${maxFile})`, async () => {
    const w = new Writer(maxFile);
    let stop!: () => void;
    const stopWhen = new Promise<void>((r) => { stop = r; });
    w.lines(5);
    const r = reader(w.logPath, { follow: true, stopWhen });
    assert.ok(await r.pull());
    assert.deepEqual(r.got, range(1, 5));
    // Starved: the file it reads fills and rotates twice before it runs again.
    w.lines(5); w.rotate();
    w.lines(5); w.rotate();
    w.lines(5);
    const more = r.rest();
    await new Promise((res) => setTimeout(res, 200));
    w.lines(2);
    await new Promise((res) => setTimeout(res, 200));
    stop();
    await more;
    assert.deepEqual(r.got, range(1, 22));
  });
}

test('a follower that lags past max-file loses only the files dropped, and reads the kept ones', async () => {
  const w = new Writer(2);
  const r = reader(w.logPath, { follow: true, stopWhen: new Promise((res) => setTimeout(res, 300)) });
  w.lines(3);
  assert.ok(await r.pull());
  w.lines(3); w.rotate(); // 1-6 → .1 (held by the reader)
  w.lines(3); w.rotate(); // 7-9 → .1, 1-6 dropped (still held)
  w.lines(3); w.rotate(); // 10-12 → .1, 7-9 dropped: gone before the reader saw them
  w.lines(3);
  await r.rest();
  assert.deepEqual(r.got, [...range(1, 6), ...range(10, 15)]);
});

test('the file a follower holds was gzipped meanwhile: it goes on after it, not from the oldest', async () => {
  const w = new Writer(4);
  const r = reader(w.logPath, { follow: true, stopWhen: new Promise((res) => setTimeout(res, 300)) });
  w.lines(4); w.rotate(); w.compress(1); // 1-4 → .1.gz
  w.lines(4);
  assert.ok(await r.pull());
  assert.deepEqual(r.got, range(1, 4)); // the .gz, read whole
  w.lines(4); w.rotate(); // 5-12 → .1 (held), 1-4 → .2.gz
  w.compress(1); // 5-12 → .1.gz: the reader's file is gone by name
  w.lines(4); w.rotate(); w.compress(1); // 13-16 → .1.gz
  w.lines(4);
  await r.rest();
  assert.deepEqual(r.got, range(1, 20));
});

test('a read (not followed) goes through the rotated files, oldest first, and a tail spans them', async () => {
  const w = new Writer(3);
  w.lines(4); w.rotate(); w.compress(1);
  w.lines(4); w.rotate();
  w.lines(4);
  const all = reader(w.logPath, {});
  await all.rest();
  assert.deepEqual(all.got, range(1, 12));
  const tail = reader(w.logPath, { tail: 6 });
  await tail.rest();
  assert.deepEqual(tail.got, range(7, 12));
  // A followed tail: the last lines of the chain, then what comes, across a rotation.
  let stop!: () => void;
  const followed = reader(w.logPath, { tail: 2, follow: true, stopWhen: new Promise<void>((r) => { stop = r; }) });
  assert.ok(await followed.pull());
  assert.deepEqual(followed.got, [11, 12]);
  w.lines(1); w.rotate(); w.lines(1);
  setTimeout(stop, 300);
  await followed.rest();
  assert.deepEqual(followed.got, [11, 12, 13, 14]);
});
