/**
 * Layers compressed with gzip, zstd, or not at all (issue #16), through a real wharfd:
 * - pull of a hand-made OCI manifest whose layers are zstd (made with Debian's `zstd`), a
 *   plain tar and gzip, from our registry; `save` gives each layer tar back byte for byte
 *   (the store keeps tar-splits, not tars); a corrupt zstd blob is refused, nothing kept;
 * - push of that image keeps the zstd and plain blobs (an OCI manifest says so), and the
 *   pushed image pulls back with the same id;
 * - `load` of archives compressed with zstd, xz, bzip2 and gzip (detected by magic bytes, as
 *   docker), and of an OCI layout whose layer blobs are zstd; a layer blob whose digest is not
 *   its descriptor's is refused.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { createTar, TarReader } from '../../src/common/tar/index.ts';
import { RegistryClient, parseReference } from '../../src/registry/client/index.ts';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { listTree, messages, PASS, registryAuth, startOurRegistry, USER, type TestRegistry } from './distribution-harness.ts';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const hex = (d: string) => d.slice(7);

function tool(cmd: string, args: string[], input: Buffer): Buffer {
  const r = spawnSync(cmd, args, { input, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
const zstd = (b: Buffer) => tool('/usr/bin/zstd', ['-c', '-q'], b);
const xz = (b: Buffer) => tool('/usr/bin/xz', ['-c'], b);
const bzip2 = (b: Buffer) => tool('/usr/bin/bzip2', ['-c'], b);

const file = (name: string, body: Buffer | string, mode = 0o644) => ({ header: { name, type: 'file' as const, mode, mtime: 1700000000, size: Buffer.byteLength(body) }, body });
const dir = (name: string) => ({ header: { name, type: 'dir' as const, mode: 0o755, mtime: 1700000000 } });

/** Three layers: a base, a change with a whiteout and a duplicate entry, a big-ish file. */
function layers(tag: string): Buffer[] {
  return [
    createTar([dir('etc/'), file('etc/hostname', `base-${tag}\n`), file('etc/motd', 'hello\n'), dir('bin/'), file('bin/tool', Buffer.alloc(70_000, 1), 0o755)]),
    createTar([file('etc/.wh.motd', ''), file('etc/new', 'one\n'), file('etc/new', 'two: a duplicate entry\n'), { header: { name: 'etc/link', type: 'symlink' as const, linkname: 'new', mtime: 1700000000 } }]),
    createTar([dir('data/'), file('data/blob', Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) & 0xff)))]),
  ];
}

function configFor(tars: Buffer[], label: string): Buffer {
  return Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', created: '2026-01-01T00:00:00Z',
    config: { Cmd: ['/bin/tool'], Labels: { t: label } },
    rootfs: { type: 'layers', diff_ids: tars.map(sha) },
    history: tars.map(() => ({ created: '2026-01-01T00:00:00Z', created_by: 'hand' })),
  }));
}

/** Members of a tar, by name. */
async function members(archive: Buffer): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for await (const { header, body } of new TarReader(Readable.from([archive]))) {
    const parts: Buffer[] = [];
    for await (const c of body) parts.push(Buffer.from(c));
    out.set(header.name, Buffer.concat(parts));
  }
  return out;
}

/** A docker-save style archive (manifest.json, config, `<n>/layer.tar`). */
function dockerArchive(tars: Buffer[], config: Buffer, tag: string, compressLayer: (b: Buffer) => Buffer = (b) => b): Buffer {
  const cfgName = `${hex(sha(config))}.json`;
  const entries = [
    ...tars.map((t, i) => file(`l${i}/layer.tar`, compressLayer(t))),
    file(cfgName, config),
    file('manifest.json', JSON.stringify([{ Config: cfgName, RepoTags: [tag], Layers: tars.map((_, i) => `l${i}/layer.tar`) }])),
  ];
  return createTar(entries);
}

