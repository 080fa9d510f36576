/**
 * Hostile tars through the API never write (or read) outside their root: layer tars of image
 * load and import, build contexts (and a tar ADDed from one), and `cp` archive PUTs, each with
 * `..` paths, absolute paths, symlink escapes (`x -> /` then `x/<host dir>/evil`), hard links to
 * host files (`/etc/shadow`) and writes through a hard or symbolic link. The tars are built by
 * hand here (ustar headers written byte by byte), not with wharf's own tar writer. A host
 * sentinel directory must stay as it was, /etc/shadow's link count must not move, and the
 * daemon must answer after every attempt. Also: a registry blob or manifest whose digest does
 * not match is refused, by tag and by digest.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { importBusybox } from '../helpers/images.ts';
import { messages, registryAuth, startOurRegistry, type TestRegistry } from '../integration/distribution-harness.ts';
import { scaled } from './mode.ts';

// ---- a hand-written ustar encoder -------------------------------------------------------

type Entry = { name: string; type: 'file' | 'dir' | 'symlink' | 'link'; body?: string | Buffer; linkname?: string; mode?: number };

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function header(e: Entry, size: number): Buffer {
  const b = Buffer.alloc(512);
  let name = e.name;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 154);
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
  }
  b.write(name, 0, 100, 'utf8');
  b.write(octal(e.mode ?? (e.type === 'dir' ? 0o755 : 0o644), 8), 100);
  b.write(octal(0, 8), 108);
  b.write(octal(0, 8), 116);
  b.write(octal(size, 12), 124);
  b.write(octal(1_700_000_000, 12), 136);
  b.write('        ', 148);
  b.write({ file: '0', link: '1', symlink: '2', dir: '5' }[e.type], 156);
  if (e.linkname) b.write(e.linkname, 157, 100, 'utf8');
  b.write('ustar\u000000', 257);
  b.write('root', 265);
  b.write('root', 297);
  if (prefix) b.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const x of b) sum += x;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return b;
}

function tar(entries: Entry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const body = e.type === 'file' ? Buffer.from(e.body ?? '') : Buffer.alloc(0);
    parts.push(header(e, body.length), body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

// ---- the attacks --------------------------------------------------------------------------

let d: TestDaemon;
let S: string; // host sentinel directory: must stay exactly { secret: 'original' }
let ctr: string;
const shadowLinks = () => fs.statSync('/etc/shadow').nlink;
let shadowNlink: number;

/** Each attack: a layer tar's entries. `S` is the host sentinel (absolute). */
function attacks(): Array<[string, Entry[]]> {
  const up = '../'.repeat(16);
  const sRel = S.slice(1);
  return [
    ['../ to the host', [{ name: 'marker-root', type: 'file' }, { name: `${up}${sRel}/evil-dotdot`, type: 'file', body: 'pwned' }]],
    ['a/../../ to the host', [{ name: 'marker-root', type: 'file' }, { name: `a/${up}${sRel}/evil-adotdot`, type: 'file', body: 'pwned' }]],
    ['../ near the root', [{ name: 'marker-root', type: 'file' }, ...[1, 2, 3, 4, 5, 6].map((n) => ({ name: `${'../'.repeat(n)}evil-near-${n}`, type: 'file' as const, body: 'pwned' }))]],
    ['absolute path', [{ name: 'marker-root', type: 'file' }, { name: `${S}/evil-abs`, type: 'file', body: 'pwned' }]],
    ['symlink x -> / then x/<host>/evil', [{ name: 'x', type: 'symlink', linkname: '/' }, { name: `x/${sRel}/evil-symroot`, type: 'file', body: 'pwned' }]],
    ['symlink y -> <host dir> then y/evil', [{ name: 'y', type: 'symlink', linkname: S }, { name: 'y/evil-symdir', type: 'file', body: 'pwned' }]],
    ['relative symlink up then through it', [{ name: 'z', type: 'symlink', linkname: up }, { name: `z/${sRel}/evil-symrel`, type: 'file', body: 'pwned' }]],
    ['symlink chain a -> b -> /', [{ name: 'b', type: 'symlink', linkname: '/' }, { name: 'a', type: 'symlink', linkname: 'b' }, { name: `a/${sRel}/evil-chain`, type: 'file', body: 'pwned' }]],
    ['symlink dir then a dir entry through it', [{ name: 'w', type: 'symlink', linkname: S }, { name: 'w/evil-dir', type: 'dir' }]],
    ['symlink to a host file then a file over it', [{ name: 'f', type: 'symlink', linkname: `${S}/secret` }, { name: 'f', type: 'file', body: 'pwned' }]],
    ['hard link to /etc/shadow', [{ name: 'shadow', type: 'link', linkname: '/etc/shadow' }]],
    ['hard link ../ to /etc/shadow', [{ name: 'shadow2', type: 'link', linkname: `${up}etc/shadow` }]],
    ['hard link to a host file then a write through it', [{ name: 'h', type: 'link', linkname: `${S}/secret` }, { name: 'h', type: 'file', body: 'pwned' }]],
    ['hard link through a symlink of the tar', [{ name: 'x', type: 'symlink', linkname: '/' }, { name: 'hh', type: 'link', linkname: `x/${sRel}/secret` }]],
    ['symlink to a host dir then a hard link into it', [{ name: 'q', type: 'symlink', linkname: S }, { name: 'marker-root', type: 'file' }, { name: 'q/evil-hl', type: 'link', linkname: 'marker-root' }]],
  ];
}

