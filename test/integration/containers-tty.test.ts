/** Interactive sessions on a real pty through the docker CLI: -it, exit, detach keys, attach, exec -it, resize. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { importBusybox } from '../helpers/images.ts';
import { runPty } from '../helpers/pty.ts';

let d: TestDaemon;
let env: Record<string, string>;
let skip = false;
before(async () => {
  d = await startDaemon();
  await importBusybox(d);
  env = { DOCKER_HOST: d.host, DOCKER_CONFIG: `${d.dir}/docker-config` };
  skip = (await d.docker(['--version']).catch(() => ({ code: 1 }))).code !== 0;
});
after(async () => { await d?.stop(); });

test('run -it: a shell on a tty, exit code of `exit 3`', async (t) => {
  if (skip) return t.skip('docker CLI not installed');
  const r = await runPty(['docker', 'run', '-it', '--rm', 'bb', 'sh'], ['expect:# ', 'send:echo in-tty-$((40+2)); ls -l /proc/self/fd/0\r', 'expect:in-tty-42', 'send:exit 3\r'], env);
  assert.equal(r.code, 3, r.output);
  assert.match(r.output, /\/dev\/pts\/0/);
});

test('run -it then ctrl-p ctrl-q detaches; attach reattaches; exit ends it', async (t) => {
  if (skip) return t.skip('docker CLI not installed');
  const r = await runPty(['docker', 'run', '-it', '--name', 'dt', 'bb', 'sh'], ['expect:# ', 'send:echo before-$((40+2))\r', 'expect:before-42', 'send:\\x10\\x11'], env);
  assert.equal(r.code, 0, r.output);
  assert.equal((await d.api('GET', '/containers/dt/json')).json.State.Running, true);
  const a = await runPty(['docker', 'attach', 'dt'], ['sleep:0.5', 'send:echo attached-$((40+2))\r', 'expect:attached-42', 'send:\\x10\\x11'], env);
  assert.ok([0, 1].includes(a.code), a.output);
  assert.equal((await d.api('GET', '/containers/dt/json')).json.State.Running, true);
  const e = await runPty(['docker', 'attach', 'dt'], ['sleep:0.5', 'send:echo leaving-$((40+2)); exit 5\r', 'expect:leaving-42'], env);
  assert.equal(e.code, 5, e.output);
  const w = await d.api('GET', '/containers/dt/json');
  assert.equal(w.json.State.ExitCode, 5);
  await d.api('DELETE', '/containers/dt');
});

test('custom --detach-keys', async (t) => {
  if (skip) return t.skip('docker CLI not installed');
  const r = await runPty(['docker', 'run', '-it', '--detach-keys', 'ctrl-a,a', '--name', 'dk', 'bb', 'sh'], ['expect:# ', 'send:\\x01a'], env);
  assert.equal(r.code, 0, r.output);
  assert.equal((await d.api('GET', '/containers/dk/json')).json.State.Running, true);
  await d.api('DELETE', '/containers/dk?force=1');
});

test('exec -it and resize follow the terminal size', async (t) => {
  if (skip) return t.skip('docker CLI not installed');
  await d.docker(['run', '-dit', '--name', 'rs', 'bb', 'sh']);
  const r = await runPty(['docker', 'exec', '-it', 'rs', 'sh'], ['expect:# ', 'send:echo exec-it-$((40+2)); exit 4\r', 'expect:exec-it-42'], env);
  assert.equal(r.code, 4, r.output);
  const resize = await d.api('POST', '/containers/rs/resize?h=40&w=100');
  assert.equal(resize.status, 200);
  const size = await d.docker(['exec', 'rs', 'busybox', 'stty', '-F', '/dev/pts/0', 'size']);
  assert.equal(size.stdout.trim(), '40 100', size.stderr);
  await d.api('DELETE', '/containers/rs?force=1');
});
