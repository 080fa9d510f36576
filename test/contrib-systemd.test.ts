/**
 * contrib/systemd: the unit and socket pass `systemd-analyze verify` (systemd's own parser, as
 * `systemctl daemon-reload` would load them) and agree with the daemon: the service starts
 * wharfd on fd://, the socket listens on the default socket, and stopping the service leaves
 * the containers' monitors alone. Socket activation itself (LISTEN_FDS) is exercised in
 * test/integration/listeners.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const DIR = path.join(import.meta.dirname, '..', 'contrib', 'systemd');
const service = fs.readFileSync(path.join(DIR, 'wharf.service'), 'utf8');
const socket = fs.readFileSync(path.join(DIR, 'wharf.socket'), 'utf8');

function directive(text: string, key: string): string[] {
  return [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!.trim());
}

test('systemd-analyze verify accepts wharf.socket and wharf.service', (t) => {
  const which = spawnSync('sh', ['-c', 'command -v systemd-analyze'], { encoding: 'utf8' });
  if (which.status !== 0) { t.skip('systemd-analyze is not installed'); return; }
  // Verify copies whose ExecStart names an executable that exists here (the unit's own path
  // is where the README's first command links it).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-systemd-'));
  try {
    const wharfd = path.join(import.meta.dirname, '..', 'bin', 'wharfd');
    fs.writeFileSync(path.join(dir, 'wharf.service'), service.replace('/usr/local/bin/wharfd', wharfd));
    fs.writeFileSync(path.join(dir, 'wharf.socket'), socket);
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', path.join(dir, 'wharf.socket'), path.join(dir, 'wharf.service')], { encoding: 'utf8', env: { ...process.env, SYSTEMD_LOG_LEVEL: 'warning' } });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.trim(), '', r.stderr);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the service runs wharfd on the activated socket and leaves monitors running on stop', () => {
  assert.deepEqual(directive(service, 'ExecStart'), ['/usr/local/bin/wharfd -H fd://']);
  // wharfd tells systemd when the API serves (READY=1), reloads and stops (sd-notify.ts).
  assert.deepEqual(directive(service, 'Type'), ['notify']);
  assert.deepEqual(directive(service, 'Requires'), ['wharf.socket']);
  assert.deepEqual(directive(service, 'KillMode'), ['process']);
  assert.deepEqual(directive(service, 'ExecReload'), ['/bin/kill -s HUP $MAINPID']);
  assert.deepEqual(directive(socket, 'ListenStream'), ['/run/wharf/wharf.sock']);
  assert.deepEqual(directive(socket, 'SocketMode'), ['0660']);
  assert.deepEqual(directive(socket, 'SocketGroup'), ['wharf']);
});
