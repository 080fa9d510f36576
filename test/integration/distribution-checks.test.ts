/**
 * SECURITY-CHECKS 13 and 22 through the Engine API, against a real wharfd and our registry:
 * a flipped byte in a stored layer blob, and an altered manifest, make pulls by tag and by
 * digest fail with "verification failed" leaving no image, layer or temp file; 5 parallel
 * pulls of one image succeed with one GET per blob at the registry; 3 parallel pulls of a
 * missing tag all fail and none hangs.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type ApiResponse, type TestDaemon } from '../helpers/daemon.ts';
import { importBusybox, listTree, messages, registryAuth, startOurRegistry, type TestRegistry } from './distribution-harness.ts';

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => { t = setTimeout(() => reject(new Error(`${what} hung for ${ms} ms`)), ms); })]).finally(() => clearTimeout(t));
}

describe('distribution checks 13 and 22 through the API', () => {
  let d: TestDaemon;
  let reg: TestRegistry;
  let REPO: string;
  let H: Record<string, string>;
  let id: string;
  let digest: string;
  let layerDigest: string;

  const blobFile = (dg: string) => path.join(reg.dir, 'data', 'blobs', 'sha256', dg.slice(7));
  const pull = (query: string): Promise<ApiResponse> => withTimeout(d.api('POST', `/images/create?${query}`, undefined, H), 60_000, `pull ${query}`);
  const state = () => ({ content: listTree(path.join(d.dataRoot, 'content')), driver: listTree(path.join(d.dataRoot, 'overlay2')) });
  const removeLocal = async () => {
    for (const img of (await d.api('GET', '/images/json')).json as { Id: string }[]) await d.api('DELETE', `/images/${img.Id}?force=1`);
  };

  before(async () => {
    reg = await startOurRegistry();
    REPO = `${reg.host}/chk/bb`;
    H = { 'X-Registry-Auth': registryAuth(reg.host) };
    d = await startDaemon();
    id = await importBusybox(d, `${REPO}:v1`);
    const push = await d.api('POST', `/images/${REPO}/push?tag=v1`, undefined, H);
    assert.equal(push.status, 200);
    const aux = messages(push.body).find((m) => m.aux)?.aux as { Digest: string } | undefined;
    assert.ok(aux, push.body);
    digest = aux.Digest;
    const manifest = JSON.parse(fs.readFileSync(blobFile(digest), 'utf8')) as { layers: { digest: string }[] };
    layerDigest = manifest.layers[0]!.digest;
    await removeLocal();
  });
  after(async () => {
    await d?.stop();
    await reg?.close();
  });

  it('check 13: a flipped byte in a layer blob fails the pull with nothing left behind', async () => {
    const file = blobFile(layerDigest);
    const orig = fs.readFileSync(file);
    const bad = Buffer.from(orig);
    bad[Math.floor(bad.length / 2)] ^= 0xff;
    fs.writeFileSync(file, bad);
    try {
      const before = state();
      for (const q of [`fromImage=${REPO}&tag=v1`, `fromImage=${REPO}&tag=${digest}`]) {
        const r = await pull(q);
        const err = r.status === 200 ? messages(r.body).find((m) => m.error)?.error : r.json?.message;
        assert.match(String(err), /verification failed/, `${q}: ${r.status} ${r.body}`);
        assert.equal((await d.api('GET', `/images/${REPO}:v1/json`)).status, 404);
        assert.deepEqual((await d.api('GET', '/images/json')).json, []);
        assert.deepEqual(state(), before);
        assert.deepEqual(fs.readdirSync(path.join(d.dataRoot, 'content', 'tmp')), []);
      }
    } finally {
      fs.writeFileSync(file, orig);
    }
  });

  it('check 13: an altered manifest fails the pull by tag and by digest', async () => {
    const file = blobFile(digest);
    const orig = fs.readFileSync(file);
    fs.writeFileSync(file, Buffer.from(orig.toString('utf8').replace('"schemaVersion": 2', '"schemaVersion":  2')));
    try {
      const before = state();
      for (const q of [`fromImage=${REPO}&tag=v1`, `fromImage=${REPO}&tag=${digest}`]) {
        const r = await pull(q);
        const err = r.status === 200 ? messages(r.body).find((m) => m.error)?.error : r.json?.message;
        assert.match(String(err), /verification failed/, `${q}: ${r.status} ${r.body}`);
        assert.deepEqual((await d.api('GET', '/images/json')).json, []);
        assert.deepEqual(state(), before);
      }
    } finally {
      fs.writeFileSync(file, orig);
    }
  });

  it('check 22: 5 parallel pulls of one image share one GET per blob', async () => {
    await removeLocal();
    const start = reg.requests.length;
    const results = await Promise.all(Array.from({ length: 5 }, () => pull(`fromImage=${REPO}&tag=v1`)));
    for (const r of results) {
      assert.equal(r.status, 200, r.body);
      const msgs = messages(r.body);
      assert.ok(!msgs.some((m) => m.error), r.body);
      assert.ok(msgs.some((m) => m.status === `Digest: ${digest}`), r.body);
    }
    const gets = reg.requests.slice(start).filter((l) => /^GET \/v2\/.+\/blobs\/sha256:/.test(l));
    const perBlob = new Map<string, number>();
    for (const g of gets) perBlob.set(g, (perBlob.get(g) ?? 0) + 1);
    assert.ok(perBlob.size >= 2, `expected config and layer GETs, got ${gets.join(', ')}`);
    for (const [g, n] of perBlob) assert.equal(n, 1, `${g} fetched ${n} times`);
    const images = (await d.api('GET', '/images/json')).json as { Id: string }[];
    assert.deepEqual(images.map((i) => i.Id), [id]);
  });

  it('a client that goes away mid-pull does not stop the pull or the daemon', async () => {
    await removeLocal();
    await new Promise<void>((resolve, reject) => {
      const req = http.request({ socketPath: d.sock, method: 'POST', path: `/images/create?fromImage=${encodeURIComponent(REPO)}&tag=v1`, headers: H }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => undefined);
      req.setTimeout(30_000, () => reject(new Error('no progress within 30 s')));
      req.end();
    });
    let found = 0;
    for (let i = 0; i < 400 && found !== 200; i++) {
      found = (await d.api('GET', `/images/${REPO}:v1/json`)).status;
      if (found !== 200) await new Promise((r) => setTimeout(r, 25));
    }
    assert.equal(found, 200);
    assert.equal((await d.api('GET', '/_ping')).status, 200);
  });

  it('check 22: 3 parallel pulls of a missing tag all fail, none hangs', async () => {
    const results = await Promise.all(Array.from({ length: 3 }, () => pull(`fromImage=${REPO}&tag=missing`)));
    for (const r of results) {
      assert.equal(r.status, 404, r.body);
      assert.match(r.json.message, /manifest for .*chk\/bb:missing not found: manifest unknown/);
    }
  });
});
