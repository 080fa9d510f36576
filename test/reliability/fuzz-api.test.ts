/**
 * Hostile input on every route of the Engine API spec (test/fixtures/engine-api-routes.json, made
 * from docker-engine-api-v1.47.yaml by gen-api-routes.py): malformed JSON, wrong types for each
 * body field, unknown fields, bad names/ports/mounts/sizes/durations, traversal in ids, invalid
 * query values, garbage tars, huge bodies and headers. Every answer must be a 4xx with a
 * `{"message"}` (or a 2xx/3xx/404 where the input happens to be valid or missing), never a 5xx or
 * a hang; the daemon must be alive and answer /_ping after every route's batch.
 *
 * Fast mode (npm test): a fixed seed and a bounded number of cases per route. Soak mode
 * (WHARF_SOAK=1): many more cases and a random seed (printed; WHARF_FUZZ_SEED=n replays one).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { REPO, startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { importBusybox } from '../helpers/images.ts';
import { SOAK, scaled } from './mode.ts';
import {
  HOSTILE_IDS, HOSTILE_PATH_TAILS, MALFORMED_JSON, OFFLINE_REFS, baseBody, hostileQuery, isOfflineParam, merged, pick, randomString,
  rng, semanticMutations, withField, wrongType, type Rng,
} from './fuzz-values.ts';

interface Param { in: string; name: string; type: string; enum?: string[] }
interface Field { type: string; enum?: unknown[]; items?: string; fields?: Record<string, Field> }
interface RouteSpec { method: string; path: string; params: Param[]; body: { kind: 'json' | 'raw'; required: boolean; fields: Record<string, Field> } | null }

const ROUTES: RouteSpec[] = JSON.parse(fs.readFileSync(path.join(REPO, 'test/fixtures/engine-api-routes.json'), 'utf8')).routes;
const SEED = Number(process.env.WHARF_FUZZ_SEED ?? (SOAK ? Math.floor(Math.random() * 2 ** 32) : 0x5eed));
const CASES_PER_ROUTE = Number(process.env.WHARF_FUZZ_CASES ?? scaled({ fast: 30, soak: 1000 }));
/** A normal request must be answered within this (a 2-core machine shared with other tests). */
const ANSWER_MS = 20_000;
/** Streaming/blocking routes: how long to wait for their headers before calling it a legitimate block. */
const STREAM_MS = 3_000;

/** Routes that stream, upgrade or legitimately block: only "no 5xx, no crash" is asked of them. */
const STREAMING = new Set([
  'POST /containers/{id}/attach', 'GET /containers/{id}/attach/ws', 'GET /containers/{id}/logs', 'GET /containers/{id}/stats',
  'GET /containers/{id}/export', 'GET /events', 'POST /exec/{id}/start', 'POST /build', 'POST /images/load', 'POST /images/create',
  'POST /images/{name}/push', 'GET /images/{name}/get', 'GET /images/get', 'POST /containers/{id}/wait', 'POST /containers/{id}/stop',
  'POST /containers/{id}/restart', 'POST /plugins/pull', 'GET /services/{id}/logs', 'GET /tasks/{id}/logs', 'POST /session',
  'GET /containers/{id}/archive', 'POST /commit',
]);

interface Answer { status: number; headers: http.IncomingHttpHeaders; body: string; timedOut: boolean; error?: string }

/** One request, always bounded: `streamMs` set means "headers are enough, then hang up". */
function send(sock: string, method: string, p: string, body: Buffer | undefined, headers: Record<string, string>, streamMs?: number): Promise<Answer> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (a: Answer) => { if (!settled) { settled = true; clearTimeout(timer); resolve(a); req.destroy(); } };
    const h = { ...headers };
    if (body) h['Content-Length'] = String(body.length);
    const req = http.request({ socketPath: sock, method, path: p, headers: h, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = () => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), timedOut: false });
      res.on('data', (c: Buffer) => { if (size < 1 << 20) { chunks.push(c); size += c.length; } });
      res.on('end', finish);
      res.on('error', finish);
      res.on('close', finish);
      if (streamMs !== undefined && (res.statusCode ?? 0) < 400) setTimeout(finish, 200);
    });
    const timer = setTimeout(() => done({ status: 0, headers: {}, body: '', timedOut: true }), streamMs ?? ANSWER_MS);
    req.on('error', (e) => done({ status: 0, headers: {}, body: '', timedOut: false, error: e.message }));
    req.end(body);
  });
}

/**
 * The only 5xx a hostile request may get: 502/503/504 when the registry it names (always ours,
 * 127.0.0.1:1, a closed port) cannot be reached, and 501 for what wharf does not implement
 * (remote build contexts, import from a URL) or this daemon was started without (bridge
 * networks under --iptables=false), and the 503 of every swarm route on a node in no swarm (docker's
 * own answer). None is a fault in handling the input.
 */