/** The sentinel is untouched, /etc/shadow has no new link, nothing landed next to no root, the daemon answers. */
async function assertContained(what: string): Promise<void> {
  assert.deepEqual(fs.readdirSync(S), ['secret'], `${what}: the host sentinel ${S} changed`);
  assert.equal(fs.readFileSync(path.join(S, 'secret'), 'utf8'), 'original', `${what}: host file written through a link`);
  assert.equal(fs.statSync(path.join(S, 'secret')).nlink, 1, `${what}: host file hard-linked`);
  assert.equal(shadowLinks(), shadowNlink, `${what}: /etc/shadow hard-linked`);
  for (const f of findNamed(d.dir, /^evil-near-/)) {
    assert.ok(fs.existsSync(path.join(path.dirname(f), 'marker-root')), `${what}: ${f} written outside the extraction root`);
  }
  assert.equal(d.proc.exitCode, null, `${what}: wharfd exited:\n${d.logs().slice(-3000)}`);
  assert.equal((await d.api('GET', '/_ping')).status, 200, `${what}: /_ping`);
}

function findNamed(dir: string, re: RegExp, out: string[] = [], depth = 0): string[] {
  if (depth > 12) return out;
  let entries: fs.Dirent[];
  try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return out; }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (re.test(e.name)) out.push(p);
    if (e.isDirectory() && !e.isSymbolicLink()) findNamed(p, re, out, depth + 1);
  }
  return out;
}

/** A request with a deadline: answers must come, streamed or not. */
function post(method: string, p: string, body: Buffer, ms = 60_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: d.sock, method, path: p, headers: { 'Content-Type': 'application/x-tar', 'Content-Length': String(body.length) } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    const t = setTimeout(() => { req.destroy(); reject(new Error(`${method} ${p}: no answer in ${ms} ms`)); }, ms);
    req.on('close', () => clearTimeout(t));
    req.on('error', reject);
    req.end(body);
  });
}

/** Not a 5xx; a streamed 200 may carry an error message (then it was refused). */
function assertAnswered(what: string, r: { status: number; body: string }): void {
  if (process.env.ESC_DEBUG) console.log(what, r.status, r.body.replace(/\s+/g, " ").slice(-160));
  assert.ok(r.status < 500, `${what}: ${r.status} ${r.body.slice(0, 300)}`);
}

