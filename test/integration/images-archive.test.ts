import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { harness, sha256, smallRootfs } from './images-harness.ts';
import { createTar, TarReader } from '../../src/common/tar/index.ts';

async function collect(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

async function members(archive: Buffer): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for await (const { header, body } of new TarReader(Readable.from([archive]))) {
    const parts: Buffer[] = [];
    for await (const c of body) parts.push(Buffer.from(c));
    out.set(header.name, Buffer.concat(parts));
  }
  return out;
}

const file = (name: string, body: Buffer | string) => ({ header: { name, type: 'file' as const, mode: 0o644, mtime: 1700000000, size: Buffer.byteLength(body) }, body });

test('save writes an OCI layout plus manifest.json and repositories; load gives the same ids back', async (t) => {
  const h = harness(t);
  const base = await h.service.import(Readable.from([smallRootfs()]), { repo: 'bb', changes: ['CMD ["/bin/hello"]'] });
  const diff = createTar([file('srv/x', 'x\n')]);
  const app = await h.service.createImage({ parent: base, layer: Readable.from([diff]), config: { Cmd: ['x'] }, tag: 'localhost:5000/app:v1' });
  h.service.tag('bb', 'bb:v2');
  h.events.length = 0;
  const archive = await collect(h.service.save(['bb:latest', 'localhost:5000/app:v1']));
  assert.deepEqual(h.events.map((e) => e.Action), ['save', 'save']);
  const m = await members(archive);
  const names = [...m.keys()];
  assert.ok(names.includes('oci-layout') && names.includes('index.json') && names.includes('manifest.json') && names.includes('repositories'));
  assert.deepEqual(JSON.parse(m.get('oci-layout')!.toString()), { imageLayoutVersion: '1.0.0' });
  const manifest = JSON.parse(m.get('manifest.json')!.toString());
  assert.deepEqual(manifest.map((x: { RepoTags: string[] }) => x.RepoTags), [['bb:latest'], ['localhost:5000/app:v1']]);
  assert.equal(manifest[0].Config, `blobs/sha256/${base.slice(7)}`);
  // Every blob is named by the sha256 of its bytes; the config blob is the image id.
  for (const [name, data] of m) if (name.startsWith('blobs/sha256/') && data.length) assert.equal(sha256(data), `sha256:${name.slice(13)}`, name);
  assert.equal(sha256(m.get(manifest[1].Config)!), app);
  assert.deepEqual(manifest[1].Layers, [`blobs/sha256/${sha256(smallRootfs()).slice(7)}`, `blobs/sha256/${sha256(diff).slice(7)}`]);
  const index = JSON.parse(m.get('index.json')!.toString());
  assert.deepEqual(index.manifests.map((d: { annotations: Record<string, string> }) => d.annotations['io.containerd.image.name']), ['docker.io/library/bb:latest', 'localhost:5000/app:v1']);
  const repos = JSON.parse(m.get('repositories')!.toString());
  assert.deepEqual(repos, { bb: { latest: sha256(smallRootfs()).slice(7) }, 'localhost:5000/app': { v1: sha256(diff).slice(7) } });

  // Load into a fresh store: same ids, same tags, docker's lines.
  const h2 = harness(t);
  const lines: string[] = [];
  const out = await h2.service.load(Readable.from([archive]), (l) => lines.push(l));
  assert.deepEqual(out, ['Loaded image: bb:latest', 'Loaded image: localhost:5000/app:v1']);
  assert.deepEqual(lines, out);
  assert.equal(h2.service.lookup('bb:latest'), base);
  assert.equal(h2.service.lookup('localhost:5000/app:v1'), app);
  assert.deepEqual(h2.service.resolve(app).layerChainIds, h.service.resolve(app).layerChainIds);
  assert.deepEqual(h2.events.filter((e) => e.Action === 'load').map((e) => e.Actor.ID), [base, app]);
  // Loading again over a moved tag says so.
  h2.service.tag(app, 'bb:latest');
  const again = await h2.service.load(Readable.from([gzipSync(archive)]));
  assert.deepEqual(again, [`The image bb:latest already exists, renaming the old one with ID ${app} to empty string`, 'Loaded image: bb:latest', 'Loaded image: localhost:5000/app:v1']);
});