function allowed5xx(a: Answer): boolean {
  let msg = '';
  try { msg = String(JSON.parse(a.body).message ?? ''); } catch { return false; }
  // A daemon in no swarm answers every cluster route so, as docker's does.
  if (a.status === 503 && /^This node is not (a swarm manager|part of a swarm)/.test(msg)) return true;
  if ([502, 503, 504].includes(a.status)) return msg.includes('127.0.0.1:1');
  if (a.status === 501) return /not supported|not implemented|not available in this daemon/.test(msg);
  return false;
}

/** What an answer must look like; returns a complaint or undefined. */
function judge(method: string, a: Answer, streaming: boolean): string | undefined {
  if (a.timedOut) return streaming ? undefined : `no answer within ${ANSWER_MS} ms`;
  if (a.error) return streaming ? undefined : `connection error: ${a.error}`;
  if (a.status >= 500 && !allowed5xx(a)) return `status ${a.status}: ${a.body.slice(0, 300)}`;
  if (a.status >= 300 && a.status < 400 && a.status !== 301 && a.status !== 304) return `unexpected status ${a.status}`;
  if (a.status >= 400 && method !== 'HEAD') {
    // The HTTP parser's own answers (431 huge header, 400 unparsable) are plain text, as Go's.
    if (a.status === 431) return undefined;
    let j: unknown;
    try { j = JSON.parse(a.body); } catch { return `status ${a.status} without a JSON body: ${a.body.slice(0, 200)}`; }
    if (typeof (j as { message?: unknown })?.message !== 'string') return `status ${a.status} without {"message"}: ${a.body.slice(0, 200)}`;
  }
  return undefined;
}

let d: TestDaemon;
const failures: string[] = [];
let total = 0;

async function alive(where: string): Promise<void> {
  assert.equal(d.proc.exitCode, null, `wharfd exited after ${where}:\n${d.logs().slice(-4000)}`);
  assert.equal(d.proc.signalCode, null, `wharfd killed after ${where}:\n${d.logs().slice(-4000)}`);
  const ping = await send(d.sock, 'GET', '/_ping', undefined, {}, undefined);
  assert.equal(ping.status, 200, `/_ping after ${where}: ${ping.status} ${ping.body}${ping.timedOut ? ' (timed out)' : ''}`);
}

/** Known objects, so that some cases reach past "no such …" into the handlers. */
const known = { ctr: '', exec: '', image: 'bb:latest', volume: 'fuzzvol', network: 'none' };

async function ensureFixtures(): Promise<void> {
  const img = await d.api('GET', '/images/bb:latest/json');
  if (img.status !== 200) await importBusybox(d);
  let c = await d.api('GET', '/containers/fuzzctr/json');
  if (c.status === 200 && c.json?.Config?.Image !== 'bb:latest') {
    await d.api('DELETE', '/containers/fuzzctr?force=1');
    c = { ...c, status: 404 };
  }
  if (c.status !== 200) {
    const r = await d.api('POST', '/containers/create?name=fuzzctr', { Image: 'bb:latest', Cmd: ['sleep', '3600'], StopTimeout: 1 });
    assert.equal(r.status, 201, r.body);
    c = await d.api('GET', '/containers/fuzzctr/json');
  }
  known.ctr = c.json.Id;
  if (!c.json.State.Running || c.json.State.Paused) {
    if (c.json.State.Paused) await d.api('POST', '/containers/fuzzctr/unpause');
    else await d.api('POST', '/containers/fuzzctr/start');
  }
  const e = await d.api('POST', '/containers/fuzzctr/exec', { Cmd: ['true'] });
  if (e.status === 201) known.exec = e.json.Id;
  if ((await d.api('GET', '/volumes/fuzzvol')).status !== 200) await d.api('POST', '/volumes/create', { Name: 'fuzzvol' });
}

function knownFor(route: string, name: string): string {
  if (route.startsWith('/exec/')) return known.exec;
  if (route.startsWith('/containers/')) return known.ctr;
  if (route.startsWith('/volumes/')) return known.volume;
  if (route.startsWith('/networks/')) return known.network;
  if (route.startsWith('/images/{name}/push') || route.startsWith('/distribution/')) return encodeURIComponent('127.0.0.1:1/fuzz');
  if (route.startsWith('/images/')) return encodeURIComponent(known.image);
  return name === 'id' ? known.ctr : 'fuzz';
}