/** A docker-save archive around one layer tar (and optionally hostile outer entries). */
function saveArchive(layer: Buffer, tag: string, extra: Entry[] = [], override?: { Config?: string; Layers?: string[] }): Buffer {
  const lhex = sha256(layer);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [`sha256:${lhex}`] }, history: [{ created_by: 'escape test' }] }));
  const chex = sha256(config);
  const manifest = [{ Config: override?.Config ?? `${chex}.json`, RepoTags: [tag], Layers: override?.Layers ?? [`${lhex}/layer.tar`] }];
  return tar([
    ...extra,
    { name: `${lhex}/`, type: 'dir' },
    { name: `${lhex}/layer.tar`, type: 'file', body: layer },
    { name: `${chex}.json`, type: 'file', body: config },
    { name: 'manifest.json', type: 'file', body: JSON.stringify(manifest) },
  ]);
}

before(async () => {
  S = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-escape-'));
  fs.writeFileSync(path.join(S, 'secret'), 'original');
  shadowNlink = shadowLinks();
  d = await startDaemon();
  await importBusybox(d);
  const c = await d.api('POST', '/containers/create?name=esc', { Image: 'bb:latest', Cmd: ['sleep', '3600'] });
  assert.equal(c.status, 201, c.body);
  ctr = c.json.Id;
  assert.equal((await d.api('POST', '/containers/esc/start')).status, 204);
});

after(async () => {
  await d?.stop();
  if (S) fs.rmSync(S, { recursive: true, force: true });
});

test('archive PUT (docker cp) with escaping tars stays in the container, running or stopped', async () => {
  for (const [name, entries] of attacks()) {
    for (const dest of ['/', '/tmp']) {
      const r = await post('PUT', `/v1.41/containers/${ctr}/archive?path=${encodeURIComponent(dest)}`, tar(entries));
      assertAnswered(`cp ${name} -> ${dest}`, r);
      await assertContained(`cp ${name} -> ${dest}`);
    }
  }
  // What a symlink led to was written where the link points inside the container, not on the host.
  for (const f of ['evil-symroot', 'evil-chain', 'evil-symdir']) {
    const g = await d.api('HEAD', `/containers/${ctr}/archive?path=${encodeURIComponent(`${S}/${f}`)}`);
    assert.equal(g.status, 200, `${f} inside the container`);
  }
  const stopped = await d.api('POST', '/containers/create?name=esc-stopped', { Image: 'bb:latest', Cmd: ['true'] });
  for (const [name, entries] of attacks()) {
    const r = await post('PUT', `/v1.41/containers/${stopped.json.Id}/archive?path=%2F`, tar(entries));
    assertAnswered(`cp (stopped) ${name}`, r);
    await assertContained(`cp (stopped) ${name}`);
  }
});

test('archive GET/HEAD/PUT through a container symlink to a host path resolve inside the container', async () => {
  // A symlink inside the container naming the sentinel's host path is legitimate; following it
  // must stay in the container's root (where that path does not exist).
  const put = await post('PUT', `/v1.41/containers/${ctr}/archive?path=%2F`, tar([{ name: 'lnk', type: 'symlink', linkname: S }, { name: 'rootlnk', type: 'symlink', linkname: '/' }]));
  assert.equal(put.status, 200, put.body);
  for (const p of [`/lnk/secret`, `/rootlnk${S}/secret`, `/lnk/../../../..${S}/secret`]) {
    const g = await d.api('GET', `/containers/${ctr}/archive?path=${encodeURIComponent(p)}`);
    assert.equal(g.status, 404, `GET ${p}: ${g.status} ${g.body.slice(0, 200)}`);
    const h = await d.api('HEAD', `/containers/${ctr}/archive?path=${encodeURIComponent(p)}`);
    assert.equal(h.status, 404, `HEAD ${p}: ${h.status}`);
  }
  for (const p of ['/lnk', `/rootlnk${S}`]) {
    const r = await post('PUT', `/v1.41/containers/${ctr}/archive?path=${encodeURIComponent(p)}`, tar([{ name: 'evil-cpthrough', type: 'file', body: 'pwned' }]));
    assertAnswered(`PUT into ${p}`, r);
    await assertContained(`PUT into ${p}`);
  }
});

