/**
 * Bearer token auth (a small token-server front proxying to our registry, as Docker Hub's
 * auth.docker.io works) and resumable blob downloads (a server that cuts the connection
 * mid-blob; one that ignores Range; one that serves wrong bytes).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { parseReference, pullImage, pushImage, RegistryClient, RegistryUnauthorizedError, VerificationFailedError } from '../../src/registry/client/index.ts';
import { DirDestination, MemorySource, sha256, startRegistry, type TestRegistry } from './registry-fixtures.ts';

async function listen(handler: http.RequestListener): Promise<{ server: http.Server; host: string }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, host: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}
function close(server: http.Server): Promise<void> {
  return new Promise((r) => {
    server.close(() => r());
    server.closeAllConnections();
  });
}

describe('bearer token auth', () => {
  let reg: TestRegistry;
  let front: { server: http.Server; host: string };
  const tokenRequests: URL[] = [];
  const tokens = new Map<string, string[]>(); // token → scopes
  before(async () => {
    reg = await startRegistry();
    front = await listen((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/token') {
        tokenRequests.push(url);
        const auth = req.headers.authorization ?? '';
        if (auth !== 'Basic ' + Buffer.from('carol:pw').toString('base64')) {
          res.writeHead(401, { 'Content-Type': 'application/json' });
          return res.end(JSON.stringify({ details: 'incorrect username or password' }));
        }
        const token = randomBytes(8).toString('hex');
        tokens.set(token, url.searchParams.getAll('scope'));
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return res.end(JSON.stringify({ token, expires_in: 300 }));
      }
      const m = /^Bearer (\w+)$/.exec(req.headers.authorization ?? '');
      const scopes = m ? tokens.get(m[1]) : undefined;
      const repo = /^\/v2\/(.+?)\/(?:blobs|manifests|tags)\//.exec(url.pathname)?.[1];
      const need = repo ? `repository:${repo}:${req.method === 'GET' || req.method === 'HEAD' ? 'pull' : 'pull,push'}` : undefined;
      if (!scopes || (need && !scopes.some((s) => s === need || s === `repository:${repo}:pull,push`))) {
        res.writeHead(401, {
          'WWW-Authenticate': `Bearer realm="http://${front.host}/token",service="test-registry"${need ? `,scope="${need}"` : ''}`,
          'Content-Type': 'application/json',
        });
        return res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required', detail: null }] }));
      }
      const up = http.request({ host: '127.0.0.1', port: Number(reg.host.split(':')[1]), method: req.method, path: req.url, headers: { ...req.headers, authorization: '' } }, (r) => {
        const headers = { ...r.headers };
        if (typeof headers.location === 'string') headers.location = headers.location.replace(`http://${reg.host}`, '');
        res.writeHead(r.statusCode ?? 502, headers);
        r.pipe(res);
      });
      req.pipe(up);
    });
  });
  after(async () => {
    await close(front.server);
    await reg.close();
  });

  it('login fetches a token with the credentials; a wrong password is refused', async () => {
    await assert.rejects(new RegistryClient().login(front.host, 'carol', 'bad'), (err: Error) => {
      assert.ok(err instanceof RegistryUnauthorizedError);
      assert.equal(err.message, 'unauthorized: incorrect username or password');
      return true;
    });
    assert.equal((await new RegistryClient().login(front.host, 'carol', 'pw')).status, 'Login Succeeded');
    assert.equal(tokenRequests.at(-1)?.searchParams.get('service'), 'test-registry');
    assert.equal(tokenRequests.at(-1)?.searchParams.get('account'), 'carol');
  });

  it('push and pull with per-scope tokens, reused across requests', async () => {
    const client = new RegistryClient({ auth: { username: 'carol', password: 'pw' } });
    const ref = parseReference(`${front.host}/tok/app:v1`);
    const before = tokenRequests.length;
    const pushed = await pushImage({ client, ref, source: new MemorySource([10_000, 2_000]) });
    const dest = await DirDestination.create();
    try {
      assert.equal((await pullImage({ client, ref, dest })).digest, pushed.digest);
    } finally {
      await dest.remove();
    }
    const scopes = tokenRequests.slice(before).map((u) => u.searchParams.getAll('scope').join(' '));
    assert.deepEqual(scopes, ['repository:tok/app:pull,push', 'repository:tok/app:pull']);
  });
});

describe('resumable, verified blob downloads', () => {
  const data = randomBytes(300_000);
  const digest = 'sha256:' + createHash('sha256').update(data).digest('hex');
  let srv: { server: http.Server; host: string };
  let mode: 'cut' | 'ignore-range' | 'corrupt' = 'cut';
  const ranges: (string | undefined)[] = [];
  before(async () => {
    srv = await listen((req, res) => {
      if (req.url === '/v2/') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return res.end('{}');
      }
      ranges.push(req.headers.range);
      const r = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      if (r && mode !== 'ignore-range') {
        const start = Number(r[1]);
        res.writeHead(206, { 'Content-Length': String(data.length - start), 'Content-Range': `bytes ${start}-${data.length - 1}/${data.length}` });
        return res.end(data.subarray(start));
      }
      if (ranges.length === 1 || (mode === 'ignore-range' && ranges.length === 1)) {
        res.writeHead(200, { 'Content-Length': String(data.length) });
        res.write(data.subarray(0, 100_000), () => setImmediate(() => res.socket?.destroy()));
        return;
      }
      const body = mode === 'corrupt' ? Buffer.concat([data.subarray(0, 10), Buffer.from([data[10] ^ 1]), data.subarray(11)]) : data;
      res.writeHead(200, { 'Content-Length': String(body.length) });
      res.end(body);
    });
  });
  after(() => close(srv.server));

  const fetchAll = async (): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const c of new RegistryClient().fetchBlob({ domain: srv.host, path: 'x/y' }, { digest, size: data.length })) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  };

  it('resumes a broken download with Range', async () => {
    mode = 'cut';
    ranges.length = 0;
    const got = await fetchAll();
    assert.equal(sha256(got), digest);
    assert.equal(ranges[0], undefined);
    assert.match(ranges[1] ?? '', /^bytes=\d+-$/);
    assert.ok(Number(/\d+/.exec(ranges[1]!)![0]) >= 100_000 - 65536, ranges[1]);
  });

  it('copes with a server that ignores Range on resume', async () => {
    mode = 'ignore-range';
    ranges.length = 0;
    assert.equal(sha256(await fetchAll()), digest);
    assert.equal(ranges.length, 2);
  });

  it('fails with VerificationFailedError on wrong bytes', async () => {
    mode = 'corrupt';
    ranges.length = 1; // skip the cut
    await assert.rejects(fetchAll(), (err: Error) => err instanceof VerificationFailedError && err.message === `filesystem layer verification failed for digest ${digest}`);
  });
});
