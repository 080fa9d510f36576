/** `--mount volume-opt/volume-label` reach the local driver; named volumes exist from container create. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { importBusybox } from '../helpers/images.ts';

let d: TestDaemon;
before(async () => { d = await startDaemon(); await importBusybox(d); });
after(async () => { await d?.stop(); });

test('--mount volume-opt and volume-label create the volume with them', async () => {
  const r = await d.cli(['run', '--rm', '--mount', 'type=volume,source=vopt,target=/d,volume-opt=type=tmpfs,volume-opt=device=tmpfs,volume-opt=o=size=1m,volume-label=team=x', 'bb', 'sh', '-c', "grep ' /d ' /proc/mounts | cut -d' ' -f3"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'tmpfs');
  const v = await d.api('GET', '/volumes/vopt');
  assert.equal(v.status, 200);
  assert.deepEqual(v.json.Options, { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' });
  assert.deepEqual(v.json.Labels, { team: 'x' });
  assert.equal((await d.api('DELETE', '/volumes/vopt')).status, 204);
});

test('a named volume exists from container create and is in use from then on', async () => {
  const c = await d.cli(['create', '--name', 'holder', '-v', 'early:/x', 'bb', 'true']);
  assert.equal(c.code, 0, c.stderr);
  assert.equal((await d.api('GET', '/volumes/early')).status, 200);
  const rm = await d.api('DELETE', '/volumes/early');
  assert.equal(rm.status, 409);
  assert.match(rm.json.message, /volume is in use/);
  await d.api('DELETE', '/containers/holder');
  assert.equal((await d.api('DELETE', '/volumes/early')).status, 204);
});
