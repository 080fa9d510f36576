/** `--cgroupns` / HostConfig.CgroupnsMode: host shares the host's cgroup namespace, private gets one; docker's default and errors. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { importBusybox } from '../helpers/images.ts';

let d: TestDaemon;
before(async () => { d = await startDaemon(); await importBusybox(d); });
after(async () => { await d?.stop(); });

const hostNs = fs.readlinkSync('/proc/self/ns/cgroup');
const cgroupV2 = fs.existsSync('/sys/fs/cgroup/cgroup.controllers');

async function nsOf(flags: string[]): Promise<string> {
  const r = await d.cli(['run', '--rm', ...flags, 'bb', 'readlink', '/proc/self/ns/cgroup']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

test('--cgroupns host shares the host cgroup namespace; private gets its own', async () => {
  assert.equal(await nsOf(['--cgroupns', 'host']), hostNs);
  const priv = await nsOf(['--cgroupns=private']);
  assert.match(priv, /^cgroup:\[\d+\]$/);
  assert.notEqual(priv, hostNs);
});

test('no --cgroupns: private on a cgroup v2 host, host on v1 or hybrid; inspect shows the mode used', async () => {
  const ns = await nsOf([]);
  if (cgroupV2) assert.notEqual(ns, hostNs);
  else assert.equal(ns, hostNs);
  const c = await d.api('POST', '/containers/create?name=cgns-default', { Image: 'bb', Cmd: ['true'] });
  assert.equal(c.status, 201, c.body);
  assert.equal((await d.api('GET', '/containers/cgns-default/json')).json.HostConfig.CgroupnsMode, cgroupV2 ? 'private' : 'host');
  const p = await d.api('POST', '/containers/create?name=cgns-private', { Image: 'bb', Cmd: ['true'], HostConfig: { CgroupnsMode: 'private' } });
  assert.equal(p.status, 201, p.body);
  assert.equal((await d.api('GET', '/containers/cgns-private/json')).json.HostConfig.CgroupnsMode, 'private');
  await d.cli(['rm', 'cgns-default', 'cgns-private']);
});

test('an unknown mode: 400 from the API, exit 125 from the CLI, with docker\'s messages', async () => {
  const r = await d.api('POST', '/containers/create?name=cgns-bad', { Image: 'bb', HostConfig: { CgroupnsMode: 'bogus' } });
  assert.equal(r.status, 400);
  assert.deepEqual(r.json, { message: 'invalid cgroup namespace mode: bogus' });
  assert.equal((await d.api('GET', '/containers/cgns-bad/json')).status, 404);
  const cli = await d.cli(['run', '--rm', '--cgroupns', 'bogus', 'bb', 'true']);
  assert.equal(cli.code, 125);
  assert.match(cli.stderr, /--cgroupns: invalid CGROUP mode/);
});