test('image import (POST /images/create?fromSrc=-) of escaping layer tars stays in its layer', async () => {
  let i = 0;
  for (const [name, entries] of attacks()) {
    const r = await post('POST', `/v1.41/images/create?fromSrc=-&repo=esc-import&tag=t${i++}`, tar(entries));
    assertAnswered(`import ${name}`, r);
    await assertContained(`import ${name}`);
  }
});

test('image load of escaping layer tars, and of archives whose manifest names files outside', async () => {
  let i = 0;
  for (const [name, entries] of attacks()) {
    const r = await post('POST', '/v1.41/images/load?quiet=1', saveArchive(tar(entries), `esc-load:t${i++}`));
    assertAnswered(`load ${name}`, r);
    await assertContained(`load ${name}`);
  }
  // The manifest or config named outside the archive: a host file that would make a valid image.
  const layer = tar([{ name: 'marker-root', type: 'file', body: 'host layer' }]);
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [`sha256:${sha256(layer)}`] } });
  const hostDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-escape-host-'));
  try {
    fs.writeFileSync(path.join(hostDir, 'layer.tar'), layer);
    fs.writeFileSync(path.join(hostDir, 'config.json'), config);
    fs.writeFileSync(path.join(hostDir, 'manifest.json'), JSON.stringify([{ Config: 'config.json', RepoTags: ['esc-host:viasymlink'], Layers: ['layer.tar'] }]));
    const up = '../'.repeat(16);
    const archives: Array<[string, Buffer]> = [
      ['Config ../ to a host file', saveArchive(layer, 'esc-host:cfg', [], { Config: `${up}${hostDir.slice(1)}/config.json` })],
      ['Config absolute', saveArchive(layer, 'esc-host:cfgabs', [], { Config: `${hostDir}/config.json` })],
      ['Layers ../ to a host file', saveArchive(layer, 'esc-host:layer', [], { Config: undefined, Layers: [`${up}${hostDir.slice(1)}/layer.tar`] })],
      ['Layers absolute', saveArchive(layer, 'esc-host:layerabs', [], { Layers: [`${hostDir}/layer.tar`] })],
      ['manifest.json a symlink to a host file', tar([{ name: 'manifest.json', type: 'symlink', linkname: `${hostDir}/manifest.json` }])],
      ['a layer symlink to a host file', saveArchive(layer, 'esc-host:layerlink', [{ name: 'hl', type: 'symlink', linkname: hostDir }], { Layers: ['hl/layer.tar'] })],
      ['outer entries escaping', tar([{ name: `${up}${S.slice(1)}/evil-outer`, type: 'file', body: 'x' }, { name: `${S}/evil-outer-abs`, type: 'file', body: 'x' }, { name: 'o', type: 'symlink', linkname: '/' }, { name: `o/${S.slice(1)}/evil-outer-sym`, type: 'file', body: 'x' }])],
    ];
    for (const [name, archive] of archives) {
      const r = await post('POST', '/v1.41/images/load?quiet=1', archive);
      assertAnswered(`load ${name}`, r);
      await assertContained(`load ${name}`);
    }
    // Each archive names its config or layers outside itself: any image from them was read from the host.
    const imgs = (await d.api('GET', '/images/json')).json as Array<{ RepoTags: string[] | null }>;
    const hostTags = imgs.flatMap((m) => m.RepoTags ?? []).filter((t) => t.startsWith('esc-host:'));
    assert.deepEqual(hostTags, [], 'images made from host files');
  } finally {
    fs.rmSync(hostDir, { recursive: true, force: true });
  }
});

test('build contexts with escaping entries, and a hostile tar ADDed from one, stay in their roots', async () => {
  const n = scaled({ fast: 1, soak: 3 });
  for (let round = 0; round < n; round++) {
    for (const [name, entries] of attacks()) {
      const df = { name: 'Dockerfile', type: 'file' as const, body: 'FROM bb:latest\nCOPY . /ctx/\nRUN ls -la /ctx >/dev/null\n' };
      const r1 = await post('POST', `/v1.41/build?t=esc-build&rm=1&forcerm=1`, tar([df, ...entries]), 120_000);
      assertAnswered(`build context ${name}`, r1);
      await assertContained(`build context ${name}`);
      const df2 = { name: 'Dockerfile', type: 'file' as const, body: 'FROM bb:latest\nADD evil.tar /\nADD evil.tar /tmp/\n' };
      const r2 = await post('POST', `/v1.41/build?t=esc-build-add&rm=1&forcerm=1`, tar([df2, { name: 'evil.tar', type: 'file', body: tar(entries) }]), 120_000);
      assertAnswered(`build ADD ${name}`, r2);
      await assertContained(`build ADD ${name}`);
    }
  }
});