test('save by id writes no tags and load reports the id; a bare repo name saves all its tags', async (t) => {
  const h = harness(t);
  const id = await h.service.import(Readable.from([smallRootfs()]), { repo: 'bb' });
  h.service.tag('bb', 'bb:v2');
  const byId = await members(await collect(h.service.save([id.slice(7, 19)])));
  assert.deepEqual(JSON.parse(byId.get('manifest.json')!.toString())[0].RepoTags, null);
  const all = await members(await collect(h.service.save(['bb'])));
  assert.deepEqual(JSON.parse(all.get('manifest.json')!.toString())[0].RepoTags, ['bb:latest', 'bb:v2']);
  assert.throws(() => h.service.save(['nosuch:tag']), (e: Error & { status: number }) => e.status === 404);
  const h2 = harness(t);
  assert.deepEqual(await h2.service.load(Readable.from([await collect(h.service.save([id]))])), [`Loaded image ID: ${id}`]);
});

test('load a docker (≤24) archive built by hand: <id>/layer.tar, gzip archive, symlinked duplicate layer', async (t) => {
  const h = harness(t);
  const l1 = smallRootfs();
  const l2 = createTar([file('data/hello.txt', 'hi\n')]);
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', created: '2024-01-02T03:04:05.123456789Z',
    config: { Cmd: ['/bin/hello'], Env: ['PATH=/bin'] },
    rootfs: { type: 'layers', diff_ids: [sha256(l1), sha256(l2)] },
    history: [{ created: '2024-01-02T03:04:05Z', created_by: 'ADD rootfs /' }, { created: '2024-01-02T03:04:05Z', created_by: 'COPY hello.txt /data/' }],
  }));
  const expectedId = sha256(config);
  const v1a = 'a'.repeat(64);
  const v1b = 'b'.repeat(64);
  const archive = createTar([
    { header: { name: `${v1a}/`, type: 'dir', mode: 0o755, mtime: 0 } },
    file(`${v1a}/layer.tar`, l1),
    file(`${v1a}/VERSION`, '1.0'),
    { header: { name: `${v1b}/`, type: 'dir', mode: 0o755, mtime: 0 } },
    file(`${v1b}/layer.tar`, l2),
    { header: { name: 'c'.repeat(64) + '/', type: 'dir', mode: 0o755, mtime: 0 } },
    { header: { name: `${'c'.repeat(64)}/layer.tar`, type: 'symlink', linkname: `../${v1a}/layer.tar`, mode: 0o777, mtime: 0 } },
    file(`${expectedId.slice(7)}.json`, config),
    file('manifest.json', JSON.stringify([
      { Config: `${expectedId.slice(7)}.json`, RepoTags: ['hand/made:1'], Layers: [`${v1a}/layer.tar`, `${v1b}/layer.tar`] },
      { Config: `${expectedId.slice(7)}.json`, RepoTags: ['hand/made:dup'], Layers: [`${'c'.repeat(64)}/layer.tar`, `${v1b}/layer.tar`] },
    ])),
    file('repositories', JSON.stringify({ 'hand/made': { 1: v1b } })),
  ]);
  const lines = await h.service.load(Readable.from([gzipSync(archive)]));
  assert.deepEqual(lines, ['Loaded image: hand/made:1', 'Loaded image: hand/made:dup']);
  const r = h.service.resolve('hand/made:1');
  assert.equal(r.id, expectedId);
  assert.equal(r.topChainId, sha256(`${sha256(l1)} ${sha256(l2)}`));
  const ins = h.service.inspect('hand/made:dup') as Record<string, any>;
  assert.equal(ins.Created, '2024-01-02T03:04:05.123456789Z');
  assert.deepEqual(ins.Config.Cmd, ['/bin/hello']);
  const hist = h.service.history(expectedId);
  assert.deepEqual(hist.map((x) => [x.Id, x.CreatedBy]), [[expectedId, 'COPY hello.txt /data/'], ['<missing>', 'ADD rootfs /']]);
  assert.equal(hist[1]!.Created, Math.floor(Date.parse('2024-01-02T03:04:05Z') / 1000));
});

