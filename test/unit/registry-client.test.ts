/**
 * Pure parts of the distribution client: references, endpoints and insecure rules,
 * X-Registry-Auth decoding, challenges, platform selection, progress text, in-flight sharing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeRegistryAuth,
  encodeRegistryAuth,
  endpointsFor,
  familiarString,
  InflightGroup,
  isInsecureRegistry,
  Limiter,
  parseChallenges,
  parseManifest,
  parseReference,
  selectPlatform,
  type ImageIndex,
} from '../../src/registry/client/index.ts';
import { formatRegistryErrors } from '../../src/registry/client/errors.ts';
import { humanSize } from '../../src/common/human.ts';
import { progressBar } from '../../src/api/types/json-progress.ts';

const plain = (x: unknown): unknown => JSON.parse(JSON.stringify(x));

describe('registry references', () => {
  it('normalizes like docker', () => {
    assert.deepEqual(plain(parseReference('busybox', { defaultTag: true })), plain({ domain: 'docker.io', path: 'library/busybox', tag: 'latest', digest: undefined }));
    assert.deepEqual(plain(parseReference('user/app:1.0')), plain({ domain: 'docker.io', path: 'user/app', tag: '1.0', digest: undefined }));
    assert.deepEqual(plain(parseReference('127.0.0.1:5000/p/x:v1')), plain({ domain: '127.0.0.1:5000', path: 'p/x', tag: 'v1', digest: undefined }));
    assert.deepEqual(plain(parseReference('localhost/x')), plain({ domain: 'localhost', path: 'x', tag: undefined, digest: undefined }));
    const d = 'sha256:' + 'a'.repeat(64);
    assert.deepEqual(plain(parseReference(`quay.io/a/b@${d}`)), plain({ domain: 'quay.io', path: 'a/b', tag: undefined, digest: d }));
    assert.equal(familiarString(parseReference('docker.io/library/busybox:1')), 'busybox:1');
    assert.equal(familiarString(parseReference('index.docker.io/user/x')), 'user/x');
    assert.throws(() => parseReference('Busybox'), /invalid reference format: repository name \(library\/Busybox\) must be lowercase/);
    assert.throws(() => parseReference('a:b:c'), /invalid reference format/);
    assert.throws(() => parseReference(''), /invalid reference format/);
  });
});

describe('registry endpoints', () => {
  it('maps docker.io, tries mirrors first, and allows plain HTTP for loopback and listed registries', () => {
    assert.deepEqual(
      endpointsFor('docker.io', { mirrors: ['https://mirror.example/'] }).map((e) => [e.url, e.mirror]),
      [
        ['https://mirror.example', true],
        ['https://registry-1.docker.io', false],
      ],
    );
    assert.deepEqual(endpointsFor('docker.io', { mirrors: ['https://mirror.example'] }, true).map((e) => e.url), ['https://registry-1.docker.io']);
    assert.deepEqual(endpointsFor('127.0.0.1:5000').map((e) => [e.url, e.insecureTls]), [
      ['https://127.0.0.1:5000', true],
      ['http://127.0.0.1:5000', false],
    ]);
    assert.deepEqual(endpointsFor('quay.io').map((e) => e.url), ['https://quay.io']);
    assert.ok(isInsecureRegistry('127.1.2.3:80'));
    assert.ok(isInsecureRegistry('localhost:5000'));
    assert.ok(isInsecureRegistry('[::1]:5000'));
    assert.ok(!isInsecureRegistry('10.0.0.5:5000'));
    assert.ok(isInsecureRegistry('10.0.0.5:5000', ['10.0.0.0/8']));
    assert.ok(isInsecureRegistry('reg.local:5000', ['reg.local:5000']));
    assert.ok(!isInsecureRegistry('reg.local:5001', ['reg.local:5000']));
  });
});

describe('registry auth helpers', () => {
  it('decodes X-Registry-Auth (base64url JSON, and legacy auth field)', () => {
    const h = encodeRegistryAuth({ username: 'u', password: 'p?>~', serveraddress: 'r:5000' });
    assert.match(h, /^[A-Za-z0-9_-]+$/);
    assert.deepEqual(decodeRegistryAuth(h), { username: 'u', password: 'p?>~', serveraddress: 'r:5000' });
    const legacy = Buffer.from(JSON.stringify({ auth: Buffer.from('x:y').toString('base64') })).toString('base64');
    assert.deepEqual(decodeRegistryAuth(legacy), { auth: Buffer.from('x:y').toString('base64'), username: 'x', password: 'y' });
    assert.equal(decodeRegistryAuth(''), undefined);
    assert.throws(() => decodeRegistryAuth('!!!not-json'), (e: Error & { status?: number }) => e.status === 400);
  });

  it('parses Bearer and Basic challenges', () => {
    assert.deepEqual(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"'), [
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } },
    ]);
    assert.deepEqual(parseChallenges(['Basic realm="x y"']), [{ scheme: 'basic', params: { realm: 'x y' } }]);
  });

  it('renders registry errors like docker', () => {
    assert.equal(formatRegistryErrors([{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }]), 'manifest unknown: manifest unknown');
  });
});

describe('manifests and platforms', () => {
  const d = (c: string) => 'sha256:' + c.repeat(64);
  const index: ImageIndex = {
    schemaVersion: 2,
    manifests: [
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d('1'), size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d('2'), size: 1, platform: { os: 'linux', architecture: 'amd64' } },
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d('3'), size: 1, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d('4'), size: 1, platform: { os: 'unknown', architecture: 'unknown' } },
    ],
  };
  it('selects linux/amd64 by default and honours variants', () => {
    assert.equal(selectPlatform(index)?.digest, d('2'));
    assert.equal(selectPlatform(index, { os: 'linux', architecture: 'arm64' })?.digest, d('3'));
    assert.equal(selectPlatform(index, { os: 'linux', architecture: 'arm', variant: 'v7' })?.digest, d('1'));
    assert.equal(selectPlatform(index, { os: 'linux', architecture: 'arm', variant: 'v6' }), undefined);
    assert.equal(selectPlatform(index, { os: 'linux', architecture: 's390x' }), undefined);
  });
  it('parses by mediaType, Content-Type or shape and rejects schema1', () => {
    assert.equal(parseManifest(JSON.stringify(index)).kind, 'index');
    assert.equal(parseManifest(JSON.stringify({ schemaVersion: 2, config: { digest: d('a'), size: 2, mediaType: 'x' }, layers: [] })).mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.throws(() => parseManifest('{"schemaVersion":1}'), /schema1/);
    assert.throws(() => parseManifest('{"schemaVersion":2,"config":{"digest":"sha256:zz","size":1},"layers":[]}'), /invalid digest/);
  });
});

describe('progress text', () => {
  it('formats sizes and bars like docker', () => {
    assert.equal(humanSize(527, 4), '527B');
    assert.equal(humanSize(3200, 4), '3.2kB');
    assert.equal(humanSize(1234567, 4), '1.235MB');
    assert.equal(progressBar(50, 100), `[${'='.repeat(25)}>${' '.repeat(25)}]      50B/100B`);
  });
});

describe('in-flight sharing', () => {
  it('shares one run per key and limits concurrency', async () => {
    const g = new InflightGroup<number>();
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const a = g.run('k', async () => {
      runs++;
      await gate;
      return 7;
    });
    const b = g.run('k', async () => {
      runs++;
      return 8;
    });
    assert.equal(a.shared, false);
    assert.equal(b.shared, true);
    release();
    assert.deepEqual(await Promise.all([a.promise, b.promise]), [7, 7]);
    assert.equal(runs, 1);
    assert.equal(g.size, 0);

    const lim = new Limiter(2);
    let active = 0;
    let peak = 0;
    let waited = 0;
    await Promise.all(
      Array.from({ length: 6 }, () =>
        lim.run(
          async () => {
            active++;
            peak = Math.max(peak, active);
            await new Promise((r) => setImmediate(r));
            active--;
          },
          () => waited++,
        ),
      ),
    );
    assert.equal(peak, 2);
    assert.equal(waited, 4);
  });
});