describe('layers in gzip, zstd and plain form', () => {
  let d: TestDaemon;
  let reg: TestRegistry;
  let H: Record<string, string>;
  let client: RegistryClient;

  before(async () => {
    reg = await startOurRegistry();
    H = { 'X-Registry-Auth': registryAuth(reg.host) };
    client = new RegistryClient({ auth: { username: USER, password: PASS } });
    d = await startDaemon();
  });
  after(async () => {
    await d?.stop();
    await reg?.close();
  });

  const cli = async (args: string[]) => {
    const r = await d.cli(args, { timeoutMs: 120_000 });
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const removeAll = async () => {
    for (const img of (await d.api('GET', '/images/json')).json as { Id: string }[]) await d.api('DELETE', `/images/${img.Id}?force=1`);
  };
  /** The layer tars `save` writes for `name`, bottom first. */
  const savedLayers = async (name: string): Promise<Buffer[]> => {
    const out = path.join(d.dir, `save-${Date.now()}.tar`);
    await cli(['save', '-o', out, name]);
    const m = await members(fs.readFileSync(out));
    fs.rmSync(out);
    const manifest = JSON.parse(m.get('manifest.json')!.toString()) as { Layers: string[] }[];
    return manifest[0]!.Layers.map((l) => m.get(l)!);
  };

  /** Pushes blobs and an OCI manifest by hand; returns the manifest digest. */
  async function pushByHand(repo: string, tars: Buffer[], blobs: { data: Buffer; mediaType: string }[], config: Buffer): Promise<string> {
    const ref = parseReference(`${reg.host}/${repo}:v1`);
    for (const b of [...blobs.map((x) => x.data), config]) await client.uploadBlob(ref, sha(b), b.length, Readable.from([b]));
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
      layers: blobs.map((b) => ({ mediaType: b.mediaType, digest: sha(b.data), size: b.data.length })),
    }));
    return client.putManifest(ref, 'v1', manifest, 'application/vnd.oci.image.manifest.v1+json');
  }

  it('pulls zstd, plain and gzip layers; save gives every layer tar back byte for byte; a push keeps zstd and pulls back', async () => {
    const tars = layers('pull');
    const config = configFor(tars, 'pull');
    const blobs = [
      { data: zstd(tars[0]!), mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd' },
      { data: tars[1]!, mediaType: 'application/vnd.oci.image.layer.v1.tar' },
      { data: gzipSync(tars[2]!), mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' },
    ];
    assert.deepEqual([...blobs[0]!.data.subarray(0, 4)], [0x28, 0xb5, 0x2f, 0xfd], 'made by Debian zstd');
    const name = `${reg.host}/comp/mixed`;
    await pushByHand('comp/mixed', tars, blobs, config);
    const pull = await d.api('POST', `/images/create?fromImage=${encodeURIComponent(name)}&tag=v1`, undefined, H);
    assert.equal(pull.status, 200);
    assert.ok(!messages(pull.body).some((m) => m.error), pull.body);
    const img = (await d.api('GET', `/images/${name}:v1/json`)).json;
    assert.equal(img.Id, sha(config));
    assert.deepEqual(img.RootFS.Layers, tars.map(sha));
    // The store keeps no layer tars: save regenerates them (whiteout and duplicate included).
    assert.deepEqual((await savedLayers(`${name}:v1`)).map(sha), tars.map(sha));
    assert.deepEqual(fs.readdirSync(path.join(d.dataRoot, 'content', 'tar-split')).length, 3);

    // Push to a new tag of the same repository: the zstd and plain blobs are kept as they are.
    await cli(['tag', `${name}:v1`, `${name}:again`]);
    const push = await d.api('POST', `/images/${encodeURIComponent(name)}/push?tag=again`, undefined, H);
    assert.equal(push.status, 200);
    assert.ok(!messages(push.body).some((m) => m.error), push.body);
    const m = await client.getManifest(parseReference(`${name}:again`));
    assert.equal(m.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.deepEqual(m.image.manifest.layers.map((l) => [l.mediaType, l.digest]), blobs.map((b) => [b.mediaType, sha(b.data)]));
    await removeAll();
    const back = await d.api('POST', `/images/create?fromImage=${encodeURIComponent(name)}&tag=again`, undefined, H);
    assert.equal(back.status, 200);
    assert.ok(!messages(back.body).some((x) => x.error), back.body);
    assert.equal((await d.api('GET', `/images/${name}:again/json`)).json.Id, sha(config));
    await removeAll();
  });

  it('a gzip-only image pushes as docker schema2 with pigz-made gzip blobs that pull back', async () => {
    const tars = layers('gz');
    const config = configFor(tars, 'gz');
    const archive = dockerArchive(tars, config, 'gz:v1');
    const f = path.join(d.dir, 'gz.tar');
    fs.writeFileSync(f, archive);
    await cli(['load', '-i', f]);
    const name = `${reg.host}/comp/gz`;
    await cli(['tag', 'gz:v1', `${name}:v1`]);
    const push = await d.api('POST', `/images/${encodeURIComponent(name)}/push?tag=v1`, undefined, H);
    assert.equal(push.status, 200);
    assert.ok(!messages(push.body).some((m) => m.error), push.body);
    const m = await client.getManifest(parseReference(`${name}:v1`));
    assert.equal(m.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    assert.ok(m.image.manifest.layers.every((l) => l.mediaType === 'application/vnd.docker.image.rootfs.diff.tar.gzip'));
    await removeAll();
    const pull = await d.api('POST', `/images/create?fromImage=${encodeURIComponent(name)}&tag=v1`, undefined, H);
    assert.ok(!messages(pull.body).some((x) => x.error), pull.body);
    assert.equal((await d.api('GET', `/images/${name}:v1/json`)).json.Id, sha(config));
    await removeAll();
  });

  it('a corrupt zstd layer blob is refused and leaves no layer, tar-split or temp file', async () => {
    const tars = layers('bad');
    const config = configFor(tars, 'bad');
    const good = zstd(tars[2]!);
    const blobs = [
      { data: zstd(tars[0]!), mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd' },
      { data: zstd(tars[1]!), mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd' },
      { data: good, mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd' },
    ];
    await pushByHand('comp/bad', tars, blobs, config);
    // Flip a byte in the stored blob (the registry serves it under the right digest).
    const stored = path.join(reg.dir, 'data', 'blobs', 'sha256', hex(sha(good)));
    assert.ok(fs.existsSync(stored), `registry blob layout: ${stored}`);
    const bad = Buffer.from(good);
    bad[Math.floor(bad.length / 2)]! ^= 0x40;
    fs.writeFileSync(stored, bad);
    const before = { overlay: listTree(path.join(d.dataRoot, 'overlay2')), split: listTree(path.join(d.dataRoot, 'content', 'tar-split')) };
    const pull = await d.api('POST', `/images/create?fromImage=${encodeURIComponent(`${reg.host}/comp/bad`)}&tag=v1`, undefined, H);
    const err = messages(pull.body).find((m) => m.error) ?? pull.json;
    assert.match(String(err?.error ?? err?.message), /verification failed|zstd/, pull.body);
    assert.equal((await d.api('GET', `/images/${reg.host}/comp/bad:v1/json`)).status, 404);
    assert.deepEqual(listTree(path.join(d.dataRoot, 'overlay2')).filter((p) => !p.startsWith('l/')), before.overlay.filter((p) => !p.startsWith('l/')));
    assert.deepEqual(listTree(path.join(d.dataRoot, 'content', 'tar-split')), before.split);
    assert.deepEqual(fs.readdirSync(path.join(d.dataRoot, 'content', 'tmp')).filter((n) => !n.startsWith('load-')), []);
  });

  for (const [kind, compress] of [['zstd', zstd], ['xz', xz], ['bzip2', bzip2], ['gzip', (b: Buffer) => gzipSync(b)]] as const) {
    it(`load of a ${kind}-compressed archive (layers ${kind} too)`, async () => {
      const tars = layers(kind);
      const config = configFor(tars, kind);
      const f = path.join(d.dir, `${kind}.tar.x`);
      fs.writeFileSync(f, compress(dockerArchive(tars, config, `${kind}:v1`, compress)));
      assert.match(await cli(['load', '-i', f]), new RegExp(`Loaded image: ${kind}:v1`));
      const img = (await d.api('GET', `/images/${kind}:v1/json`)).json;
      assert.equal(img.Id, sha(config));
      assert.deepEqual((await savedLayers(`${kind}:v1`)).map(sha), tars.map(sha));
      await removeAll();
    });
  }

  it('load of an OCI layout with zstd layer blobs; a blob that is not its descriptor\'s digest is refused', async () => {
    const tars = layers('oci');
    const config = configFor(tars, 'oci');
    const blobs = tars.map((t) => zstd(t));
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
      layers: blobs.map((b) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', digest: sha(b), size: b.length })),
    }));
    const layout = (layerBlobs: Buffer[]) => createTar([
      file('oci-layout', '{"imageLayoutVersion":"1.0.0"}'),
      ...layerBlobs.map((b, i) => file(`blobs/sha256/${hex(sha(blobs[i]!))}`, b)),
      file(`blobs/sha256/${hex(sha(config))}`, config),
      file(`blobs/sha256/${hex(sha(manifest))}`, manifest),
      file('index.json', JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha(manifest), size: manifest.length, annotations: { 'io.containerd.image.name': 'docker.io/library/oci:v1' } }] })),
    ]);
    const f = path.join(d.dir, 'oci.tar');
    fs.writeFileSync(f, layout(blobs));
    assert.match(await cli(['load', '-i', f]), /Loaded image: oci:v1/);
    assert.equal((await d.api('GET', '/images/oci:v1/json')).json.Id, sha(config));
    await removeAll();
    // Same layer content, another zstd level: its DiffID holds, its blob digest does not.
    const other = [tool('/usr/bin/zstd', ['-c', '-q', '-19'], tars[0]!), ...blobs.slice(1)];
    assert.notEqual(sha(other[0]!), sha(blobs[0]!));
    fs.writeFileSync(f, layout(other));
    const r = await d.cli(['load', '-i', f]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /has digest sha256:[0-9a-f]{64}, its descriptor says/);
    assert.equal((await d.api('GET', '/images/oci:v1/json')).status, 404);
    assert.deepEqual(fs.readdirSync(path.join(d.dataRoot, 'content', 'tar-split')), []);
  });
});
