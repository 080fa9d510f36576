/**
 * docker 20.10 behaviour checked with docker-py's suite (area `links`): legacy links on the
 * default bridge (env, /etc/hosts, link names, inspect, `DELETE ?link=1`), `docker cp` into and
 * out of the volumes of a stopped or never-started container, and `docker diff` without the
 * engine's own mount points.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createTar } from '../../src/common/tar/index.ts';
import { startNetDaemon, until, type NetHarness } from './networking-harness.ts';

let h: NetHarness;
let work: string;
const R = randomBytes(4).toString('hex');

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-links-'));
  h = await startNetDaemon();
});

after(async () => {
  await h?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

function putTar(ref: string, dir: string, body: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: h.d.sock, method: 'PUT', path: `/containers/${ref}/archive?path=${encodeURIComponent(dir)}`, headers: { 'Content-Type': 'application/x-tar', 'Content-Length': String(body.length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const ip = async (name: string) => (await h.d.api('GET', `/containers/${name}/json`)).json.NetworkSettings.Networks.bridge.IPAddress as string;

test('HostConfig.Links: env, /etc/hosts, inspect and ps names as docker 20.10', async () => {
  await h.ok(['run', '-d', '--name', 'db', '-e', 'FOO=1', '-e', 'EQ=a=b', '--expose', '80', '--expose', '53/udp', '--expose', '9000-9002', 'busybox', 'sleep', '1000']);
  const dbIp = await ip('db');
  const dbHost = (await h.d.api('GET', '/containers/db/json')).json.Config.Hostname as string;
  const out = await h.ok(['run', '--name', 'web', '--link', 'db:my-sql', '--link', 'db', 'busybox', 'sh', '-c', 'env; echo ---; cat /etc/hosts']);
  const [envText, hosts] = out.split('---\n') as [string, string];
  const env = new Set(envText.split('\n'));
  for (const e of [
    'MY_SQL_NAME=/web/my-sql', `MY_SQL_PORT=udp://${dbIp}:53`,
    `MY_SQL_PORT_80_TCP=tcp://${dbIp}:80`, `MY_SQL_PORT_80_TCP_ADDR=${dbIp}`, 'MY_SQL_PORT_80_TCP_PORT=80', 'MY_SQL_PORT_80_TCP_PROTO=tcp',
    `MY_SQL_PORT_53_UDP=udp://${dbIp}:53`, `MY_SQL_PORT_9000_TCP_START=tcp://${dbIp}:9000`, `MY_SQL_PORT_9000_TCP_END=tcp://${dbIp}:9002`,
    'MY_SQL_PORT_9000_TCP_PORT_START=9000', 'MY_SQL_PORT_9000_TCP_PORT_END=9002',
    'MY_SQL_ENV_FOO=1', 'MY_SQL_ENV_EQ=a=b', 'DB_NAME=/web/db', 'DB_ENV_FOO=1',
  ]) assert.ok(env.has(e), `missing ${e} in\n${envText}`);
  assert.ok(![...env].some((e) => e.startsWith('MY_SQL_ENV_PATH=') || e.startsWith('MY_SQL_ENV_HOME=')), 'PATH and HOME are not copied');
  const lines = hosts.split('\n');
  assert.ok(lines.includes(`${dbIp}\tmy-sql ${dbHost} db`), hosts);
  assert.ok(lines.includes(`${dbIp}\tdb ${dbHost}`), hosts);
  const inspect = (await h.d.api('GET', '/containers/web/json')).json;
  assert.deepEqual(inspect.HostConfig.Links, ['/db:/web/my-sql', '/db:/web/db']);
  const list = (await h.d.api('GET', '/containers/json?all=1')).json as { Names: string[] }[];
  assert.ok(list.some((c) => JSON.stringify(c.Names) === JSON.stringify(['/db', '/web/db', '/web/my-sql'])), JSON.stringify(list.map((c) => c.Names)));
  // A link name names the linked container.
  assert.equal((await h.d.api('GET', '/containers/web%2Fmy-sql/json')).json.Name, '/db');
  // The container's own env wins over a link's.
  const own = await h.ok(['run', '--rm', '--link', 'db:x', '-e', 'X_ENV_FOO=mine', 'busybox', 'sh', '-c', 'echo $X_ENV_FOO']);
  assert.equal(own, 'mine');
  await h.ok(['rm', '-f', 'web']);
});

test('bad links get docker’s 400s; a stopped linked container refuses the start', async () => {
  const create = (hc: Record<string, unknown>) => h.d.api('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: hc });
  const cases: [Record<string, unknown>, string][] = [
    [{ Links: ['nope:al'] }, 'could not get container for nope: No such container: nope'],
    [{ Links: ['db:al:x'] }, 'bad format for links: db:al:x'],
    [{ Links: [''] }, 'empty string specified for links'],
    [{ NetworkMode: 'host', Links: ['db:al'] }, "conflicting options: host type networking can't be used with links. This would result in undefined behavior"],
    [{ NetworkMode: 'container:db', Links: ['db:al'] }, "conflicting options: container type network can't be used with links. This would result in undefined behavior"],
  ];
  for (const [hc, message] of cases) {
    const r = await create(hc);
    assert.equal(r.status, 400, JSON.stringify(hc));
    assert.equal(r.json.message, message);
  }
  await h.ok(['run', '-d', '--name', 'dead', 'busybox', 'sleep', '1000']);
  await h.ok(['create', '--name', 'orphan', '--link', 'dead:al', 'busybox', 'true']);
  await h.ok(['rm', '-f', 'dead']);
  // Removing the linked container drops the link: the parent still starts.
  assert.equal((await h.d.api('GET', '/containers/orphan/json')).json.HostConfig.Links, null);
  await h.ok(['start', 'orphan']);
  await h.ok(['run', '-d', '--name', 'sleepy', 'busybox', 'sleep', '1000']);
  await h.ok(['create', '--name', 'needs', '--link', 'sleepy:s', 'busybox', 'true']);
  await h.ok(['stop', '-t', '0', 'sleepy']);
  const r = await h.d.api('POST', '/containers/needs/start');
  assert.equal(r.status, 409);
  assert.equal(r.json.message, 'Cannot link to a non running container: /sleepy AS /needs/s');
  await h.ok(['rm', '-f', 'orphan', 'needs', 'sleepy']);
});

test('DELETE /containers/{parent}/{alias}?link=1 removes the link, not a container', async () => {
  await h.ok(['run', '-d', '--name', 'p1', '--link', 'db:alias', 'busybox', 'sleep', '1000']);
  assert.match(await h.ok(['exec', 'p1', 'cat', '/etc/hosts']), /\talias /);
  const bad: [string, number, string][] = [
    ['db', 400, 'Conflict, cannot remove the default link name of the container'],
    ['nope/alias', 404, 'No such container: nope/alias'],
    ['p1/nope', 404, 'No such container: p1/nope'],
    ['p1/alias/x', 404, 'No such container: p1/alias/x'],
  ];
  for (const [ref, status, message] of bad) {
    const r = await h.d.api('DELETE', `/containers/${ref}?link=1`);
    assert.equal(r.status, status, ref);
    assert.equal(r.json.message, message);
  }
  assert.equal((await h.d.api('DELETE', '/containers/p1/alias?link=1')).status, 204);
  assert.equal((await h.d.api('GET', '/containers/p1/json')).json.HostConfig.Links, null);
  assert.equal((await h.d.api('GET', '/containers/db/json')).json.State.Running, true);
  assert.doesNotMatch(await h.ok(['exec', 'p1', 'cat', '/etc/hosts']), /\talias /);
  const list = (await h.d.api('GET', '/containers/json')).json as { Names: string[] }[];
  assert.ok(!list.some((c) => c.Names.includes('/p1/alias')));
  await h.ok(['rm', '-f', 'p1']);
});

test('a linked container that comes back with a new address updates the parent’s /etc/hosts', async () => {
  await h.ok(['run', '-d', '--name', 'child', 'busybox', 'sleep', '1000']);
  await h.ok(['run', '-d', '--name', 'parent', '--link', 'child:c', 'busybox', 'sleep', '1000']);
  const first = await ip('child');
  await h.ok(['stop', '-t', '0', 'child']);
  await h.ok(['run', '-d', '--name', 'squatter', 'busybox', 'sleep', '1000']); // takes the freed address
  await h.ok(['start', 'child']);
  const second = await ip('child');
  assert.notEqual(second, first);
  await until(async () => (await h.ok(['exec', 'parent', 'cat', '/etc/hosts'])).includes(`${second}\tc `), 'parent hosts updated');
  await h.ok(['rm', '-f', 'parent', 'child', 'squatter']);
});

test('cp into and out of the volumes of a created and a stopped container', async () => {
  const bind = path.join(work, 'bind');
  fs.mkdirSync(bind);
  await h.ok(['create', '--name', 'cpv', '-v', '/vol1', '-v', '/etc', '-v', `${bind}:/mnt/b`, 'busybox', 'sh', '-c', 'cat /vol1/f.txt /etc/f.txt /mnt/b/f.txt; ls /etc']);
  fs.writeFileSync(path.join(work, 'f.txt'), 'hello\n');
  for (const dest of ['cpv:/vol1/', 'cpv:/etc/', 'cpv:/mnt/b/']) await h.ok(['cp', path.join(work, 'f.txt'), dest]);
  assert.equal(fs.readFileSync(path.join(bind, 'f.txt'), 'utf8'), 'hello\n');
  // HEAD and GET see the volume of a never-started container.
  assert.equal((await h.d.api('HEAD', '/containers/cpv/archive?path=/vol1/f.txt')).status, 200);
  await h.ok(['cp', 'cpv:/vol1/f.txt', path.join(work, 'back.txt')]);
  assert.equal(fs.readFileSync(path.join(work, 'back.txt'), 'utf8'), 'hello\n');
  const out = await h.ok(['start', '-a', 'cpv']);
  assert.match(out, /^hello\nhello\nhello\n/);
  assert.match(out, /passwd/, 'the /etc volume was filled from the image before the copy');
  // Stopped now: a second copy reaches the same volume.
  fs.writeFileSync(path.join(work, 'f.txt'), 'again\n');
  await h.ok(['cp', path.join(work, 'f.txt'), 'cpv:/vol1/']);
  assert.match(await h.ok(['start', '-a', 'cpv']), /^again\n/);
  // Extraction into a stopped container's volume never leaves the container.
  const hostile = createTar([
    { header: { name: 'evil', type: 'symlink', linkname: '/' } },
    { header: { name: `evil/tmp/pwn-${R}`, type: 'file' }, body: 'pwn' },
  ]);
  assert.equal((await putTar('cpv', '/vol1', hostile)).status, 200);
  assert.ok(!fs.existsSync(`/tmp/pwn-${R}`), 'escaped to the host');
  assert.equal((await putTar('cpv', '/vol1', createTar([{ header: { name: `../escape-${R}`, type: 'file' }, body: 'e' }]))).status, 400);
  await h.ok(['cp', `cpv:/tmp/pwn-${R}`, path.join(work, 'pwn.txt')]);
  assert.equal(fs.readFileSync(path.join(work, 'pwn.txt'), 'utf8'), 'pwn');
  // No volume stays in use by the stopped container.
  const vols = (await h.d.api('GET', '/volumes')).json.Volumes as { Name: string }[];
  assert.equal(vols.length, 2);
  await h.ok(['rm', '-v', 'cpv']);
  assert.equal(((await h.d.api('GET', '/volumes')).json.Volumes ?? []).length, 0);
});

test('diff leaves out the engine’s own mount points', async () => {
  await h.ok(['run', '--name', 'd1', 'busybox', 'touch', '/test']);
  assert.deepEqual((await h.d.api('GET', '/containers/d1/changes')).json, [{ Path: '/test', Kind: 1 }]);
  await h.ok(['run', '--name', 'd2', '-v', '/vol1', 'busybox', 'sh', '-c', 'mkdir /etc/foo && echo x > /dev/shm/x']);
  const paths = ((await h.d.api('GET', '/containers/d2/changes')).json as { Path: string; Kind: number }[]).map((c) => `${c.Kind} ${c.Path}`);
  assert.deepEqual(paths.sort(), ['0 /etc', '1 /etc/foo', '1 /vol1']);
  await h.ok(['create', '--name', 'd3', 'busybox', 'true']);
  const fresh = await h.d.api('GET', '/containers/d3/changes');
  assert.equal(fresh.status, 200);
  assert.equal(fresh.body.trim(), 'null');
  await h.ok(['rm', '-v', 'd1', 'd2', 'd3']);
});
