/**
 * The runc driver's attach stream against a stand-in for conmon's SEQPACKET attach socket:
 * reading stops while the consumer does not read (the sender's writes stall), and packets
 * still queued when the sender closes are delivered (libuv's early end on POLLHUP).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { connectAttach } from '../../src/drivers/runtime/runc/attach.ts';

const PACKET = 8192;

/**
 * A stand-in monitor (python3, whose socket module has SOCK_SEQPACKET): it listens on a unix
 * SEQPACKET socket and sends `count` packets `[pipe][8 KiB]` as fast as the socket takes them
 * (blocking sends), then closes; it prints how many it sent after each.
 */
const MONITOR_PY = `
import socket, sys
path, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
srv = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
srv.bind(path)
srv.listen(1)
print("listening", flush=True)
conn, _ = srv.accept()
for i in range(count):
    b = bytearray([0x61 + (i % 26)]) * (size + 1)
    b[0] = 3 if i % 5 == 0 else 2
    conn.send(bytes(b))
    print(i + 1, flush=True)
conn.close()
print("closed", flush=True)
`;

async function monitor(count: number): Promise<{ path: string; sent: () => number; closed: Promise<void>; stop: () => void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-attach-'));
  const p = path.join(dir, 'attach');
  const py = spawn('python3', ['-c', MONITOR_PY, p, String(count), String(PACKET)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let sent = 0;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => { resolveClosed = r; });
  let resolveListening!: () => void;
  const listening = new Promise<void>((r) => { resolveListening = r; });
  let rest = '';
  py.stdout.on('data', (c: Buffer) => {
    const lines = (rest + c.toString()).split('\n');
    rest = lines.pop()!;
    for (const l of lines) {
      if (l === 'listening') resolveListening();
      else if (l === 'closed') resolveClosed();
      else if (l) sent = Number(l);
    }
  });
  await listening;
  return { path: p, sent: () => sent, closed, stop: () => { py.kill(); fs.rmSync(dir, { recursive: true, force: true }); } };
}

test('a consumer that does not read stops the reading; every packet arrives in order', async () => {
  const m = await monitor(2000);
  const a = await connectAttach(m.path);
  await new Promise((r) => setTimeout(r, 500));
  // Nothing read yet: the sender is held at what the stream and socket buffers take, far below 16 MB.
  const heldAt = m.sent();
  assert.ok(heldAt < 200, `sender got ${heldAt} packets out with nobody reading`);
  let out = 0;
  let err = 0;
  let whole = true;
  a.stdout.on('data', (d: Buffer) => {
    // One packet's payload per chunk: 8 KiB of one letter.
    if (d.length !== PACKET || d[0] !== d[PACKET - 1]) whole = false;
    out += d.length;
  });
  a.stderr.on('data', (d: Buffer) => { err += d.length; });
  await Promise.all([a.stdout, a.stderr].map((s) => (s.readableEnded ? undefined : new Promise((r) => s.once('end', r)))));
  assert.ok(whole, 'packets arrive whole');
  assert.equal(out + err, 2000 * PACKET);
  assert.equal(err, 400 * PACKET);
  m.stop();
});

test('packets still queued when the sender closes are delivered', async () => {
  const m = await monitor(16);
  const a = await connectAttach(m.path);
  // Let the sender finish and close while the packets wait unread.
  let out = 0;
  a.stderr.resume();
  a.stdout.pause();
  await m.closed;
  await new Promise((r) => setTimeout(r, 200));
  a.stdout.on('data', (d: Buffer) => { out += d.length; });
  a.stdout.resume();
  await new Promise((r) => a.stdout.once('end', r));
  assert.equal(out, 12 * PACKET);
  m.stop();
});