/** A random tar-ish body: garbage, a truncated header, a header with bad fields, or empty. */
function garbageRaw(r: Rng): Buffer {
  const kind = Math.floor(r() * 5);
  if (kind === 0) return Buffer.alloc(0);
  if (kind === 1) return Buffer.from(randomString(r, 2000));
  const hdr = Buffer.alloc(512);
  hdr.write(pick(r, ['../../evil', '/etc/evil', 'ok', 'a/'.repeat(60), '\u0000x']), 0);
  hdr.write(pick(r, ['0000644\0', 'zzzzzzz\0', '9999999\0']), 100);
  hdr.write(pick(r, ['00000000012\0', '77777777777\0', 'garbage!!!!\0', '-0000000001\0']), 124);
  hdr.write(pick(r, ['0', '5', '2', '1', 'x', 'L', 'g', 'x']), 156);
  hdr.write(pick(r, ['../../../etc/passwd', '/', 'x']), 157);
  hdr.write('ustar\u000000', 257);
  hdr.write(pick(r, ['        ', '0000000\0', 'bad!!!!\0']), 148);
  if (kind === 2) return hdr.subarray(0, Math.floor(r() * 512));
  if (kind === 3) return Buffer.concat([hdr, Buffer.from(randomString(r, 600))]);
  return Buffer.concat([hdr, Buffer.alloc(1024)]);
}

interface Case { method: string; path: string; body?: Buffer; headers: Record<string, string>; what: string }

function makeCase(r: Rng, route: RouteSpec): Case {
  const headers: Record<string, string> = {};
  const query = new URLSearchParams();
  let what = '';
  const pathParams = route.params.filter((p) => p.in === 'path');
  const queryParams = route.params.filter((p) => p.in === 'query');
  const strategies = ['query', 'query'];
  if (pathParams.length) strategies.push('path', 'path');
  if (route.body?.kind === 'json') strategies.push('malformed', 'wrongtype', 'wrongtype', 'unknown', 'semantic', 'semantic', 'contenttype');
  if (route.body?.kind === 'raw' || (!route.body && route.method !== 'GET' && route.method !== 'HEAD')) strategies.push('raw');
  const strategy = pick(r, strategies);
  what = strategy;

  let p = route.path;
  for (const pp of pathParams) {
    const offline = isOfflineParam(route.path, pp.name);
    const hostile = offline ? OFFLINE_REFS.map(encodeURIComponent) : HOSTILE_IDS;
    const v = strategy === 'path' ? pick(r, [...hostile, knownFor(route.path, pp.name)]) : knownFor(route.path, pp.name);
    if (strategy === 'path') what += ` ${pp.name}=${v.slice(0, 60)}`;
    p = p.replace(`{${pp.name}}`, v);
  }
  // Offline guards first: references always point at a closed loopback port.
  for (const qp of queryParams) if (isOfflineParam(route.path, qp.name) && (strategy === 'query' ? r() < 0.7 : r() < 0.3)) query.set(qp.name, pick(r, OFFLINE_REFS));
  if (route.path === '/images/create' && !query.has('fromImage') && !query.has('fromSrc')) query.set(r() < 0.5 ? 'fromImage' : 'fromSrc', pick(r, OFFLINE_REFS));
  if (route.path === '/commit' && !query.has('container')) query.set('container', r() < 0.7 ? 'fuzzctr' : pick(r, HOSTILE_IDS));
  if (strategy === 'query') {
    const n = 1 + Math.floor(r() * Math.min(3, queryParams.length || 1));
    for (let i = 0; i < n && queryParams.length; i++) {
      const qp = pick(r, queryParams);
      if (isOfflineParam(route.path, qp.name)) continue;
      const v = hostileQuery(r, qp.name === 't' && route.path === '/build' ? 't_build' : qp.name, qp.type);
      query.append(qp.name, v);
      what += ` ${qp.name}=${JSON.stringify(v.slice(0, 60))}`;
    }
    if (r() < 0.2) { const k = randomString(r, 10) || 'x'; query.append(k, randomString(r, 20)); what += ` unknown ${JSON.stringify(k)}`; }
  }
  // A search term without a registry names Docker Hub: always prefix ours, on a closed port.
  if (query.has('term')) query.set('term', `127.0.0.1:1/${query.get('term')}`);
  else if (route.path === '/images/search') query.set('term', '127.0.0.1:1/fuzz');

  let body: Buffer | undefined;
  const base = baseBody(route.path);
  if (route.body?.kind === 'json') {
    headers['Content-Type'] = 'application/json';
    let value: unknown = base;
    const fields = Object.entries(route.body.fields);
    if (strategy === 'malformed') {
      let t = pick(r, MALFORMED_JSON);
      // Some of these parse: a login body without a registry would go to Docker Hub.
      if (route.path === '/auth') { try { if (JSON.parse(t) && typeof JSON.parse(t) === 'object') t = '{'; } catch { /* stays malformed */ } }
      body = Buffer.from(t);
      what += ` ${JSON.stringify(t.slice(0, 40))}`;
    } else if (strategy === 'wrongtype' && fields.length) {
      const [name, f] = pick(r, fields);
      let dotted = name;
      let ft = f;
      if (f.fields && r() < 0.6) { const [sub, sf] = pick(r, Object.entries(f.fields)); dotted = `${name}.${sub}`; ft = sf; }
      const v = wrongType(r, ft.type);
      value = withField(base, dotted, v);
      what += ` ${dotted}=${JSON.stringify(v)?.slice(0, 60)}`;
    } else if (strategy === 'unknown') {
      const k = pick(r, ['Bogus', '__proto__', 'constructor', '', 'x'.repeat(1000), 'HostConfig.Bogus', 'image']);
      value = { ...base, [k]: pick(r, [1, 'x', null, {}, []]) };
      if (k === 'HostConfig.Bogus') value = withField(base, 'HostConfig.Bogus', 1);
      what += ` ${k.slice(0, 30)}`;
    } else if (strategy === 'semantic') {
      const muts = semanticMutations(route.path);
      if (muts.length) {
        const m = pick(r, muts);
        value = merged(base, m);
        what += ` ${JSON.stringify(m).slice(0, 120)}`;
      } else if (fields.length) {
        const [name, f] = pick(r, fields);
        const v = f.enum ? 'bogus-enum' : wrongType(r, f.type);
        value = withField(base, name, v);
        what += ` ${name}=${JSON.stringify(v)?.slice(0, 60)}`;
      }
    } else if (strategy === 'contenttype') {
      headers['Content-Type'] = pick(r, ['text/plain', 'application/xml', 'application/jsonx', '', 'multipart/form-data; boundary=x', '\u00e9']);
      what += ` ${JSON.stringify(headers['Content-Type'])}`;
      if (!headers['Content-Type']) delete headers['Content-Type'];
    }
    // A login names its registry: whatever the mutation did, keep it ours (a closed port).
    if (route.path === '/auth' && value && typeof value === 'object' && !Array.isArray(value)) {
      const v = value as Record<string, unknown>;
      if (typeof v.serveraddress !== 'string' || !v.serveraddress.includes('127.0.0.1:1')) v.serveraddress = '127.0.0.1:1';
    }
    body ??= Buffer.from(JSON.stringify(value) ?? '');
  } else if (strategy === 'raw') {
    body = garbageRaw(r);
    headers['Content-Type'] = pick(r, ['application/x-tar', 'application/octet-stream', 'application/json']);
    what += ` ${body.length} bytes`;
  }
  const qs = query.toString();
  return { method: route.method, path: `/v1.41${p}${qs ? `?${qs}` : ''}`, body, headers, what };
}