test('a registry blob or manifest whose digest does not match is refused, by tag and by digest', async () => {
  let reg: TestRegistry | undefined;
  try {
    reg = await startOurRegistry();
    const repo = `${reg.host}/esc/bb`;
    const H = { 'X-Registry-Auth': registryAuth(reg.host) };
    // An image of its own (a layer no other local image has, so the pull has to fetch it).
    const unique = tar([{ name: 'data', type: 'file', body: `unique ${Date.now()} ${Math.random()}`.repeat(500) }]);
    const imp = await post('POST', `/v1.41/images/create?fromSrc=-&repo=${encodeURIComponent(repo)}&tag=v1`, unique);
    assert.equal(imp.status, 200, imp.body);
    const push = await d.api('POST', `/images/${encodeURIComponent(repo)}/push?tag=v1`, undefined, H);
    assert.equal(push.status, 200, push.body);
    const digest = (messages(push.body).find((m) => m.aux)?.aux as { Digest: string }).Digest;
    const blob = (dg: string) => path.join(reg!.dir, 'data', 'blobs', 'sha256', dg.slice(7));
    const manifest = JSON.parse(fs.readFileSync(blob(digest), 'utf8')) as { config: { digest: string }; layers: { digest: string }[] };
    await d.api('DELETE', `/images/${encodeURIComponent(`${repo}:v1`)}`);

    const corruptions: Array<[string, string, (b: Buffer) => Buffer]> = [
      ['a flipped byte in the layer', manifest.layers[0]!.digest, (b) => { const c = Buffer.from(b); c[c.length >> 1]! ^= 1; return c; }],
      ['a truncated layer', manifest.layers[0]!.digest, (b) => b.subarray(0, b.length - 100)],
      ['a layer with bytes appended', manifest.layers[0]!.digest, (b) => Buffer.concat([b, Buffer.from('x')])],
      ['another config', manifest.config.digest, (b) => Buffer.concat([b, Buffer.from(' ')])],
      ['an altered manifest', digest, (b) => Buffer.from(b.toString('utf8') + ' ')],
    ];
    for (const [what, dg, corrupt] of corruptions) {
      const file = blob(dg);
      const orig = fs.readFileSync(file);
      fs.writeFileSync(file, corrupt(orig));
      try {
        for (const ref of [`fromImage=${encodeURIComponent(repo)}&tag=v1`, `fromImage=${encodeURIComponent(repo)}&tag=${digest}`]) {
          const r = await d.api('POST', `/images/create?${ref}`, undefined, H);
          const err = r.status === 200 ? messages(r.body).find((m) => m.error)?.error : r.json?.message;
          // Refused in the stream (200 + error) or before it (docker's 500 for a pull error, the
          // registry's fault and not the client's): either way with the verification's message.
          assert.ok(r.status === 200 || r.status === 500, `${what} (${ref}): ${r.status} ${r.body.slice(0, 300)}`);
          assert.match(String(err), /verification failed|digest|mismatch|unexpected/i, `${what} (${ref}): ${r.status} ${r.body.slice(0, 300)}`);
          assert.equal((await d.api('GET', `/images/${encodeURIComponent(`${repo}:v1`)}/json`)).status, 404, `${what}: the image was stored`);
        }
      } finally {
        fs.writeFileSync(file, orig);
      }
    }
    // With every blob restored, the same pulls work: the refusals were the digests'.
    const ok = await d.api('POST', `/images/create?fromImage=${encodeURIComponent(repo)}&tag=v1`, undefined, H);
    assert.ok(!messages(ok.body).some((m) => m.error), ok.body);
  } finally {
    await reg?.close();
  }
});
