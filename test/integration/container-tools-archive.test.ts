/**
 * docker cp against wharfd (the real docker CLI drives HEAD/GET/PUT /containers/{id}/archive):
 * files and directories both ways, running and stopped containers, bind mounts, `-a`
 * ownership, `-L`; SECURITY-CHECKS 11 (hostile archive PUT) and 12 (cp through symlinks);
 * docker diff; export → import round trip.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createTar, TarReader } from '../../src/common/tar/index.ts';
import { busyboxRootfsTar } from '../helpers/busybox-rootfs.ts';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';

let d: TestDaemon;
let work: string;
const R = randomBytes(4).toString('hex');

function raw(method: string, p: string, body?: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: d.sock, method, path: p, headers: body ? { 'Content-Type': 'application/x-tar', 'Content-Length': String(body.length) } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function tarEntries(buf: Buffer): Promise<Map<string, { type: string; body: string; uid: number; linkname: string }>> {
  const out = new Map<string, { type: string; body: string; uid: number; linkname: string }>();
  for await (const { header, body } of new TarReader(Readable.from([buf]))) {
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(Buffer.from(c));
    out.set(header.name, { type: header.type, body: Buffer.concat(chunks).toString(), uid: header.uid, linkname: header.linkname });
  }
  return out;
}

async function ok(args: string[]): Promise<string> {
  const r = await d.docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function exec(c: string, script: string): Promise<string> {
  return ok(['exec', c, 'sh', '-c', script]);
}

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-cp-'));
  d = await startDaemon();
  const imp = await d.cli(['import', await busyboxRootfsTar(), 'busybox:latest']);
  assert.equal(imp.code, 0, imp.stderr);
  await ok(['run', '-d', '--name', 'c1', 'busybox', 'sleep', '1000']);
});

after(async () => {
  await d?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

test('cp files and directories both ways on a running container', async () => {
  fs.writeFileSync(path.join(work, 'in.txt'), 'hello in\n');
  fs.mkdirSync(path.join(work, 'dir/sub'), { recursive: true });
  fs.writeFileSync(path.join(work, 'dir/sub/a'), 'A');
  fs.symlinkSync('sub/a', path.join(work, 'dir/lnk'));
  await ok(['cp', path.join(work, 'in.txt'), 'c1:/tmp/']);
  await ok(['cp', path.join(work, 'in.txt'), 'c1:/tmp/renamed.txt']);
  await ok(['cp', path.join(work, 'dir'), 'c1:/tmp/']);
  assert.equal(await exec('c1', 'cat /tmp/in.txt /tmp/renamed.txt /tmp/dir/sub/a; readlink /tmp/dir/lnk'), 'hello in\nhello in\nAsub/a\n');

  await exec('c1', 'mkdir -p /srv/out/deep && echo out > /srv/out/deep/f && echo top > /srv/top');
  await ok(['cp', 'c1:/srv/top', path.join(work, 'top.txt')]);
  await ok(['cp', 'c1:/srv/out', path.join(work, 'outdir')]);
  assert.equal(fs.readFileSync(path.join(work, 'top.txt'), 'utf8'), 'top\n');
  assert.equal(fs.readFileSync(path.join(work, 'outdir/deep/f'), 'utf8'), 'out\n');
  await ok(['cp', 'c1:/', path.join(work, 'rootcopy')]);
  assert.ok(fs.statSync(path.join(work, 'rootcopy/bin/busybox')).isFile());
  assert.equal(fs.readFileSync(path.join(work, 'rootcopy/srv/top'), 'utf8'), 'top\n');
  await ok(['cp', 'c1:/srv/out/.', path.join(work, 'contents')]);
  assert.deepEqual(fs.readdirSync(path.join(work, 'contents')), ['deep']);
  const missing = await d.docker(['cp', 'c1:/nope', path.join(work, 'x')]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /Could not find the file \/nope in container c1/);
});

test('HEAD archive carries the base64 path stat (Go file mode bits)', async () => {
  const r = await raw('HEAD', '/containers/c1/archive?path=/bin');
  assert.equal(r.status, 200);
  const st = JSON.parse(Buffer.from(String(r.headers['x-docker-container-path-stat']), 'base64').toString());
  assert.equal(st.name, 'bin');
  assert.equal(st.mode, 2 ** 31 + 0o755);
  assert.ok(Date.parse(st.mtime) > 0);
  const l = await raw('HEAD', '/containers/c1/archive?path=/bin/sh');
  const ls = JSON.parse(Buffer.from(String(l.headers['x-docker-container-path-stat']), 'base64').toString());
  assert.equal(ls.mode & 2 ** 27, 2 ** 27, 'symlink bit');
  assert.equal(ls.linkTarget, '/bin/busybox');
  assert.equal((await raw('HEAD', '/containers/c1/archive?path=/nope')).status, 404);
});

test('-a sets the container user as owner; without it the tar owner stays; -L follows links', async () => {
  const f = path.join(work, 'owned');
  fs.writeFileSync(f, 'x');
  fs.chownSync(f, 1234, 1234);
  await ok(['cp', f, 'c1:/tmp/owned']);
  assert.equal(await exec('c1', 'stat -c %u:%g /tmp/owned'), '1234:1234\n');
  await ok(['run', '-d', '--name', 'cu', '--user', 'u1', 'busybox', 'sleep', '1000']);
  await ok(['cp', '-a', f, 'cu:/tmp/owned']);
  assert.equal(await exec('cu', 'stat -c %u:%g /tmp/owned'), '1000:1000\n');
  await ok(['rm', '-f', 'cu']);

  await exec('c1', 'echo target > /tmp/t && ln -sf /tmp/t /lnk');
  await ok(['cp', 'c1:/lnk', path.join(work, 'l1')]);
  assert.ok(fs.lstatSync(path.join(work, 'l1')).isSymbolicLink());
  await ok(['cp', '-L', 'c1:/lnk', path.join(work, 'l2')]);
  assert.ok(fs.lstatSync(path.join(work, 'l2')).isFile());
  assert.equal(fs.readFileSync(path.join(work, 'l2'), 'utf8'), 'target\n');
});

test('cp on a stopped container mounts and unmounts its snapshot; bind mounts map to the host', async () => {
  const bind = path.join(work, 'bind');
  fs.mkdirSync(bind);
  fs.writeFileSync(path.join(work, 'in.txt'), 'hello in\n');
  fs.writeFileSync(path.join(bind, 'from-host'), 'fh');
  await ok(['run', '-d', '--name', 'cb', '-v', `${bind}:/data`, 'busybox', 'sleep', '1000']);
  await ok(['cp', path.join(work, 'in.txt'), 'cb:/data/']);
  assert.equal(fs.readFileSync(path.join(bind, 'in.txt'), 'utf8'), 'hello in\n');
  await exec('cb', 'echo rootfs > /inroot');
  await ok(['stop', '-t', '0', 'cb']);
  await ok(['cp', path.join(work, 'in.txt'), 'cb:/tmp/stopped.txt']);
  await ok(['cp', 'cb:/data/from-host', path.join(work, 'fh')]);
  await ok(['cp', 'cb:/inroot', path.join(work, 'inroot')]);
  assert.equal(fs.readFileSync(path.join(work, 'fh'), 'utf8'), 'fh');
  assert.equal(fs.readFileSync(path.join(work, 'inroot'), 'utf8'), 'rootfs\n');
  const merged = JSON.parse(await ok(['inspect', 'cb']))[0].GraphDriver.Data.MergedDir as string;
  const mounted = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === merged);
  assert.equal(mounted, false, 'snapshot left mounted after cp on a stopped container');
  await ok(['start', 'cb']);
  assert.equal(await exec('cb', 'cat /tmp/stopped.txt'), 'hello in\n');
  await ok(['rm', '-f', 'cb']);
});

test('check 12: cp through symlinks stays in the container', async () => {
  await exec('c1', 'ln -s /tmp /hostlink && ln -s ../../../tmp /rellink');
  const name = `wharf-check12-${R}`;
  const f = path.join(work, name);
  fs.writeFileSync(f, 'via link');
  await ok(['cp', f, 'c1:/hostlink/']);
  await ok(['cp', f, `c1:/rellink/${name}.2`]);
  assert.equal(await exec('c1', `cat /tmp/${name} /tmp/${name}.2`), 'via linkvia link');
  assert.ok(!fs.existsSync(`/tmp/${name}`) && !fs.existsSync(`/tmp/${name}.2`), 'written on the host');
  // A file only the host has is not reachable through the links.
  const hostOnly = `/tmp/wharf-hostonly-${R}`;
  fs.writeFileSync(hostOnly, 'secret');
  try {
    assert.equal((await raw('GET', `/containers/c1/archive?path=/hostlink/${path.basename(hostOnly)}`)).status, 404);
    assert.equal((await raw('GET', `/containers/c1/archive?path=/rellink/${path.basename(hostOnly)}`)).status, 404);
    const out = await d.docker(['cp', `c1:/rellink/${path.basename(hostOnly)}`, path.join(work, 'leak')]);
    assert.notEqual(out.code, 0);
  } finally {
    fs.rmSync(hostOnly, { force: true });
  }
  const h = await raw('GET', '/containers/c1/archive?path=../../etc/hostname');
  assert.equal(h.status, 200);
  const id = (await ok(['inspect', '-f', '{{.Id}}', 'c1'])).trim();
  const entries = await tarEntries(h.body);
  assert.equal(entries.get('hostname')?.body.trim(), id.slice(0, 12));
});

test('check 11: a hostile archive PUT lands inside the container or is refused', async () => {
  const hostile = createTar([
    { header: { name: `/abs-${R}`, type: 'file' }, body: 'abs' },
    { header: { name: 'evil', type: 'symlink', linkname: '/' } },
    { header: { name: `evil/tmp/pwn-${R}`, type: 'file' }, body: 'pwn' },
    { header: { name: 'rel', type: 'symlink', linkname: '../../../../../../tmp' } },
    { header: { name: `rel/pwn2-${R}`, type: 'file' }, body: 'pwn2' },
    { header: { name: `hl-${R}`, type: 'link', linkname: `abs-${R}` } },
    { header: { name: `dir-${R}/../dir-${R}/x`, type: 'file' }, body: 'x' },
  ]);
  const put = await raw('PUT', '/containers/c1/archive?path=/', hostile);
  assert.equal(put.status, 200, put.body.toString());
  for (const p of [`/abs-${R}`, `/tmp/pwn-${R}`, `/tmp/pwn2-${R}`, `/hl-${R}`]) assert.ok(!fs.existsSync(p), `${p} created on the host`);
  const hostname = fs.readFileSync('/etc/hostname', 'utf8');

  const escapes = [
    createTar([{ header: { name: `../escape-${R}`, type: 'file' }, body: 'e' }]),
    createTar([{ header: { name: `hl2-${R}`, type: 'link', linkname: '../../../../../../etc/hostname' } }]),
    createTar([{ header: { name: `a/../../escape2-${R}`, type: 'file' }, body: 'e' }]),
  ];
  for (const t of escapes) {
    const r = await raw('PUT', '/containers/c1/archive?path=/tmp', t);
    assert.equal(r.status, 400, r.body.toString());
  }
  assert.equal(fs.readFileSync('/etc/hostname', 'utf8'), hostname);
  const exp = await raw('GET', '/containers/c1/export');
  assert.equal(exp.status, 200);
  const entries = await tarEntries(exp.body);
  assert.equal(entries.get(`abs-${R}`)?.body, 'abs');
  assert.equal(entries.get(`tmp/pwn-${R}`)?.body, 'pwn');
  assert.equal(entries.get(`tmp/pwn2-${R}`)?.body, 'pwn2');
  assert.equal(entries.get(`dir-${R}/x`)?.body, 'x');
  assert.equal(entries.get(`hl-${R}`)?.type, 'link');
  for (const name of entries.keys()) assert.ok(!name.includes('escape'), name);
  // The extraction point must be a directory.
  assert.equal((await raw('PUT', '/containers/c1/archive?path=/bin/busybox', createTar([]))).status, 400);
});

test('docker diff lists added, changed and deleted paths', async () => {
  await ok(['run', '-d', '--name', 'cd', 'busybox', 'sleep', '1000']);
  await exec('cd', 'mkdir /newdir && echo x > /newdir/f && rm /bin/ls');
  const out = (await ok(['diff', 'cd'])).split('\n');
  for (const line of ['A /newdir', 'A /newdir/f', 'D /bin/ls', 'C /bin']) assert.ok(out.includes(line), `missing ${line} in ${out.join('|')}`);
  const api = await d.api('GET', '/containers/cd/changes');
  assert.ok(api.json.some((c: { Path: string; Kind: number }) => c.Path === '/bin/ls' && c.Kind === 2));
  await ok(['rm', '-f', 'cd']);
});

test('export → import round trip', async () => {
  await ok(['create', '--name', 'ce', 'busybox', 'sh']);
  fs.writeFileSync(path.join(work, 'to-export.txt'), 'hello in\n');
  await ok(['cp', path.join(work, 'to-export.txt'), 'ce:/exported.txt']);
  const tar = path.join(work, 'export.tar');
  await ok(['export', '-o', tar, 'ce']);
  const entries = await tarEntries(fs.readFileSync(tar));
  assert.ok(entries.has('bin/busybox') && entries.has('exported.txt'));
  await ok(['import', tar, `roundtrip:${R}`]);
  assert.equal(await ok(['run', '--rm', `roundtrip:${R}`, 'cat', '/exported.txt']), 'hello in\n');
  await ok(['rm', 'ce']);
});

test('read-only binds and a read-only rootfs refuse writes', async () => {
  const ro = path.join(work, 'ro');
  fs.mkdirSync(ro);
  const src = path.join(work, 'ro-src.txt');
  fs.writeFileSync(src, 'hello in\n');
  await ok(['run', '-d', '--name', 'cro', '--read-only', '-v', `${ro}:/ro:ro`, '-v', `${work}:/rw`, 'busybox', 'sleep', '1000']);
  const intoRo = await d.docker(['cp', src, 'cro:/ro/']);
  assert.notEqual(intoRo.code, 0);
  assert.match(intoRo.stderr, /mounted volume is marked read-only/);
  assert.deepEqual(fs.readdirSync(ro), []);
  const intoRoot = await d.docker(['cp', src, 'cro:/tmp/']);
  assert.notEqual(intoRoot.code, 0);
  assert.match(intoRoot.stderr, /container rootfs is marked read-only/);
  // A writable bind in a read-only container still takes files.
  await ok(['cp', src, 'cro:/rw/via-rw.txt']);
  assert.equal(fs.readFileSync(path.join(work, 'via-rw.txt'), 'utf8'), 'hello in\n');
  await ok(['rm', '-f', 'cro']);
});

test('a refused archive PUT reads the rest of the upload: the 400 arrives and the connection stays usable', async () => {
  // One raw keep-alive connection (no client agent in between): three refused uploads, each
  // followed by a ping on the same connection. A daemon that cut the upload off closes it.
  const s = net.connect(d.sock);
  await new Promise<void>((resolve, reject) => { s.once('connect', resolve); s.once('error', reject); });
  let buf = Buffer.alloc(0);
  s.on('data', (c: Buffer) => { buf = Buffer.concat([buf, c]); });
  let closed = false;
  s.on('close', () => { closed = true; });
  /** The next whole answer on the connection: status and body (answers here carry a Content-Length). */
  const answer = async (): Promise<{ status: number; body: string }> => {
    for (let i = 0; i < 2000; i++) {
      const end = buf.indexOf('\r\n\r\n');
      if (end >= 0) {
        const head = buf.subarray(0, end).toString();
        const len = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length >= end + 4 + len) {
          const body = buf.subarray(end + 4, end + 4 + len).toString();
          buf = buf.subarray(end + 4 + len);
          return { status: Number(head.split(' ')[1]), body };
        }
      }
      assert.equal(closed, false, 'the daemon closed the connection');
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('no answer within 20 s');
  };
  try {
    for (let i = 0; i < 3; i++) {
      // 8 MiB that is no tar: refused at its first header, long before the upload ends.
      const bad = Buffer.alloc(8 << 20, 'z');
      s.write(`PUT /v1.41/containers/c1/archive?path=/tmp HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-tar\r\nContent-Length: ${bad.length}\r\n\r\n`);
      await new Promise<void>((resolve, reject) => s.write(bad, (err) => (err ? reject(err) : resolve())));
      const r = await answer();
      assert.equal(r.status, 400, r.body);
      assert.match(r.body, /invalid tar header/);
      s.write('GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n');
      const ping = await answer();
      assert.equal(ping.status, 200, 'the refused upload did not cost the connection');
    }
  } finally {
    s.destroy();
  }
});
