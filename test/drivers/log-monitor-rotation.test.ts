/**
 * The log monitor rotating several times within one chunk of its FIFO (a monitor that lagged
 * behind a fast container on a busy machine reads large chunks): with `compress`, each rotated
 * file is gzipped as itself, so the chain read back holds every line once, in order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LogMonitorClient } from '../../src/drivers/runtime/runc/log-monitor-client.ts';
import { readK8sLogBatches } from '../../src/common/k8s-log.ts';

test('many rotations in one chunk, compressed: every line once, in order', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-logmon-'));
  const logPath = path.join(dir, 'c-json.log');
  const client = new LogMonitorClient(path.join(dir, 'logmon'));
  try {
    const fifo = await client.prepare('c1', { path: logPath, maxSize: 2048, maxFile: 60, compress: true });
    let records = '';
    for (let i = 1; i <= 600; i++) records += `2026-12-07T05:00:00.${String(i).padStart(9, '0')}+00:00 stdout F c-${i}-padding-0123456789\n`;
    const fd = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    try { fs.writeSync(fd, records); } finally { fs.closeSync(fd); }
    await client.flush('c1');
    await client.close('c1');
    const settled = () => {
      const names = fs.readdirSync(dir);
      return !names.some((n) => /\.tmp$/.test(n) || /\.log\.\d+$/.test(n));
    };
    for (const end = Date.now() + 30_000; !settled(); await new Promise((r) => setTimeout(r, 50))) assert.ok(Date.now() < end, `compressions: ${fs.readdirSync(dir)}`);
    assert.ok(fs.existsSync(`${logPath}.20.gz`), 'rotated and compressed many times');
    const got: number[] = [];
    for await (const batch of readK8sLogBatches(logPath, { rotated: true })) {
      for (const e of batch) got.push(Number(/^c-(\d+)-padding/.exec(e.line.toString())?.[1]));
    }
    assert.deepEqual(got, Array.from({ length: 600 }, (_, i) => i + 1));
  } finally {
    client.stopWatching();
    fs.rmSync(dir, { recursive: true, force: true }); // the monitor exits once its directory is gone
  }
});
