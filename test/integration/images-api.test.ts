import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { createApiServer } from '../../src/api/server/server.ts';
import { imageRoutes } from '../../src/api/routers/images/routes.ts';
import type { ImagesBackend } from '../../src/api/routers/images/backend.ts';
import { createLogger } from '../../src/common/logger.ts';
import { harness, smallRootfs } from './images-harness.ts';

interface Reply { status: number; body: Buffer; headers: http.IncomingHttpHeaders }

function request(socketPath: string, method: string, p: string, body?: Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path: p, headers: body ? { 'Content-Type': 'application/x-tar' } : {} }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(parts), headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
const json = (r: Reply) => JSON.parse(r.body.toString());

test('image routes over HTTP: create (import), json, tag with a registry name, history, get, load, delete', async (t) => {
  const h = harness(t);
  const backend: ImagesBackend = h.service; // the service satisfies the router's interface
  const server = createApiServer({ routes: imageRoutes(backend), logger: createLogger('fatal') });
  const sock = path.join(h.root, 'api.sock');
  await new Promise<void>((r) => server.listen(sock, r));
  t.after(() => server.close());

  const changes = encodeURIComponent('CMD ["/bin/hello"]');
  const imp = await request(sock, 'POST', `/v1.47/images/create?fromSrc=-&repo=bb&tag=v1&changes=${changes}`, smallRootfs());
  assert.equal(imp.status, 200);
  const id = JSON.parse(imp.body.toString().trim()).status as string;
  assert.match(id, /^sha256:[a-f0-9]{64}$/);

  const list = json(await request(sock, 'GET', '/images/json'));
  assert.deepEqual(list.map((i: { RepoTags: string[] }) => i.RepoTags), [['bb:v1']]);
  assert.ok(!('VirtualSize' in list[0]));
  assert.ok('VirtualSize' in json(await request(sock, 'GET', '/v1.43/images/json'))[0]);

  const tag = await request(sock, 'POST', '/images/bb:v1/tag?repo=127.0.0.1:5000/a/b&tag=tag');
  assert.equal(tag.status, 201);
  const ins = await request(sock, 'GET', '/images/127.0.0.1:5000/a/b:tag/json');
  assert.equal(ins.status, 200);
  assert.equal(json(ins).Id, id);
  assert.deepEqual(json(ins).RepoTags, ['127.0.0.1:5000/a/b:tag', 'bb:v1']);
  const hist = json(await request(sock, 'GET', `/images/${id}/history`));
  assert.equal(hist[0].Id, id);

  const missing = await request(sock, 'GET', '/images/nosuch/json');
  assert.equal(missing.status, 404);
  assert.deepEqual(json(missing), { message: 'No such image: nosuch:latest' });
  const badTag = await request(sock, 'POST', '/images/bb:v1/tag?repo=BAD');
  assert.equal(badTag.status, 400);
  assert.equal(json(badTag).message, 'invalid reference format: repository name (library/BAD) must be lowercase');

  const saved = await request(sock, 'GET', '/images/get?names=bb:v1');
  assert.equal(saved.status, 200);
  assert.equal(saved.headers['content-type'], 'application/x-tar');
  const one = await request(sock, 'GET', '/images/127.0.0.1:5000/a/b:tag/get');
  assert.equal(one.status, 200);
  assert.equal((await request(sock, 'GET', '/images/get?names=nosuch:1')).status, 404);

  const del = await request(sock, 'DELETE', '/v1.47/images/127.0.0.1:5000/a/b:tag');
  assert.deepEqual(json(del), [{ Untagged: '127.0.0.1:5000/a/b:tag' }]);
  const del2 = await request(sock, 'DELETE', '/images/bb:v1?noprune=1');
  assert.equal(json(del2)[0].Untagged, 'bb:v1');
  assert.equal(json(del2)[1].Deleted, id);

  const loaded = await request(sock, 'POST', '/images/load?quiet=1', saved.body);
  assert.equal(loaded.status, 200);
  assert.deepEqual(loaded.body.toString().trim().split('\r\n').map((l) => JSON.parse(l)), [{ stream: 'Loaded image: bb:v1\n' }]);
  assert.equal(json(await request(sock, 'GET', '/images/bb:v1/json')).Id, id);

  const badLoad = await request(sock, 'POST', '/images/load', Buffer.from('not a tar at all'.padEnd(1024, '\0')));
  assert.match(JSON.parse(badLoad.body.toString().trim()).errorDetail.message, /invalid tar header/);

  const pull = await request(sock, 'POST', '/images/create?fromImage=busybox&tag=latest');
  assert.equal(pull.status, 501);
  const pruned = json(await request(sock, 'POST', '/images/prune'));
  assert.deepEqual(pruned, { ImagesDeleted: null, SpaceReclaimed: 0 });
  assert.equal((await request(sock, 'GET', '/images/bb:v1/nonsense')).status, 404);
});