before(async () => {
  d = await startDaemon();
  await ensureFixtures();
  console.log(`fuzz-api: seed ${SEED}, ${CASES_PER_ROUTE} cases per route, ${ROUTES.length} routes`);
});

after(async () => {
  if (d) {
    // A fuzzed body may have made a network that owns a bridge on the host: remove them all.
    const nets = await d.api('GET', '/networks');
    for (const n of (nets.json ?? []) as Array<{ Id: string; Name: string }>) {
      if (!['bridge', 'host', 'none'].includes(n.Name)) await d.api('DELETE', `/networks/${n.Id}`);
    }
    await d.stop();
  }
  console.log(`fuzz-api: ${total} cases, ${failures.length} failures`);
});

test('every route of the spec answers hostile input with a 4xx {"message"}, no 5xx, no hang, no crash', async () => {
  const r = rng(SEED);
  for (const route of ROUTES) {
    const key = `${route.method} ${route.path}`;
    const streaming = STREAMING.has(key);
    for (let i = 0; i < CASES_PER_ROUTE; i++) {
      const c = makeCase(r, route);
      const a = await send(d.sock, c.method, c.path, c.body, c.headers, streaming ? STREAM_MS : undefined);
      total++;
      const complaint = judge(c.method, a, streaming);
      if (complaint) failures.push(`${c.method} ${c.path.slice(0, 200)} [${c.what}]: ${complaint}`);
      // A container that a hostile config made: its start must refuse cleanly too (values that
      // passed create reach runc there), and it goes away after.
      if (route.path === '/containers/create' && a.status === 201) {
        const id = JSON.parse(a.body).Id as string;
        const st = await send(d.sock, 'POST', `/v1.41/containers/${id}/start`, undefined, {});
        total++;
        const bad = judge('POST', st, false);
        if (bad) failures.push(`start after POST /containers/create [${c.what}]: ${bad}`);
        await send(d.sock, 'DELETE', `/v1.41/containers/${id}?force=1&v=1`, undefined, {});
      }
    }
    await alive(key);
    await ensureFixtures();
  }
  assert.deepEqual(failures, [], `seed ${SEED}`);
});

