/**
 * Images as docker 20.10 shows them: commit (running containers paused, ones exiting meanwhile,
 * changes), `info` Images against `images?all=1`, dangling=true heads, `system df` (images
 * with container counts and shared sizes, container and volume sizes, `type`), the space prunes
 * report, and `system df -v` in both CLIs.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { importBusybox } from '../helpers/images.ts';

let d: TestDaemon;
before(async () => { d = await startDaemon(); await importBusybox(d); });
after(async () => { await d?.stop(); });

async function ok(method: string, p: string, body?: unknown) {
  const r = await d.api(method, p, body);
  assert.ok(r.status < 300, `${method} ${p}: ${r.status} ${r.body}`);
  return r.json;
}

async function createStarted(cmd: string[], extra: Record<string, unknown> = {}): Promise<string> {
  const { Id } = await ok('POST', '/containers/create', { Image: 'bb', Cmd: cmd, ...extra });
  await ok('POST', `/containers/${Id}/start`);
  return Id;
}

test('commit right after start works even when the container exits meanwhile', async () => {
  const bb = (await ok('GET', '/images/bb/json')).Id;
  for (let i = 0; i < 4; i++) {
    const id = await createStarted(['touch', '/test']);
    const r = await d.api('POST', `/v1.41/commit?container=${id}`);
    assert.equal(r.status, 201, r.body);
    const img = (await d.api('GET', `/v1.41/images/${r.json.Id}/json`)).json;
    assert.ok(img.Container.startsWith(id));
    assert.equal(img.ContainerConfig.Image, 'bb');
    assert.equal(img.Parent, bb);
    await ok('DELETE', `/containers/${id}?force=1`);
    await ok('DELETE', `/images/${r.json.Id}`);
  }
});

test('commit of a running container pauses it for the commit only, and applies changes', async () => {
  const id = await createStarted(['sh', '-c', 'echo hi > /made; sleep 60']);
  const since = Math.floor(Date.now() / 1000) - 1;
  const q = new URLSearchParams({ container: id });
  q.append('changes', 'EXPOSE 8000');
  q.append('changes', 'CMD ["bash"]');
  const r = await d.api('POST', `/commit?${q}`);
  assert.equal(r.status, 201, r.body);
  const img = (await ok('GET', `/images/${r.json.Id}/json`));
  assert.deepEqual(Object.keys(img.Config.ExposedPorts), ['8000/tcp']);
  assert.deepEqual(img.Config.Cmd, ['bash']);
  const st = (await ok('GET', `/containers/${id}/json`)).State;
  assert.equal(st.Running, true);
  assert.equal(st.Paused, false);
  const events = async () => (await d.api('GET', `/events?since=${since}&until=${Math.ceil(Date.now() / 1000)}&filters=${encodeURIComponent(JSON.stringify({ container: [id] }))}`))
    .body.trim().split('\n').map((l) => JSON.parse(l).Action as string);
  assert.deepEqual((await events()).filter((a) => ['pause', 'unpause', 'commit'].includes(a)), ['pause', 'commit', 'unpause']);
  const nopause = await d.api('POST', `/commit?container=${id}&pause=0`);
  assert.equal(nopause.status, 201, nopause.body);
  assert.deepEqual((await events()).filter((a) => ['pause', 'unpause', 'commit'].includes(a)), ['pause', 'commit', 'unpause', 'commit'], 'pause=0 does not pause');
  await ok('DELETE', `/containers/${id}?force=1`);
  await ok('DELETE', `/images/${r.json.Id}`);
  await ok('DELETE', `/images/${nopause.json.Id}`);
});

test('info Images counts every image, as images?all=1 lists them; dangling=true lists heads only', async () => {
  const c1 = await createStarted(['true']);
  await ok('POST', `/containers/${c1}/wait`);
  const a = (await ok('POST', `/commit?container=${c1}`)).Id;
  const { Id: c2 } = await ok('POST', '/containers/create', { Image: a, Cmd: ['true'] });
  const b = (await ok('POST', `/commit?container=${c2}`)).Id;
  const all = await ok('GET', '/v1.41/images/json?all=1');
  const ids = new Set(all.map((i: { Id: string }) => i.Id));
  assert.ok(ids.has(a) && ids.has(b));
  assert.equal((await ok('GET', '/info')).Images, ids.size);
  const top = (await ok('GET', '/images/json')).map((i: { Id: string }) => i.Id);
  assert.ok(!top.includes(a), 'an untagged parent is hidden without all');
  for (const q of ['', 'all=1&']) {
    const dangling = (await ok('GET', `/images/json?${q}filters=${encodeURIComponent('{"dangling":["true"]}')}`)).map((i: { Id: string }) => i.Id);
    assert.deepEqual(dangling, [b], q);
  }
  await ok('DELETE', `/containers/${c1}`);
  await ok('DELETE', `/containers/${c2}`);
  await ok('DELETE', `/images/${b}`);
});

test('system df: images with containers and shared sizes, container writes, volume usage, build cache', async () => {
  const ctx = path.join(d.dir, 'df-ctx');
  fs.mkdirSync(ctx);
  fs.writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM bb\nLABEL df=1\nRUN head -c 300000 /dev/zero > /a\n');
  assert.equal((await d.cli(['build', '-q', '-t', 'df-a', ctx])).code, 0);
  fs.writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM df-a\nRUN head -c 200000 /dev/zero > /b\n');
  assert.equal((await d.cli(['build', '-q', '-t', 'df-b', ctx])).code, 0);
  await ok('POST', '/volumes/create', { Name: 'df-v' });
  // 50000 bytes, a symlink to "/w" (2 bytes) and a hard link (counted once): docker's 50002.
  const w = await createStarted(['sh', '-c', 'head -c 100000 /dev/zero > /data/x; head -c 50000 /dev/zero > /w; ln -s /w /wl; ln /w /wh'],
    { HostConfig: { Binds: ['df-v:/data'] }, Labels: { dfw: '1' } });
  await ok('POST', `/containers/${w}/wait`);
  const { Id: idle } = await ok('POST', '/containers/create', { Image: 'df-b' });

  const df = await ok('GET', '/v1.41/system/df');
  const img = (tag: string) => df.Images.find((i: { RepoTags: string[] }) => i.RepoTags.includes(tag));
  const [bb, a, b] = [img('bb:latest'), img('df-a:latest'), img('df-b:latest')];
  assert.equal(df.Images.length, 3);
  assert.equal(a.Size - bb.Size, 300000);
  assert.equal(b.Size - a.Size, 200000);
  assert.equal(bb.SharedSize, bb.Size);
  assert.equal(a.SharedSize, a.Size);
  assert.equal(b.SharedSize, a.Size);
  assert.deepEqual([bb.Containers, a.Containers, b.Containers], [1, 0, 1]);
  assert.equal(b.VirtualSize, b.Size);
  assert.equal(df.LayersSize, b.Size);
  const cw = df.Containers.find((c: { Id: string }) => c.Id === w);
  assert.equal(cw.SizeRw, 50002);
  assert.equal(cw.SizeRootFs, bb.Size + 50002);
  const ci = df.Containers.find((c: { Id: string }) => c.Id === idle);
  assert.equal(ci.SizeRw, undefined, 'omitted when nothing was written, as docker does');
  assert.deepEqual(df.Volumes.find((v: { Name: string }) => v.Name === 'df-v').UsageData, { Size: 100000, RefCount: 1 });
  assert.deepEqual(df.BuildCache, []);
  assert.equal(df.BuilderSize, 0);

  const listed = await ok('GET', '/images/json?shared-size=1');
  assert.equal(listed.find((i: { Id: string }) => i.Id === b.Id).SharedSize, a.Size, 'shared-size=1 (API 1.42+)');
  assert.equal((await ok('GET', '/v1.41/images/json?shared-size=1')).find((i: { Id: string }) => i.Id === b.Id).SharedSize, -1);
  const only = await ok('GET', '/system/df?type=volume');
  assert.deepEqual(Object.keys(only), ['Volumes']);
  const bad = await d.api('GET', '/system/df?type=bogus');
  assert.equal(bad.status, 400);
  assert.match(bad.json.message, /unknown object type: bogus/);

  const cli = await d.cli(['system', 'df']);
  assert.match(cli.stdout, /^Images\s+3\s+2\s+\S+MB\s+\S+ \(\d+%\)$/m, cli.stdout);
  assert.match(cli.stdout, /^Containers\s+2\s+0\s+50kB\s+50kB \(100%\)$/m);
  assert.match(cli.stdout, /^Local Volumes\s+1\s+1\s+100kB\s+0B \(0%\)$/m);
  const v = await d.cli(['system', 'df', '-v']);
  assert.match(v.stdout, /^Images space usage:\n\nREPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\s+SHARED SIZE\s+UNIQUE SIZE\s+CONTAINERS\n/);
  assert.match(v.stdout, /^df-b\s+latest\s+\w{12}\s+.+ago\s+\S+MB\s+\S+MB\s+200kB\s+1$/m, v.stdout);
  assert.match(v.stdout, /^df-v\s+1\s+100kB$/m);
  assert.match(v.stdout, /\nBuild cache usage: 0B\n\nCACHE ID\s+CACHE TYPE/);
  const dk = await d.docker(['system', 'df']);
  assert.equal(dk.code, 0, dk.stderr);
  assert.equal(dk.stdout, cli.stdout, 'the docker CLI prints the same table');

  // Prunes report what they freed.
  const prune = (f: unknown) => d.api('POST', `/containers/prune?filters=${encodeURIComponent(JSON.stringify(f))}`);
  const badFilter = await prune({ id: [w] });
  assert.equal(badFilter.status, 400);
  assert.equal(badFilter.json.message, "invalid filter 'id'");
  const recent = await prune({ until: ['1h'] });
  assert.deepEqual(recent.json, { ContainersDeleted: null, SpaceReclaimed: 0 }, 'until=1h keeps containers created just now');
  const cp = (await prune({ label: ['dfw=1'] })).json;
  assert.deepEqual(cp, { ContainersDeleted: [w], SpaceReclaimed: 50002 });
  await ok('DELETE', `/containers/${idle}`);
  const none = await ok('POST', `/containers/prune?filters=${encodeURIComponent('{"label":["nothing-has-it"]}')}`);
  assert.deepEqual(none, { ContainersDeleted: null, SpaceReclaimed: 0 });
  const ip = await ok('POST', `/images/prune?filters=${encodeURIComponent('{"dangling":["false"],"label":["df=1"]}')}`);
  assert.equal(ip.SpaceReclaimed, 500000, JSON.stringify(ip));
  assert.ok(ip.ImagesDeleted.some((x: { Untagged?: string }) => x.Untagged === 'df-b:latest'));
  const vp = await ok('POST', `/volumes/prune?filters=${encodeURIComponent('{"all":["true"]}')}`);
  assert.deepEqual(vp, { VolumesDeleted: ['df-v'], SpaceReclaimed: 100000 });
  assert.deepEqual(await ok('POST', '/build/prune'), { CachesDeleted: null, SpaceReclaimed: 0 });
});

test('images/json filters: reference patterns, labels, before/since; bad values are 400', async () => {
  for (const t of ['flt/x:1', 'flt/y:2', 'localhost:5000/flt/z:3']) {
    const [repo, tag] = [t.slice(0, t.lastIndexOf(':')), t.slice(t.lastIndexOf(':') + 1)];
    await ok('POST', `/images/bb/tag?repo=${encodeURIComponent(repo)}&tag=${tag}`);
  }
  const c1 = await createStarted(['true'], { Labels: {} });
  await ok('POST', `/containers/${c1}/wait`);
  const l1 = (await ok('POST', `/commit?container=${c1}&repo=flt/l&tag=1&changes=${encodeURIComponent('LABEL fltl=one other=x')}`)).Id;
  await new Promise((r) => setTimeout(r, 1100));
  const l2 = (await ok('POST', `/commit?container=${c1}&repo=flt/l&tag=2&changes=${encodeURIComponent('LABEL fltl=two')}`)).Id;
  const list = async (f: unknown) => {
    const r = await d.api('GET', `/v1.41/images/json?filters=${encodeURIComponent(JSON.stringify(f))}`);
    if (r.status !== 200) return r;
    return (r.json as Array<{ RepoTags: string[] }>).flatMap((i) => i.RepoTags).filter((t) => t.includes('flt/')).sort();
  };
  assert.deepEqual(await list({ reference: ['flt/*'] }), ['flt/l:1', 'flt/l:2', 'flt/x:1', 'flt/y:2']);
  assert.deepEqual(await list({ reference: ['flt/*:1'] }), ['flt/l:1', 'flt/x:1']);
  assert.deepEqual(await list({ reference: ['*/flt/*'] }), ['localhost:5000/flt/z:3']);
  assert.deepEqual(await list({ reference: ['flt/x'] }), ['flt/x:1']);
  assert.deepEqual(await list({ label: ['fltl'] }), ['flt/l:1', 'flt/l:2']);
  assert.deepEqual(await list({ label: ['fltl=two'] }), ['flt/l:2']);
  assert.deepEqual(await list({ label: ['fltl', 'other'] }), ['flt/l:1']);
  assert.deepEqual(await list({ since: ['flt/l:1'] }), ['flt/l:2']);
  assert.ok(!(await list({ before: ['flt/l:2'] }) as string[]).includes('flt/l:2'));
  const bad = await list({ reference: ['[bad'] }) as { status: number; json: { message: string } };
  assert.equal(bad.status, 400);
  assert.equal(bad.json.message, 'syntax error in pattern');
  const dang = await list({ dangling: ['maybe'] }) as { status: number; json: { message: string } };
  assert.equal(dang.status, 400);
  assert.equal(dang.json.message, "invalid filter 'dangling=maybe'");
  const missing = await list({ since: ['nope:9'] }) as { status: number; json: { message: string } };
  assert.equal(missing.status, 404);
  assert.equal(missing.json.message, 'No such image: nope:9');
  await ok('DELETE', `/containers/${c1}`);
  for (const t of ['flt/x:1', 'flt/y:2', 'localhost:5000/flt/z:3']) await ok('DELETE', `/images/${encodeURIComponent(t)}`);
  await ok('DELETE', `/images/${l1}`);
  await ok('DELETE', `/images/${l2}`);
});