test('load an OCI image layout with a gzip layer, nested index and a ref name', async (t) => {
  const h = harness(t);
  const layer = smallRootfs();
  const gz = gzipSync(layer);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Entrypoint: ['/bin/hello'] }, rootfs: { type: 'layers', diff_ids: [sha256(layer)] }, history: [{ created_by: 'x' }] }));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(gz), size: gz.length }],
  }));
  const inner = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(manifest), size: manifest.length, platform: { architecture: 'amd64', os: 'linux' } }],
  }));
  const blob = (b: Buffer) => file(`blobs/sha256/${sha256(b).slice(7)}`, b);
  const archive = createTar([
    file('oci-layout', '{"imageLayoutVersion":"1.0.0"}'),
    blob(gz), blob(config), blob(manifest), blob(inner),
    file('index.json', JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', digest: sha256(inner), size: inner.length, annotations: { 'org.opencontainers.image.ref.name': 'example.com/oci/img:2' } }] })),
  ]);
  assert.deepEqual(await h.service.load(Readable.from([archive])), ['Loaded image: example.com/oci/img:2']);
  assert.equal(h.service.lookup('example.com/oci/img:2'), sha256(config));
  // Saving it writes the layer uncompressed, so docker's manifest.json names the DiffID.
  const saved = await members(await collect(h.service.save(['example.com/oci/img:2'])));
  assert.deepEqual(JSON.parse(saved.get('manifest.json')!.toString())[0].Layers, [`blobs/sha256/${sha256(layer).slice(7)}`]);
});

test('load refuses bad archives and leaves nothing behind', async (t) => {
  const h = harness(t);
  const layer = smallRootfs();
  const config = Buffer.from(JSON.stringify({ os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256('not this layer')] } }));
  const bad = createTar([file('l.tar', layer), file('c.json', config), file('manifest.json', JSON.stringify([{ Config: 'c.json', RepoTags: ['x:1'], Layers: ['l.tar'] }]))]);
  await assert.rejects(h.service.load(Readable.from([bad])), /digest mismatch/);
  const escape = createTar([{ header: { name: 'manifest.json', type: 'symlink', linkname: '/etc/passwd', mode: 0o777, mtime: 0 } }]);
  await assert.rejects(h.service.load(Readable.from([escape])), /invalid archive link/);
  const escape2 = createTar([{ header: { name: 'manifest.json', type: 'symlink', linkname: '../../../../../../etc/passwd', mode: 0o777, mtime: 0 } }]);
  await assert.rejects(h.service.load(Readable.from([escape2])), /invalid archive link/);
  await assert.rejects(h.service.load(Readable.from([createTar([file('hello', 'x')])])), /no manifest.json or index.json/);
  const mismatch = createTar([file('l.tar', layer), file('c.json', config), file('manifest.json', JSON.stringify([{ Config: 'c.json', Layers: [] }]))]);
  await assert.rejects(h.service.load(Readable.from([mismatch])), { message: 'invalid manifest, layers length mismatch: expected 1, got 0' });
  assert.deepEqual(h.service.list({ all: true }), []);
  assert.deepEqual(h.layers.all(), []);
  assert.deepEqual(h.content.list(), []);
  const fs = await import('node:fs');
  assert.deepEqual(fs.readdirSync(h.content.tmpDir), []);
});