/** Raw bytes on the socket: for request targets Node's http client refuses to send. */
function rawRequest(sock: string, text: string | Buffer, ms = 5000): Promise<string> {
  return new Promise((resolve) => {
    const c = net.connect(sock);
    let out = '';
    const t = setTimeout(() => { c.destroy(); resolve(out); }, ms);
    c.on('data', (b) => (out += b.toString('latin1')));
    c.on('close', () => { clearTimeout(t); resolve(out); });
    c.on('error', () => {});
    c.write(text);
  });
}

test('regression: a request target that is no URL is a 400, not a daemon crash', async () => {
  for (const target of ['http://[::1', 'http://[', 'http://a:99999999/', 'http://%zz/']) {
    const out = await rawRequest(d.sock, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    assert.match(out, /^HTTP\/1\.1 400 /, `${target}: ${out.slice(0, 200)}`);
    await alive(`GET ${target}`);
  }
  const up = await rawRequest(d.sock, 'POST http://[::1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n');
  assert.match(up, /^HTTP\/1\.1 400 /);
  await alive('upgrade with a bad target');
});

test('regression: a malformed %-escape in the path is a 400 with a message', async () => {
  for (const p of ['/containers/%E0%A4%A/json', '/images/%ff%/json', '/volumes/%']) {
    const a = await send(d.sock, 'GET', p, undefined, {});
    assert.equal(a.status, 400, `${p}: ${a.body}`);
    assert.equal(typeof JSON.parse(a.body).message, 'string');
  }
});

test('traversal in whole paths and API versions never routes outside', async () => {
  for (const tail of HOSTILE_PATH_TAILS) {
    const out = await rawRequest(d.sock, `GET /v1.41/containers/${tail} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    assert.match(out, /^HTTP\/1\.1 (301|400|404) /, `${tail}: ${out.slice(0, 200)}`);
  }
  for (const v of ['/v9.99/info', '/v0.1/info', '/vabc/info', '/v1.41.1/info', '/v/info', '/v1..41/info', '/v-1/info', '/v1e3/info']) {
    const a = await send(d.sock, 'GET', v, undefined, {});
    // `/v1.41.1/` is a version like any other to docker's router (and below the maximum).
    assert.equal(judge('GET', a, false), undefined, v);
  }
  await alive('path traversal');
});

test('huge headers are refused with 431 and huge bodies with a 4xx', async () => {
  const big = 'x'.repeat(2 << 20);
  const h = await send(d.sock, 'GET', '/v1.41/info', undefined, { 'X-Big': big });
  assert.ok(h.status === 431 || h.status === 400 || h.error !== undefined, `huge header: ${h.status}`);
  const many: Record<string, string> = {};
  for (let i = 0; i < 5000; i++) many[`X-H${i}`] = 'y'.repeat(300);
  const hm = await send(d.sock, 'GET', '/v1.41/info', undefined, many);
  assert.ok(hm.status === 431 || hm.status === 400 || hm.error !== undefined, `many headers: ${hm.status}`);
  const longUrl = await send(d.sock, 'GET', `/v1.41/containers/json?filters=${'a'.repeat(2 << 20)}`, undefined, {});
  assert.ok(longUrl.status === 431 || longUrl.status === 414 || longUrl.status === 400 || longUrl.error !== undefined, `huge URL: ${longUrl.status}`);
  await alive('huge headers');

  // 50 MB of JSON whose one string is huge: a 4xx with a message (no such image), in bounded time.
  const fifty = Buffer.concat([Buffer.from('{"Image":"'), Buffer.alloc(50 << 20, 'a'), Buffer.from('"}')]);
  for (const p of ['/v1.41/containers/create', '/v1.41/volumes/create', '/v1.41/networks/create', `/v1.41/containers/${known.ctr}/exec`]) {
    const a = await send(d.sock, 'POST', p, fifty, { 'Content-Type': 'application/json' });
    assert.equal(judge('POST', a, false), undefined, `50 MB to ${p}`);
    // A volume takes unknown fields (and gets a random name): the only valid one of these.
    if (!p.includes('volumes')) assert.ok(a.status >= 400, `50 MB to ${p}: ${a.status}`);
  }
  // 50 MB of garbage (not JSON) and 70 MB (over the cap: 413).
  const garbage = Buffer.alloc(50 << 20, '{');
  const g = await send(d.sock, 'POST', '/v1.41/containers/create', garbage, { 'Content-Type': 'application/json' });
  assert.equal(g.status, 400, g.body.slice(0, 200));
  const seventy = Buffer.alloc(70 << 20, ' ');
  const s = await send(d.sock, 'POST', '/v1.41/containers/create', seventy, { 'Content-Type': 'application/json' });
  assert.ok(s.status === 413 || s.error !== undefined, `70 MB: ${s.status} ${s.error ?? ''}`);
  // 50 MB of garbage to the streamed tar routes.
  for (const p of ['/v1.41/images/load', '/v1.41/build', '/v1.41/images/create?fromSrc=-&repo=fuzzimp', `/v1.41/containers/${known.ctr}/archive?path=/tmp`]) {
    const a = await send(d.sock, p.includes('archive') ? 'PUT' : 'POST', p, Buffer.alloc(50 << 20, 'z'), { 'Content-Type': 'application/x-tar' });
    assert.equal(judge('POST', a, false), undefined, `50 MB garbage to ${p}`);
  }
  await alive('huge bodies');
});

test('broken HTTP framing: bad Content-Length, bad chunking, a body cut short, a client gone mid-request', async () => {
  const cases = [
    'POST /v1.41/containers/create HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}',
    'POST /v1.41/containers/create HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n{}',
    'POST /v1.41/containers/create HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}',
    'POST /v1.41/containers/create HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
    'POST /v1.41/containers/create HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: bogus\r\n\r\n{}',
    'GARBAGE\r\n\r\n',
    '\u0000\u0001\u0002\r\n\r\n',
    'GET /_ping HTTP/9.9\r\n\r\n',
  ];
  for (const c of cases) {
    const out = await rawRequest(d.sock, c, 3000);
    assert.ok(!/^HTTP\/1\.1 5/.test(out), `${JSON.stringify(c.slice(0, 60))}: ${out.slice(0, 100)}`);
  }
  // Bodies that stop half way (the client then hangs up): nothing may wait forever or crash.
  for (const p of ['/v1.41/containers/create', '/v1.41/images/load', '/v1.41/build', `/v1.41/containers/${known.ctr}/archive?path=/tmp`]) {
    await rawRequest(d.sock, `${p.includes('archive') ? 'PUT' : 'POST'} ${p} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-tar\r\nContent-Length: 100000\r\n\r\n${'{'.repeat(1000)}`, 300);
  }
  const up = await rawRequest(d.sock, `POST /v1.41/exec/${known.exec}/start HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{"Det`, 300);
  assert.ok(!/^HTTP\/1\.1 5/.test(up), up.slice(0, 100));
  await alive('broken framing');
});

test('regression: what the fuzzer found answers a 400 with a message', async () => {
  const tarGarbage = Buffer.concat([Buffer.from('../../evil'), Buffer.alloc(502, 'z'), Buffer.alloc(1024)]);
  const gzGarbage = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  const cases: Array<[string, string, unknown, Record<string, string>?]> = [
    // A NUL byte in an archive path reached fs (Node's TypeError: a 500).
    ['HEAD', `/containers/${known.ctr}/archive?path=%2Fetc%00x`, undefined],
    ['GET', `/containers/${known.ctr}/archive?path=%2Fetc%00x`, undefined],
    // A mount that is null or has fields of other types reached `.startsWith` (a 500).
    ['POST', '/containers/create', { Image: 'bb:latest', HostConfig: { Mounts: [null] } }],
    ['POST', '/containers/create', { Image: 'bb:latest', HostConfig: { Mounts: [{ Type: 'bind', Source: 1, Target: '/x' }] } }],
    ['POST', '/containers/create', { Image: 'bb:latest', HostConfig: { Mounts: [{ Type: 'tmpfs', Target: 5 }] } }],
    ['POST', '/containers/create', { Image: 'bb:latest', HostConfig: { Mounts: [{ Type: 'tmpfs', Target: '/x', TmpfsOptions: { SizeBytes: -1 } }] } }],
    ['POST', '/containers/create', { Image: 'bb:latest', HostConfig: { Mounts: [{ Type: 'bind', Source: '/tmp', Target: '/x', BindOptions: { Propagation: 'bogus' } }] } }],
    // Tmpfs options and sysctls runc or the kernel refuse at start (a 500 from start).
    ['POST', '/containers/create', { Image: 'bb:latest', HostConfig: { Tmpfs: { '/x': 'size=abc' } } }],
    ['POST', '/containers/create', { Image: 'bb:latest', HostConfig: { Tmpfs: { '/x': 'bogus' } } }],
    ['POST', '/containers/create', { Image: 'bb:latest', HostConfig: { Tmpfs: { '/x': 1 } } }],
    ['POST', '/containers/create', { Image: 'bb:latest', HostConfig: { Sysctls: { '../../x': '1' } } }],
    ['POST', '/containers/create', { Image: 'bb:latest', HostConfig: { Sysctls: { 'kernel.bogus': '1' } } }],
    ['POST', '/containers/create', { Image: 'bb:latest', HostConfig: { NetworkMode: 'host', Sysctls: { 'net.ipv4.ip_forward': '1' } } }],
    // An exec body that is JSON but no object (`0`, `"str"`, `true`) reached the `in` operator (a 500).
    ['POST', `/containers/${known.ctr}/exec`, 0],
    ['POST', `/containers/${known.ctr}/exec`, 'str'],
    ['POST', `/containers/${known.ctr}/exec`, true],
    // Exec fields of other types reached `.startsWith` (a 500).
    ['POST', `/containers/${known.ctr}/exec`, { Cmd: ['true'], Env: [[[]]] }],
    ['POST', `/containers/${known.ctr}/exec`, { Cmd: ['true'], Env: 'A=b' }],
    ['POST', `/containers/${known.ctr}/exec`, { Cmd: [1] }],
    ['POST', `/containers/${known.ctr}/exec`, { Cmd: ['true'], ConsoleSize: [-1, 5] }],
    // Values runc or the kernel refuse at start (a 500 from start): a hostname over 64 bytes,
    // CPUs this host does not have (cgroup ERANGE).
    ['POST', '/containers/create', { Image: 'bb:latest', Hostname: 'x'.repeat(300) }],
    ['POST', '/containers/create', { Image: 'bb:latest', HostConfig: { CpusetCpus: '0-99999' } }],
    ['POST', '/containers/create', { Image: 'bb:latest', HostConfig: { CpusetMems: '5-1' } }],
    ['POST', `/containers/${known.ctr}/update`, { CpusetCpus: '0-99999' }],
    // A relative device path was walked from the daemon's working directory, then a 500 from start.
    ['POST', '/containers/create', { Image: 'bb:latest', HostConfig: { Devices: [{ PathOnHost: '../..' }] } }],
    ['POST', '/containers/create', { Image: 'bb:latest', HostConfig: { Devices: [{ PathOnHost: '/dev/null', PathInContainer: 'rel' }] } }],
    ['POST', '/containers/create', { Image: 'bb:latest', HostConfig: { Devices: [{ PathOnHost: '/dev/null', CgroupPermissions: 'xyz' }] } }],
    ['POST', '/containers/create', { Image: 'bb:latest', HostConfig: { Devices: ['x'] } }],
    // Numbers beyond int64 and a CFS quota under 1 ms reached the cgroup files (EINVAL: a 500).
    ['POST', `/containers/${known.ctr}/update`, { Memory: 1e30 }],
    ['POST', `/containers/${known.ctr}/update`, { CpuShares: 1e308 }],
    ['POST', `/containers/${known.ctr}/update`, { CpuQuota: 1 }],
    ['POST', '/containers/create', { Image: 'bb:latest', HostConfig: { Memory: 1e30 } }],
    ['POST', '/containers/create', { Image: 'bb:latest', HostConfig: { CpuPeriod: 5 } }],
    // A registry address no URL can carry (new URL threw: a 500; `ftp://…` was looked up as host "ftp").
    ['POST', '/auth', { serveraddress: '[127.0.0.1:1', username: 'u', password: 'p' }],
    ['POST', '/auth', { serveraddress: '127.0.0.1:1:2', username: 'u', password: 'p' }],
    ['POST', '/auth', { serveraddress: 'ftp://127.0.0.1:1', username: 'u', password: 'p' }],
    // A path longer than the kernel takes (ENAMETOOLONG from lstat: a 500).
    ['HEAD', `/containers/${known.ctr}/archive?path=${'%2Fa'.repeat(2000)}`, undefined],
    ['GET', `/containers/${known.ctr}/archive?path=${'%2Fa'.repeat(2000)}`, undefined],
    // A commit config 3000 objects deep overflowed the stack (structuredClone); a wrong type hit `.map`.
    ['POST', '/commit?container=fuzzctr', { Labels: JSON.parse('{"a":'.repeat(3000) + '1' + '}'.repeat(3000)) }],
    ['POST', '/commit?container=fuzzctr', { Env: 'x' }],
    ['POST', '/commit?container=fuzzctr', { Cmd: ['true'], Healthcheck: { Test: 'x' } }],
    // Label values that are no strings were stored as "[object Object]".
    ['POST', '/containers/create', { Image: 'bb:latest', Labels: { a: { b: 1 } } }],
    ['POST', '/containers/create', { Image: 'bb:latest', Labels: ['a=b'] }],
    // A context or archive that is no tar (or broken gzip) was a 500.
    ['POST', '/build', tarGarbage, { 'Content-Type': 'application/x-tar' }],
    ['POST', '/build', gzGarbage, { 'Content-Type': 'application/x-tar' }],
    ['PUT', `/containers/${known.ctr}/archive?path=%2Ftmp`, tarGarbage, { 'Content-Type': 'application/x-tar' }],
    ['PUT', `/containers/${known.ctr}/archive?path=%2Ftmp`, gzGarbage, { 'Content-Type': 'application/x-tar' }],
  ];
  for (const [method, p, body, headers] of cases) {
    const buf = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    const a = await send(d.sock, method, `/v1.41${p}`, buf, headers ?? (buf ? { 'Content-Type': 'application/json' } : {}));
    assert.equal(a.status, 400, `${method} ${p}: ${a.status} ${a.body}`);
    if (method !== 'HEAD') assert.equal(typeof JSON.parse(a.body).message, 'string', `${method} ${p}`);
  }
  await alive('regressions');
});

test('regression: a name filter that is no regular expression matches nothing (moby), and a deep commit config is no stack overflow', async () => {
  for (const f of ['(?<', '[', '*', '\\']) {
    const a = await send(d.sock, 'GET', `/v1.41/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ name: [f] }))}`, undefined, {});
    assert.equal(a.status, 200, `${f}: ${a.body}`);
    assert.deepEqual(JSON.parse(a.body), [], f);
  }
  // A commit config 3000 objects deep in a field docker does not have: dropped (as Go's decoder
  // does), no stack overflow; in ExposedPorts: its values emptied. Stored configs stay flat.
  const deep = '{"a":'.repeat(3000) + '1' + '}'.repeat(3000);
  const c = await send(d.sock, 'POST', '/v1.41/commit?container=fuzzctr', Buffer.from(`{"Cmd":["sh"],"Deep":${deep},"ExposedPorts":{"80/tcp":${deep}}}`), { 'Content-Type': 'application/json' });
  assert.equal(c.status, 201, c.body);
  const img = await d.api('GET', `/images/${JSON.parse(c.body).Id}/json`);
  assert.equal(img.json.Config.Deep, undefined);
  assert.deepEqual(img.json.Config.Cmd, ['sh']);
  assert.deepEqual(img.json.Config.ExposedPorts, { '80/tcp': {} });
});

test('regression: a bare env name (what `-e NAME` sends when NAME is unset) unsets it, as docker; runc refused it at start', async () => {
  const r = await d.api('POST', '/containers/create', { Image: 'bb:latest', Cmd: ['/bin/env'], Env: ['A', 'B=1', 'PATH'] });
  assert.equal(r.status, 201, r.body);
  assert.equal((await d.api('POST', `/containers/${r.json.Id}/start`)).status, 204);
  await d.api('POST', `/containers/${r.json.Id}/wait`);
  const logs = await d.cli(['logs', r.json.Id]);
  assert.match(logs.stdout, /^B=1$/m);
  assert.doesNotMatch(logs.stdout, /^A(=|$)/m);
  assert.doesNotMatch(logs.stdout, /^PATH=/m);
  await d.api('DELETE', `/containers/${r.json.Id}?force=1`);
});

test('regression: a device that does not exist on the host fails the start with a 400, not a 500', async () => {
  const r = await d.api('POST', '/containers/create', { Image: 'bb:latest', Cmd: ['true'], HostConfig: { Devices: [{ PathOnHost: '/dev/wharf-no-such-device', PathInContainer: '/dev/x', CgroupPermissions: 'rwm' }] } });
  assert.equal(r.status, 201, r.body);
  const st = await d.api('POST', `/containers/${r.json.Id}/start`);
  assert.equal(st.status, 400, st.body);
  assert.match(st.json.message, /error gathering device information/);
  await d.api('DELETE', `/containers/${r.json.Id}?force=1`);
});

test('valid tmpfs options and namespaced sysctls still create and start', async () => {
  const r = await d.api('POST', '/containers/create', { Image: 'bb:latest', Cmd: ['true'], HostConfig: { Tmpfs: { '/x': 'rw,noexec,nosuid,size=64m,mode=1777', '/y': '' }, Sysctls: { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '68719476736' } } });
  assert.equal(r.status, 201, r.body);
  const st = await d.api('POST', `/containers/${r.json.Id}/start`);
  assert.equal(st.status, 204, st.body);
  await d.api('DELETE', `/containers/${r.json.Id}?force=1`);
});

test('regression: a client hanging up on an upgraded request while it is answered does not end the daemon', async () => {
  // The body is cut short, so the answer (a 400) is written to a socket the client already closed: EPIPE.
  for (let i = 0; i < 5; i++) {
    await rawRequest(d.sock, `POST /v1.41/exec/${known.exec}/start HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{"Det`, 50);
    await rawRequest(d.sock, `POST /v1.41/containers/${known.ctr}/attach?stream=1&stdout=1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n`, 20);
  }
  await new Promise((r) => setTimeout(r, 500));
  await alive('upgraded requests the client hung up on');
});
