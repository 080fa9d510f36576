/**
 * `Type=notify` (contrib/systemd/wharf.service): wharfd sends systemd's notifications to the
 * unix datagram socket in $NOTIFY_SOCKET — READY=1 once the API serves, RELOADING=1 then
 * READY=1 around a SIGHUP reload, STOPPING=1 on shutdown — and keeps the variable from the
 * containers' monitors. A python3 helper plays systemd's side of the socket.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDaemon } from '../helpers/daemon.ts';
import { importBusybox } from '../helpers/images.ts';

const LISTENER = `
import socket, sys, json
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
addr = sys.argv[1]
s.bind('\\0' + addr[1:] if addr.startswith('@') else addr)
print('bound', flush=True)
while True:
    print(json.dumps(s.recv(4096).decode()), flush=True)
`;

/** A datagram socket at `addr` and the messages it has received so far. */
async function listener(addr: string): Promise<{ messages: string[]; proc: ChildProcess; waitFor(pred: (m: string[]) => boolean, what: string): Promise<void> }> {
  const proc = spawn('python3', ['-c', LISTENER, addr], { stdio: ['ignore', 'pipe', 'inherit'] });
  const messages: string[] = [];
  let buf = '';
  let bound!: () => void;
  const ready = new Promise<void>((r) => { bound = r; });
  proc.stdout!.on('data', (c: Buffer) => {
    buf += c.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line === 'bound') bound();
      else messages.push(JSON.parse(line) as string);
    }
  });
  await ready;
  return {
    messages, proc,
    async waitFor(pred, what) {
      const deadline = Date.now() + 20_000;
      while (!pred(messages)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(messages)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

const states = (msgs: string[]) => msgs.map((m) => m.split('\n')[0]);

for (const kind of ['path', 'abstract'] as const) {
  test(`READY, RELOADING/READY on SIGHUP and STOPPING reach $NOTIFY_SOCKET in order (${kind} socket)`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-notify-'));
    const addr = kind === 'path' ? path.join(dir, 'notify.sock') : `@wharf-notify-test-${process.pid}-${Date.now()}`;
    const l = await listener(addr);
    try {
      const d = await startDaemon({ env: { NOTIFY_SOCKET: addr } });
      try {
        await l.waitFor((m) => m.length >= 1, 'READY=1');
        assert.deepEqual(states(l.messages), ['READY=1']);
        // the API answers by the time READY=1 was sent
        assert.equal((await d.api('GET', '/_ping')).status, 200);
        d.proc.kill('SIGHUP');
        await l.waitFor((m) => m.length >= 3, 'RELOADING=1 and READY=1');
        assert.deepEqual(states(l.messages), ['READY=1', 'RELOADING=1', 'READY=1']);
        assert.match(l.messages[1]!, /^RELOADING=1\nMONOTONIC_USEC=\d+$/);
        if (kind === 'path') {
          // conmon (and the runc it runs) do not get the variable: it is the daemon's, not the containers'
          await importBusybox(d);
          const r = await d.cli(['run', '-d', '--network', 'none', '--name', 'n1', 'bb', 'sleep', '100']);
          assert.equal(r.code, 0, r.stderr);
          const pid = (await d.api('GET', '/containers/n1/json')).json.State.Pid as number;
          const ppid = /^PPid:\s*(\d+)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1];
          assert.match(fs.readFileSync(`/proc/${ppid}/cmdline`, 'utf8'), /conmon/);
          assert.ok(!fs.readFileSync(`/proc/${ppid}/environ`, 'utf8').includes('NOTIFY_SOCKET='));
          assert.ok(!fs.readFileSync(`/proc/${pid}/environ`, 'utf8').includes('NOTIFY_SOCKET='));
          await d.cli(['rm', '-f', 'n1']);
          assert.equal(l.messages.length, 3, 'a container start sends nothing');
        }
      } finally {
        await d.stop();
      }
      await l.waitFor((m) => m.length >= 4, 'STOPPING=1');
      assert.deepEqual(states(l.messages), ['READY=1', 'RELOADING=1', 'READY=1', 'STOPPING=1']);
    } finally {
      l.proc.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('without $NOTIFY_SOCKET nothing is sent and the daemon starts as before', async () => {
  const d = await startDaemon();
  try {
    assert.equal((await d.api('GET', '/_ping')).status, 200);
  } finally {
    await d.stop();
  }
});
