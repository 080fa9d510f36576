/**
 * Volumes with real containers (runc): sharing through a named volume and --volumes-from,
 * read-only mounts, copy-up of image content (owners and modes) into a fresh volume only,
 * anonymous volumes and `rm -v`, the in-use refusal, tmpfs sizes (--tmpfs and the local
 * driver's tmpfs option), bad -v/--mount input, data across a daemon restart, and
 * SECURITY-CHECKS 16 (VOLUME over a symlink out of the root) and 17 (--volumes-from keeps ro).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { cliFor, importVolumeImages } from './volumes-fixtures.ts';

let d: TestDaemon;
let dk: Awaited<ReturnType<typeof cliFor>>;
before(async () => {
  d = await startDaemon();
  await importVolumeImages(d);
  dk = await cliFor(d);
});
after(async () => { await d?.stop(); });

const volNames = async (q = '') => ((await d.api('GET', `/volumes${q}`)).json.Volumes as { Name: string }[]).map((v) => v.Name);
const dangling = `?filters=${encodeURIComponent(JSON.stringify({ dangling: ['true'] }))}`;
const mountinfoHas = (p: string) => fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === p);

async function ok(args: string[], input?: string): Promise<string> {
  const r = await dk(args, input);
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('a named volume carries data from one container to another; created on first use', async () => {
  await ok(['run', '--rm', '-v', 'share:/data', 'bb', 'sh', '-c', 'echo hi > /data/f']);
  assert.ok((await volNames()).includes('share'));
  assert.equal(await ok(['run', '--rm', '-v', 'share:/data', 'bb', 'cat', '/data/f']), 'hi\n');
  const mp = (await d.api('GET', '/volumes/share')).json.Mountpoint as string;
  assert.equal(fs.readFileSync(path.join(mp, 'f'), 'utf8'), 'hi\n');
});

test('--volumes-from shares a container\'s volumes; :ro makes them read-only', async () => {
  await ok(['create', '--name', 'vf-src', '-v', '/anon', '-v', 'vf-named:/named', 'bb', 'true']);
  await ok(['start', 'vf-src']);
  await ok(['wait', 'vf-src']);
  await ok(['run', '--rm', '--volumes-from', 'vf-src', 'bb', 'sh', '-c', 'echo a > /anon/x; echo n > /named/y']);
  assert.equal(await ok(['run', '--rm', '--volumes-from', 'vf-src', 'bb', 'cat', '/anon/x', '/named/y']), 'a\nn\n');
  const ro = await dk(['run', '--rm', '--volumes-from', 'vf-src:ro', 'bb', 'touch', '/named/z']);
  assert.notEqual(ro.code, 0);
  assert.match(ro.stderr, /Read-only file system/);
  await ok(['rm', '-v', 'vf-src']);
  assert.ok((await volNames()).includes('vf-named'), 'rm -v never removes named volumes');
});

test('SECURITY-CHECKS 17: --volumes-from A and A:rw keep A\'s read-only bind read-only; A:bogus is 400', async () => {
  const host = fs.mkdtempSync(path.join(d.dir, 'robind-'));
  await ok(['create', '--name', 'ro-src', '-v', `${host}:/ro:ro`, 'bb', 'true']);
  for (const spec of ['ro-src', 'ro-src:rw']) {
    const r = await dk(['run', '--rm', '--volumes-from', spec, 'bb', 'touch', '/ro/w']);
    assert.notEqual(r.code, 0, spec);
    assert.match(r.stderr, /Read-only file system/);
    const c = await d.api('POST', '/containers/create', { Image: 'bb', Cmd: ['true'], HostConfig: { VolumesFrom: [spec] } });
    const i = await d.api('GET', `/containers/${c.json.Id}/json`);
    assert.equal(i.json.Mounts.find((m: { Destination: string }) => m.Destination === '/ro').RW, false);
    await d.api('DELETE', `/containers/${c.json.Id}`);
  }
  assert.deepEqual(fs.readdirSync(host), []);
  const count = (await d.api('GET', '/containers/json?all=1')).json.length;
  const bogus = await d.api('POST', '/containers/create', { Image: 'bb', Cmd: ['true'], HostConfig: { VolumesFrom: ['ro-src:bogus'] } });
  assert.equal(bogus.status, 400, bogus.body);
  assert.equal((await d.api('GET', '/containers/json?all=1')).json.length, count);
  await ok(['rm', 'ro-src']);
});

test('read-only mounts refuse writes (-v :ro and --mount readonly)', async () => {
  const r1 = await dk(['run', '--rm', '-v', 'ro-vol:/data:ro', 'bb', 'touch', '/data/x']);
  assert.notEqual(r1.code, 0);
  assert.match(r1.stderr, /Read-only file system/);
  const r2 = await dk(['run', '--rm', '--mount', 'type=volume,source=ro-vol,target=/data,readonly', 'bb', 'touch', '/data/x']);
  assert.notEqual(r2.code, 0);
  assert.match(r2.stderr, /Read-only file system/);
  const host = fs.mkdtempSync(path.join(d.dir, 'bind-'));
  const r3 = await dk(['run', '--rm', '--mount', `type=bind,source=${host},target=/b,readonly`, 'bb', 'touch', '/b/x']);
  assert.notEqual(r3.code, 0);
  assert.deepEqual(fs.readdirSync(host), []);
});

test('copy-up: a fresh volume gets the image content with owners and modes; a non-empty one does not', async () => {
  const out = await ok(['run', '--rm', '-v', 'fresh:/seed', 'seeded', 'sh', '-c', 'cat /seed/hello; stat -c "%a %u:%g %n" /seed /seed/hello /seed/sub']);
  assert.equal(out, 'from image\n750 1000:1000 /seed\n640 1000:1000 /seed/hello\n700 1001:1001 /seed/sub\n');
  const mp = (await d.api('GET', '/volumes/fresh')).json.Mountpoint as string;
  const st = fs.statSync(path.join(mp, 'hello'));
  assert.deepEqual([st.uid, st.gid, st.mode & 0o7777], [1000, 1000, 0o640]);
  // Not copied again into a volume that has content (even after the file is deleted from the image path).
  await ok(['run', '--rm', '-v', 'fresh:/seed', 'seeded', 'rm', '/seed/hello']);
  assert.equal(await ok(['run', '--rm', '-v', 'fresh:/seed', 'seeded', 'ls', '/seed']), 'sub\n');
  const pre = await d.api('POST', '/volumes/create', { Name: 'prefilled' });
  fs.writeFileSync(path.join(pre.json.Mountpoint, 'mine'), 'kept');
  assert.equal(await ok(['run', '--rm', '-v', 'prefilled:/seed', 'seeded', 'ls', '/seed']), 'mine\n');
  // nocopy: no copy-up at all.
  assert.equal(await ok(['run', '--rm', '--mount', 'type=volume,source=nocopy-vol,target=/seed,volume-nocopy', 'seeded', 'ls', '-A', '/seed']), '');
});

test('anonymous volumes: image VOLUME and -v /path; dangling after rm, gone with rm -v; prune takes only anonymous', async () => {
  await ok(['run', '--name', 'anon1', 'seeded', 'cat', '/seed/hello']);
  const i = await d.api('GET', '/containers/anon1/json');
  const anon = i.json.Mounts.find((m: { Destination: string }) => m.Destination === '/seed');
  assert.match(anon.Name, /^[0-9a-f]{64}$/);
  assert.deepEqual((await d.api('GET', `/volumes/${anon.Name}`)).json.Labels, { 'com.docker.volume.anonymous': '' });
  assert.ok(!(await volNames(dangling)).includes(anon.Name));
  await ok(['rm', 'anon1']);
  assert.ok((await volNames(dangling)).includes(anon.Name), 'rm without -v leaves it dangling');

  await ok(['run', '--name', 'anon2', '-v', '/scratch', '-v', 'anon2-named:/named', 'bb', 'sh', '-c', 'echo x > /scratch/f']);
  const anon2 = (await d.api('GET', '/containers/anon2/json')).json.Mounts.find((m: { Destination: string }) => m.Destination === '/scratch').Name as string;
  const mp2 = path.join(d.dataRoot, 'volumes', anon2);
  assert.ok(fs.existsSync(mp2));
  await ok(['rm', '-v', 'anon2']);
  assert.ok(!(await volNames()).includes(anon2));
  assert.ok(!fs.existsSync(mp2));
  assert.ok((await volNames()).includes('anon2-named'));

  const pruned = await ok(['volume', 'prune', '-f']);
  assert.match(pruned, new RegExp(anon.Name));
  assert.doesNotMatch(pruned, /anon2-named/);
  assert.ok((await volNames()).includes('anon2-named'));
  assert.ok(!(await volNames()).includes(anon.Name));
});

test('a volume in use by a stopped container cannot be removed (docker\'s 409 message)', async () => {
  await ok(['run', '--name', 'user1', '-v', 'inuse:/data', 'bb', 'true']);
  const id = (await d.api('GET', '/containers/user1/json')).json.Id as string;
  const r = await d.api('DELETE', '/volumes/inuse');
  assert.equal(r.status, 409);
  assert.equal(r.json.message, `remove inuse: volume is in use - [${id}]`);
  const cli = await dk(['volume', 'rm', 'inuse']);
  assert.notEqual(cli.code, 0);
  assert.match(cli.stderr, /remove inuse: volume is in use/);
  await ok(['rm', 'user1']);
  await ok(['volume', 'rm', 'inuse']);
});

test('tmpfs sizes are enforced: --tmpfs, --mount type=tmpfs, and a local-driver tmpfs volume', async () => {
  const run = (args: string[]) => dk(['run', '--rm', ...args, 'sh', '-c', 'dd if=/dev/zero of=$T/f bs=1024 count=2048 2>&1']);
  const a = await run(['--tmpfs', '/run:size=1m', '-e', 'T=/run', 'bb']);
  assert.notEqual(a.code, 0);
  assert.match(a.stdout, /No space left on device/);
  const b = await run(['--mount', 'type=tmpfs,target=/t,tmpfs-size=1048576', '-e', 'T=/t', 'bb']);
  assert.notEqual(b.code, 0);
  assert.match(b.stdout, /No space left on device/);
  await ok(['volume', 'create', '--opt', 'type=tmpfs', '--opt', 'device=tmpfs', '--opt', 'o=size=1m', 'tmpvol']);
  const c = await run(['-v', 'tmpvol:/v', '-e', 'T=/v', 'bb']);
  assert.notEqual(c.code, 0);
  assert.match(c.stdout, /No space left on device/);
  const mp = path.join(d.dataRoot, 'volumes', 'tmpvol', '_data');
  assert.ok(!mountinfoHas(mp), 'unmounted once no container uses it');
  await ok(['volume', 'rm', 'tmpvol']);
});

test('bad input: relative host path, too many colons, unknown --mount keys, uncreatable bind source', async () => {
  const beforeVols = (await volNames()).sort();
  const beforeCount = (await d.api('GET', '/containers/json?all=1')).json.length;
  const create = (hc: Record<string, unknown>) => d.api('POST', '/containers/create', { Image: 'bb', Cmd: ['true'], HostConfig: hc });
  const rel = await create({ Binds: ['rel/dir:/x'] });
  assert.equal(rel.status, 400);
  assert.match(rel.json.message, /invalid volume specification: 'rel\/dir:\/x'.*If you intended to pass a host directory, use absolute path/);
  const colons = await create({ Binds: ['/a:/b:ro:extra'] });
  assert.equal(colons.status, 400);
  assert.equal(colons.json.message, "invalid volume specification: '/a:/b:ro:extra'");
  const key = await create({ Mounts: [{ Type: 'volume', Target: '/x', Bogus: 1 }] });
  assert.equal(key.status, 400);
  assert.match(key.json.message, /unknown field "Bogus"/);
  const cliKey = await dk(['run', '--rm', '--mount', 'type=volume,target=/x,bogus=1', 'bb', 'true']);
  assert.notEqual(cliKey.code, 0);
  assert.match(cliKey.stderr, /bogus/);
  const missing = await create({ Mounts: [{ Type: 'bind', Source: '/nonexistent-wharf-src', Target: '/x' }] });
  assert.equal(missing.status, 400);
  assert.match(missing.json.message, /bind source path does not exist: \/nonexistent-wharf-src/);
  assert.equal((await d.api('GET', '/containers/json?all=1')).json.length, beforeCount);
  assert.deepEqual((await volNames()).sort(), beforeVols);
  // A -v bind whose source cannot be created fails at start (docker: 500), before any volume is made.
  const bad = await create({ Binds: ['/proc/wharf-nope/x:/x'], Mounts: [{ Type: 'volume', Target: '/anon' }] });
  assert.equal(bad.status, 201, bad.body);
  const start = await d.api('POST', `/containers/${bad.json.Id}/start`);
  assert.equal(start.status, 500);
  assert.match(start.json.message, /error while creating mount source path '\/proc\/wharf-nope\/x'/);
  assert.deepEqual((await volNames()).sort(), beforeVols);
  assert.equal((await d.api('DELETE', `/containers/${bad.json.Id}?v=1`)).status, 204);
});

test('SECURITY-CHECKS 16: a VOLUME over a symlink to /../../etc lands in the container\'s /etc; the host /etc is untouched', async () => {
  const marker = `wharf-marker-${randomBytes(4).toString('hex')}`;
  const hostEtc = fs.readdirSync('/etc').sort();
  const out = await ok(['run', '--name', 'evil1', 'evil', 'sh', '-c', `echo pwned > /link/${marker} && cat /etc/${marker} && grep -c root /etc/passwd && ls -A /esc/apt | wc -l`]);
  assert.equal(out, 'pwned\n1\n0\n');
  assert.ok(!fs.existsSync(`/etc/${marker}`));
  assert.deepEqual(fs.readdirSync('/etc').sort(), hostEtc);
  const mounts = (await d.api('GET', '/containers/evil1/json')).json.Mounts as { Destination: string; Name: string }[];
  const link = mounts.find((m) => m.Destination === '/link')!;
  const esc = mounts.find((m) => m.Destination === '/esc/apt')!;
  const linkDir = path.join(d.dataRoot, 'volumes', link.Name, '_data');
  assert.ok(fs.existsSync(path.join(linkDir, marker)));
  assert.ok(fs.existsSync(path.join(linkDir, 'passwd')), 'copy-up read the container\'s /etc');
  assert.match(fs.readFileSync(path.join(linkDir, 'passwd'), 'utf8'), /^u2:x:1001:1001:u2:\/home\/u2:\/bin\/sh$/m, 'the image\'s passwd, not the host\'s');
  assert.deepEqual(fs.readdirSync(path.join(d.dataRoot, 'volumes', esc.Name, '_data')), [], 'nothing copied from the host\'s /etc/apt');
  await ok(['rm', '-v', 'evil1']);
});

test('volume data survives container removal and a daemon restart', async () => {
  await ok(['run', '--rm', '-v', 'durable:/d', 'bb', 'sh', '-c', 'echo kept > /d/f']);
  await d.restart();
  assert.equal(await ok(['run', '--rm', '-v', 'durable:/d', 'bb', 'cat', '/d/f']), 'kept\n');
});

test('mount/unmount events with the container and destination; system df counts volumes', async () => {
  const since = Math.floor(Date.now() / 1000) - 1;
  await ok(['run', '--name', 'ev-user', '-v', 'ev-vol:/ev', 'bb', 'sh', '-c', 'printf 12345 > /ev/f']);
  const id = (await d.api('GET', '/containers/ev-user/json')).json.Id as string;
  const until = Math.ceil(Date.now() / 1000) + 1;
  const r = await d.api('GET', `/events?since=${since}&until=${until}&filters=${encodeURIComponent(JSON.stringify({ type: ['volume'], volume: ['ev-vol'] }))}`);
  const evs = r.body.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { Action: string; Actor: { Attributes: Record<string, string> } });
  assert.deepEqual(evs.map((e) => e.Action), ['create', 'mount', 'unmount']);
  assert.deepEqual(evs[1]!.Actor.Attributes, { container: id, destination: '/ev', driver: 'local', propagation: '', 'read/write': 'true' });
  assert.equal(evs[2]!.Actor.Attributes.container, id);
  const df = await d.api('GET', '/system/df');
  const v = (df.json.Volumes as { Name: string; UsageData: { Size: number; RefCount: number } }[]).find((x) => x.Name === 'ev-vol');
  assert.deepEqual(v?.UsageData, { Size: 5, RefCount: 1 });
  await ok(['rm', 'ev-user']);
});
