/**
 * The registry server over real HTTP on 127.0.0.1: uploads (monolithic, chunked, mount),
 * blob Range reads, manifest negotiation, tags/catalog/search, htpasswd auth, and
 * SECURITY-CHECKS 14 (wrong digest, unknown blob, mismatching PUT digest, wrong size).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sha256, startRegistry, type TestRegistry } from './registry-fixtures.ts';

const schema2 = 'application/vnd.docker.distribution.manifest.v2+json';
const list = 'application/vnd.docker.distribution.manifest.list.v2+json';

async function upload(base: string, repo: string, data: Buffer): Promise<string> {
  const d = sha256(data);
  const r = await fetch(`${base}/v2/${repo}/blobs/uploads/?digest=${d}`, { method: 'POST', body: new Uint8Array(data) });
  assert.equal(r.status, 201);
  assert.equal(r.headers.get('docker-content-digest'), d);
  return d;
}

function imageManifest(config: Buffer, layers: Buffer[], sizeDelta = 0): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: schema2,
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: sha256(config), size: config.length },
    layers: layers.map((l) => ({ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: sha256(l), size: l.length + sizeDelta })),
  });
}

describe('registry server', () => {
  let reg: TestRegistry;
  let base: string;
  before(async () => {
    reg = await startRegistry();
    base = `http://${reg.host}`;
  });
  after(() => reg.close());

  it('answers /v2/ with the API version header', async () => {
    const r = await fetch(`${base}/v2/`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('docker-distribution-api-version'), 'registry/2.0');
    assert.equal(await r.text(), '{}');
  });

  it('chunked upload with PATCH, status, PUT; Range reads', async () => {
    const data = Buffer.from('0123456789abcdef'.repeat(100));
    let r = await fetch(`${base}/v2/ns/chunked/blobs/uploads/`, { method: 'POST' });
    assert.equal(r.status, 202);
    let loc = r.headers.get('location')!;
    r = await fetch(new URL(loc, base), { method: 'PATCH', body: new Uint8Array(data.subarray(0, 700)), headers: { 'Content-Range': '0-699' } });
    assert.equal(r.status, 202);
    assert.equal(r.headers.get('range'), '0-699');
    loc = r.headers.get('location')!;
    r = await fetch(new URL(loc, base), { method: 'PATCH', body: new Uint8Array(data.subarray(0, 10)), headers: { 'Content-Range': '0-9' } });
    assert.equal(r.status, 416, 'a chunk at the wrong offset is refused');
    r = await fetch(new URL(loc, base));
    assert.equal(r.status, 204);
    assert.equal(r.headers.get('range'), '0-699');
    const u = new URL(loc, base);
    u.searchParams.set('digest', sha256(data));
    r = await fetch(u, { method: 'PUT', body: new Uint8Array(data.subarray(700)) });
    assert.equal(r.status, 201);
    r = await fetch(`${base}/v2/ns/chunked/blobs/${sha256(data)}`, { headers: { Range: 'bytes=1500-' } });
    assert.equal(r.status, 206);
    assert.equal(r.headers.get('content-range'), `bytes 1500-1599/1600`);
    assert.deepEqual(Buffer.from(await r.arrayBuffer()), data.subarray(1500));
    r = await fetch(`${base}/v2/ns/chunked/blobs/${sha256(data)}`, { method: 'HEAD' });
    assert.equal(r.headers.get('content-length'), '1600');
    r = await fetch(`${base}/v2/ns/other/blobs/${sha256(data)}`, { method: 'HEAD' });
    assert.equal(r.status, 404, 'blobs are scoped to the repositories they were pushed to');
  });

  it('cross-repo mount links a blob without an upload', async () => {
    const d = await upload(base, 'ns/mount-src', Buffer.from('mount me'));
    const r = await fetch(`${base}/v2/ns/mount-dst/blobs/uploads/?mount=${d}&from=ns/mount-src`, { method: 'POST' });
    assert.equal(r.status, 201);
    assert.equal((await fetch(`${base}/v2/ns/mount-dst/blobs/${d}`)).status, 200);
  });

  it('check 14: upload with a wrong digest is 400 DIGEST_INVALID and leaves nothing', async () => {
    const data = Buffer.from('real content');
    const wrong = sha256('other content');
    let r = await fetch(`${base}/v2/ns/c14/blobs/uploads/`, { method: 'POST' });
    const loc = new URL(r.headers.get('location')!, base);
    loc.searchParams.set('digest', wrong);
    r = await fetch(loc, { method: 'PUT', body: new Uint8Array(data) });
    assert.equal(r.status, 400);
    const body = (await r.json()) as { errors: { code: string }[] };
    assert.equal(body.errors[0].code, 'DIGEST_INVALID');
    assert.equal((await fetch(loc)).status, 404, 'the failed upload is removed');
    assert.equal((await fetch(`${base}/v2/ns/c14/blobs/${wrong}`, { method: 'HEAD' })).status, 404);
    assert.equal((await fetch(`${base}/v2/ns/c14/blobs/${sha256(data)}`, { method: 'HEAD' })).status, 404);
    await assert.rejects(fs.access(path.join(reg.srv.storage.root, 'blobs', 'sha256', sha256(data).slice(7))));
    assert.deepEqual(await fs.readdir(path.join(reg.srv.storage.root, 'uploads')), []);
    // monolithic POST ?digest= with the wrong digest too
    r = await fetch(`${base}/v2/ns/c14/blobs/uploads/?digest=${wrong}`, { method: 'POST', body: new Uint8Array(data) });
    assert.equal(r.status, 400);
    assert.equal(((await r.json()) as { errors: { code: string }[] }).errors[0].code, 'DIGEST_INVALID');
    assert.deepEqual(await fs.readdir(path.join(reg.srv.storage.root, 'uploads')), []);
  });

  it('check 14: manifests with an unknown blob, a mismatching digest, a wrong size', async () => {
    const config = Buffer.from('{"rootfs":{"type":"layers","diff_ids":[]}}');
    const layer = Buffer.from('layer bytes');
    await upload(base, 'ns/m', config);
    let r = await fetch(`${base}/v2/ns/m/manifests/v1`, { method: 'PUT', body: imageManifest(config, [layer]), headers: { 'Content-Type': schema2 } });
    assert.equal(r.status, 400);
    assert.equal(((await r.json()) as { errors: { code: string }[] }).errors[0].code, 'MANIFEST_BLOB_UNKNOWN');
    await upload(base, 'ns/m', layer);
    const good = imageManifest(config, [layer]);
    r = await fetch(`${base}/v2/ns/m/manifests/${sha256('not it')}`, { method: 'PUT', body: good, headers: { 'Content-Type': schema2 } });
    assert.equal(r.status, 400);
    assert.equal(((await r.json()) as { errors: { code: string }[] }).errors[0].code, 'DIGEST_INVALID');
    r = await fetch(`${base}/v2/ns/m/manifests/v1`, { method: 'PUT', body: imageManifest(config, [layer], 1), headers: { 'Content-Type': schema2 } });
    assert.equal(r.status, 400);
    assert.equal(((await r.json()) as { errors: { code: string }[] }).errors[0].code, 'MANIFEST_INVALID');
    assert.equal((await fetch(`${base}/v2/ns/m/manifests/v1`)).status, 404, 'nothing was tagged');
    r = await fetch(`${base}/v2/ns/m/manifests/${sha256(good)}`, { method: 'PUT', body: good, headers: { 'Content-Type': schema2 } });
    assert.equal(r.status, 201);
    assert.equal(r.headers.get('docker-content-digest'), sha256(good));
  });

  it('manifest negotiation, tags, catalog and v1 search', async () => {
    const config = Buffer.from('{"rootfs":{"type":"layers","diff_ids":[]}}');
    await upload(base, 'team/app', config);
    const img = imageManifest(config, []);
    let r = await fetch(`${base}/v2/team/app/manifests/amd64`, { method: 'PUT', body: img, headers: { 'Content-Type': schema2 } });
    assert.equal(r.status, 201);
    const idx = JSON.stringify({
      schemaVersion: 2,
      mediaType: list,
      manifests: [{ mediaType: schema2, digest: sha256(img), size: img.length, platform: { os: 'linux', architecture: 'amd64' } }],
    });
    r = await fetch(`${base}/v2/team/app/manifests/latest`, { method: 'PUT', body: idx, headers: { 'Content-Type': list } });
    assert.equal(r.status, 201);
    r = await fetch(`${base}/v2/team/app/manifests/latest`, { headers: { Accept: `${schema2}, ${list}` } });
    assert.equal(r.headers.get('content-type'), list);
    assert.equal(r.headers.get('docker-content-digest'), sha256(idx));
    r = await fetch(`${base}/v2/team/app/manifests/latest`, { headers: { Accept: schema2 } });
    assert.equal(r.headers.get('content-type'), schema2, 'a client without list support gets the linux/amd64 image');
    assert.equal(r.headers.get('docker-content-digest'), sha256(img));
    r = await fetch(`${base}/v2/team/app/tags/list`);
    assert.equal(await r.text(), '{"name":"team/app","tags":["amd64","latest"]}');
    r = await fetch(`${base}/v2/team/app/tags/list?n=1`);
    assert.deepEqual(((await r.json()) as { tags: string[] }).tags, ['amd64']);
    assert.match(r.headers.get('link') ?? '', /last=amd64&n=1>; rel="next"/);
    assert.equal((await fetch(`${base}/v2/team/nope/tags/list`)).status, 404);
    const cat = (await (await fetch(`${base}/v2/_catalog`)).json()) as { repositories: string[] };
    assert.ok(cat.repositories.includes('team/app'));
    const s = (await (await fetch(`${base}/v1/search?q=team&n=5`)).json()) as Record<string, unknown>;
    assert.deepEqual(s.results, [{ name: 'team/app', description: '', star_count: 0, is_official: false, is_automated: false }]);
    assert.equal(s.num_results, 1);
    assert.equal(s.query, 'team');
    r = await fetch(`${base}/v2/team/app/manifests/${sha256(img)}`, { method: 'DELETE' });
    assert.equal(r.status, 202);
    assert.equal((await fetch(`${base}/v2/team/app/manifests/amd64`)).status, 404);
  });

  it('purges abandoned uploads', async () => {
    const r = await fetch(`${base}/v2/ns/stale/blobs/uploads/`, { method: 'POST' });
    const uuid = r.headers.get('docker-upload-uuid')!;
    const dir = path.join(reg.srv.storage.root, 'uploads', uuid);
    const old = new Date(Date.now() - 48 * 3600_000);
    await fs.utimes(path.join(dir, 'data'), old, old);
    assert.equal(await reg.srv.storage.purgeUploads(24 * 3600_000), 1);
    await assert.rejects(fs.access(dir));
    assert.equal((await fetch(`${base}/v2/ns/stale/blobs/uploads/${uuid}`)).status, 404);
  });

  it('refuses invalid names and references', async () => {
    let r = await fetch(`${base}/v2/Bad/Name/tags/list`);
    assert.equal(r.status, 400);
    assert.equal(((await r.json()) as { errors: { code: string }[] }).errors[0].code, 'NAME_INVALID');
    r = await fetch(`${base}/v2/ok/blobs/sha256:zz`);
    assert.equal(r.status, 400);
  });
});

describe('registry server with htpasswd', () => {
  let reg: TestRegistry;
  before(async () => {
    reg = await startRegistry({ user: 'alice', password: 's3cret' });
  });
  after(() => reg.close());

  it('401 with a Basic challenge without or with wrong credentials; 200 with the right ones', async () => {
    const base = `http://${reg.host}`;
    let r = await fetch(`${base}/v2/`);
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('www-authenticate'), 'Basic realm="test-registry"');
    assert.deepEqual(await r.json(), { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required', detail: null }] });
    const basic = (u: string, p: string) => ({ Authorization: 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64') });
    assert.equal((await fetch(`${base}/v2/`, { headers: basic('alice', 'nope') })).status, 401);
    assert.equal((await fetch(`${base}/v2/`, { headers: basic('bob', 's3cret') })).status, 401);
    assert.equal((await fetch(`${base}/v2/`, { headers: basic('alice', 's3cret') })).status, 200);
    assert.equal((await fetch(`${base}/v2/_catalog`)).status, 401);
    assert.equal((await fetch(`${base}/v1/search?q=x`)).status, 401);
    assert.equal((await fetch(`${base}/v1/_ping`)).status, 200);
  });
});
