/**
 * Our distribution client and pull/push pipelines against our registry server on 127.0.0.1:
 * push then pull by tag and digest, progress messages, htpasswd login, SECURITY-CHECKS 13
 * (tampered blob / manifest → "verification failed", nothing stored) and 22 (concurrent pulls
 * share downloads; missing tags fail without hanging), v1 search.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  createTransferShared,
  ManifestUnknownError,
  parseReference,
  pullImage,
  pushImage,
  RegistryClient,
  RegistryUnauthorizedError,
  RegistryUnreachableError,
  VerificationFailedError,
  type ProgressEvent,
} from '../../src/registry/client/index.ts';
import { DirDestination, MemoryDigestCache, MemorySource, sha256, startRegistry, type TestRegistry } from './registry-fixtures.ts';

describe('registry client against our server', () => {
  let reg: TestRegistry;
  const dests: DirDestination[] = [];
  const newDest = async (): Promise<DirDestination> => {
    const d = await DirDestination.create();
    dests.push(d);
    return d;
  };
  before(async () => {
    reg = await startRegistry({ publicSearch: true });
  });
  after(async () => {
    await reg.close();
    for (const d of dests) await d.remove();
  });

  it('pushes an image and pulls it back by tag and by digest', async () => {
    const client = new RegistryClient();
    const source = new MemorySource();
    const cache = new MemoryDigestCache();
    const ref = parseReference(`${reg.host}/team/app:v1`);
    const events: ProgressEvent[] = [];
    const pushed = await pushImage({ client, ref, source, cache, progress: (e) => events.push(e) });
    const statuses = events.map((e) => e.status ?? '');
    assert.equal(statuses[0], `The push refers to repository [${reg.host}/team/app]`);
    assert.ok(statuses.includes('Preparing') && statuses.includes('Pushing') && statuses.includes('Pushed'));
    assert.ok(statuses.includes(`v1: digest: ${pushed.digest} size: ${pushed.size}`));
    assert.deepEqual(events.at(-1)?.aux, { Tag: 'v1', Digest: pushed.digest, Size: pushed.size });
    assert.deepEqual(await client.tags(ref), ['v1']);

    // a second push finds every layer through the compressed-digest cache
    const again: ProgressEvent[] = [];
    const second = await pushImage({ client, ref, source, cache, progress: (e) => again.push(e) });
    assert.equal(second.digest, pushed.digest);
    assert.equal(again.filter((e) => e.status === 'Layer already exists').length, 2);

    const dest = await newDest();
    const pe: ProgressEvent[] = [];
    const pulled = await pullImage({ client, ref, dest, progress: (e) => pe.push(e) });
    assert.equal(pulled.digest, pushed.digest);
    assert.equal(pulled.configDigest, source.imageId);
    assert.equal(pulled.updated, true);
    const ps = pe.map((e) => (e.id ? `${e.id}: ${e.status}` : e.status));
    assert.equal(ps[0], 'v1: Pulling from ' + `${reg.host}/team/app`);
    assert.ok(ps.includes(`Digest: ${pushed.digest}`));
    assert.equal(ps.at(-1), `Status: Downloaded newer image for ${reg.host}/team/app:v1`);
    for (const l of pushed.layers) {
      const id = l.digest.slice(7, 19);
      for (const s of ['Pulling fs layer', 'Download complete', 'Pull complete']) assert.ok(ps.includes(`${id}: ${s}`), `${id}: ${s}`);
    }
    assert.ok(pe.some((e) => e.status === 'Downloading' && e.progressDetail?.total && /\[=+>/.test(e.progress ?? '')));
    assert.deepEqual(dest.commits[0].layers.map((l) => l.diffId), source.layerData.map((b) => sha256(b)));

    const pe2: ProgressEvent[] = [];
    const re = await pullImage({ client, ref, dest, progress: (e) => pe2.push(e) });
    assert.equal(re.updated, false);
    assert.equal(pe2.filter((e) => e.status === 'Already exists').length, 2);
    assert.equal(pe2.at(-1)?.status, `Status: Image is up to date for ${reg.host}/team/app:v1`);

    const byDigest = await pullImage({ client, ref: parseReference(`${reg.host}/team/app@${pushed.digest}`), dest: await newDest() });
    assert.equal(byDigest.digest, pushed.digest);
    const m = await client.getManifest(parseReference(`${reg.host}/team/app@${pushed.digest}`));
    assert.equal(m.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    assert.match(m.body.toString(), /^\{\n {3}"schemaVersion": 2,/);
  });

  it('mounts a blob from another repository and uploads monolithically', async () => {
    const client = new RegistryClient();
    const a = parseReference(`${reg.host}/mnt/a:v1`);
    const b = parseReference(`${reg.host}/mnt/b:v1`);
    const data = Buffer.from('monolithic blob');
    const d = sha256(data);
    assert.equal(await client.uploadBlob(a, d, data.length, async () => (await import('node:stream')).Readable.from([data])), 'uploaded');
    assert.equal(await client.blobExists(a, d), data.length);
    assert.equal(await client.blobExists(b, d), undefined);
    assert.equal(await client.uploadBlob(b, d, data.length, () => { throw new Error('must not read'); }, { mountFrom: 'mnt/a' }), 'mounted');
    assert.equal(await client.blobExists(b, d), data.length);
  });

  it('a missing tag is a 404 with docker\'s message; 3 concurrent ones all fail', async () => {
    const client = new RegistryClient();
    const ref = parseReference(`${reg.host}/team/app:nope`);
    const results = await Promise.allSettled([1, 2, 3].map(async () => pullImage({ client, ref, dest: await newDest() })));
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      const err = (r as PromiseRejectedResult).reason;
      assert.ok(err instanceof ManifestUnknownError);
      assert.equal(err.status, 404);
      assert.equal(err.message, `manifest for ${reg.host}/team/app:nope not found: manifest unknown: manifest unknown`);
    }
  });

  it('check 22: five concurrent pulls download each blob once', async () => {
    const client = new RegistryClient();
    const source = new MemorySource([300_000, 100_000, 50_000]);
    const ref = parseReference(`${reg.host}/team/conc:v1`);
    const pushed = await pushImage({ client, ref, source });
    const dest = await newDest();
    const shared = createTransferShared(3);
    const before = reg.requests.length;
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => pullImage({ client, ref, dest, shared })));
    for (const r of results) assert.equal(r.digest, pushed.digest);
    const gets = reg.requests.slice(before).filter((r) => r.startsWith('GET') && r.includes('/blobs/'));
    for (const l of pushed.layers) assert.equal(gets.filter((g) => g.endsWith(l.digest)).length, 1, `one GET of ${l.digest}`);
    assert.equal(dest.putBlobCalls, 3);
    assert.deepEqual((await dest.list('blobs')).length, 3);
  });

  it('check 13: a flipped byte in a stored layer fails the pull with "verification failed" and stores nothing', async () => {
    const client = new RegistryClient();
    const source = new MemorySource([20_000]);
    const ref = parseReference(`${reg.host}/team/tamper:v1`);
    const pushed = await pushImage({ client, ref, source });
    const blob = reg.srv.storage.blobPath(pushed.layers[0].digest);
    const bytes = await fs.readFile(blob);
    bytes[bytes.length >> 1] ^= 0xff;
    await fs.writeFile(blob, bytes);
    for (const r of [ref, parseReference(`${reg.host}/team/tamper@${pushed.digest}`)]) {
      const dest = await newDest();
      await assert.rejects(pullImage({ client, ref: r, dest }), (err: Error) => {
        assert.ok(err instanceof VerificationFailedError, String(err));
        assert.match(err.message, /verification failed/);
        return true;
      });
      assert.deepEqual(await dest.list('ingest'), []);
      assert.deepEqual(await dest.list('blobs'), []);
      assert.equal(dest.commits.length, 0);
      assert.equal(dest.aborted, 1);
    }
  });

  it('check 13: an altered manifest fails by tag and by digest', async () => {
    const client = new RegistryClient();
    const source = new MemorySource([1_000]);
    const ref = parseReference(`${reg.host}/team/mtamper:v1`);
    const pushed = await pushImage({ client, ref, source });
    const file = reg.srv.storage.blobPath(pushed.digest);
    const text = await fs.readFile(file, 'utf8');
    await fs.writeFile(file, text.replace('"schemaVersion": 2', '"schemaVersion":2'));
    for (const r of [ref, parseReference(`${reg.host}/team/mtamper@${pushed.digest}`)]) {
      const dest = await newDest();
      await assert.rejects(pullImage({ client, ref: r, dest }), /manifest verification failed for digest/);
      assert.deepEqual(await dest.list('blobs'), []);
      assert.deepEqual(await dest.list('configs'), []);
    }
  });

  it('v1 search answers from the catalog', async () => {
    const client = new RegistryClient();
    const res = await client.searchV1(reg.host, 'team/', 2);
    assert.equal(res.query, 'team/');
    assert.equal(res.results.length, 2);
    assert.ok(res.results.every((r) => r.name.startsWith('team/') && r.star_count === 0));
  });

  it('login to a registry without auth succeeds', async () => {
    assert.deepEqual(await new RegistryClient().login(`http://${reg.host}/`, 'anyone', 'anything'), { status: 'Login Succeeded' });
  });

  it('an unreachable registry is a typed error', async () => {
    const client = new RegistryClient();
    await assert.rejects(client.getManifest(parseReference('127.0.0.1:1/x:y')), (err: Error) => err instanceof RegistryUnreachableError && /ECONNREFUSED/.test(err.message));
  });
});

describe('registry client with htpasswd auth', () => {
  let reg: TestRegistry;
  before(async () => {
    reg = await startRegistry({ user: 'alice', password: 's3cret' });
  });
  after(() => reg.close());

  it('login refuses a wrong password and accepts the right one', async () => {
    const client = new RegistryClient();
    await assert.rejects(client.login(reg.host, 'alice', 'wrong'), (err: Error) => {
      assert.ok(err instanceof RegistryUnauthorizedError);
      assert.equal((err as RegistryUnauthorizedError).status, 401);
      assert.equal(err.message, `login attempt to http://${reg.host}/v2/ failed with status: 401 Unauthorized`);
      return true;
    });
    assert.deepEqual(await client.login(reg.host, 'alice', 's3cret'), { status: 'Login Succeeded' });
  });

  it('push without credentials fails; with them push and pull work', async () => {
    const ref = parseReference(`${reg.host}/private/app:v1`);
    const source = new MemorySource([5_000]);
    await assert.rejects(pushImage({ client: new RegistryClient(), ref, source }), /no basic auth credentials/);
    await assert.rejects(pushImage({ client: new RegistryClient({ auth: { username: 'alice', password: 'bad' } }), ref, source }), /unauthorized: authentication required/);
    const client = new RegistryClient({ auth: (domain) => (domain === reg.host ? { username: 'alice', password: 's3cret' } : undefined) });
    const pushed = await pushImage({ client, ref, source });
    const dest = await DirDestination.create();
    try {
      assert.equal((await pullImage({ client, ref, dest })).digest, pushed.digest);
    } finally {
      await dest.remove();
    }
    await assert.rejects(new RegistryClient().getManifest(ref), /no basic auth credentials/);
    assert.equal((await client.searchV1(reg.host, 'private')).results[0]?.name, 'private/app');
  });
});
