/**
 * Builder safety: SECURITY-CHECKS 15 (build context escapes: `ADD ../x`, context symlinks that
 * lead out, TestBuildSymlinkBreakout / TestBuildAddBadLinks-style archives, crafted context
 * tars) and 25 (a daemon killed mid-build leaves no tagged or broken image, orphan build
 * containers are removable, and the rebuild succeeds).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTar } from '../../src/common/tar/index.ts';
import type { TestDaemon } from '../helpers/daemon.ts';
import { buildDaemon, dockerBuild, makeContext } from './build-harness.ts';

let d: TestDaemon;
let hostDir: string;
const faultFile = path.join(os.tmpdir(), `wharf-build-fault-${process.pid}`);

before(async () => {
  d = await buildDaemon({ env: { WHARF_BUILD_FAULT_FILE: faultFile } });
  hostDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-build-host-'));
  fs.writeFileSync(path.join(hostDir, 'secret.txt'), 'host-secret\n');
});

after(async () => {
  await d?.stop();
  fs.rmSync(hostDir, { recursive: true, force: true });
  fs.rmSync(faultFile, { force: true });
});

/** POSTs a raw context tar; returns the streamed messages. */
async function apiBuild(tar: Buffer, query = ''): Promise<{ status: number; messages: any[] }> {
  const r = await d.api('POST', `/build?${query}`, tar, { 'Content-Type': 'application/x-tar' });
  return { status: r.status, messages: r.body.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l)) };
}

/** The build's error: streamed (`error`) after output, or a plain 4xx `{"message"}` answer before any (as docker). */
const errorOf = (r: { status: number; messages: any[] }) =>
  (r.status >= 400 ? r.messages[0]?.message : r.messages.find((x) => x.error)?.error) as string | undefined;
const file = (name: string, body: string) => ({ header: { name, type: 'file' as const, size: Buffer.byteLength(body), mode: 0o644 }, body });

test('check 15: ADD/COPY of ../x is refused', async () => {
  const c = makeContext(d, { Dockerfile: 'FROM busybox\nADD ../x /x\n' });
  let r = await dockerBuild(d, [c]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /forbidden path outside the build context: \.\.\/x/);
  r = await dockerBuild(d, [makeContext(d, { Dockerfile: 'FROM busybox\nCOPY a/../../x /x\n' })]);
  assert.match(r.stderr, /forbidden path outside the build context/);
});

test('check 15: context symlinks to /etc or above the context are not followed out', async () => {
  for (const [link, src] of [['/etc', 'etclink/passwd'], ['/etc', 'etclink'], ['../../../../../../../../etc', 'up/passwd']] as const) {
    const name = src.split('/')[0]!;
    const c = makeContext(d, { Dockerfile: `FROM busybox\nCOPY ${src} /stolen\n`, [name]: { link } });
    const r = await dockerBuild(d, ['-t', 'stolen:1', c]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /outside the build context/);
  }
  // A symlink inside a copied directory is copied as a link, never followed.
  const c = makeContext(d, { Dockerfile: 'FROM busybox\nCOPY dir /dir\n', 'dir/pw': { link: '/etc/shadow' }, 'dir/f': 'x' });
  const r = await dockerBuild(d, ['-t', 'linkcopy:1', c]);
  assert.equal(r.code, 0, r.stderr);
  const run = await d.docker(['run', '--rm', 'linkcopy:1', 'readlink', '/dir/pw']);
  assert.equal(run.stdout, '/etc/shadow\n');
});

test('check 15: TestBuildSymlinkBreakout / TestBuildAddBadLinks: ADD through an image symlink stays in the rootfs', async () => {
  const abs = createTar([{ header: { name: 'symlink', type: 'symlink', linkname: hostDir } }]);
  const rel = createTar([{ header: { name: 'badlink', type: 'symlink', linkname: `../../../../../../../../../../..${hostDir}` } }]);
  const c = makeContext(d, {
    Dockerfile: 'FROM busybox\nADD symlink.tar /\nADD badlink.tar /\nADD inject /symlink/\nADD inject /badlink/\nCOPY inject /symlink/secret.txt\n',
    'symlink.tar': abs, 'badlink.tar': rel, inject: 'injected\n',
  });
  const r = await dockerBuild(d, ['-t', 'breakout:1', c]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(fs.readdirSync(hostDir), ['secret.txt']);
  assert.equal(fs.readFileSync(path.join(hostDir, 'secret.txt'), 'utf8'), 'host-secret\n');
  const run = await d.docker(['run', '--rm', 'breakout:1', 'cat', `${hostDir}/inject`, `${hostDir}/secret.txt`]);
  assert.equal(run.stdout, 'injected\ninjected\n');
});

test('check 15: crafted context tars (../ entry, link to / then a file under it, hard link to /etc/passwd)', async () => {
  const df = file('Dockerfile', 'FROM busybox\nCOPY . /ctx/\n');
  let r = await apiBuild(createTar([df, file('../escape.txt', 'x')]));
  assert.match(errorOf(r) ?? '', /outside the build context/);
  const marker = `wharf-evil-${process.pid}`;
  r = await apiBuild(createTar([df, { header: { name: 'root', type: 'symlink', linkname: '/' } }, file(`root/tmp/${marker}`, 'evil')]), 't=crafted:1');
  assert.equal(errorOf(r), undefined);
  assert.equal(fs.existsSync(`/tmp/${marker}`), false);
  r = await apiBuild(createTar([df, { header: { name: 'hl', type: 'link', linkname: '/etc/passwd' } }]));
  assert.match(errorOf(r) ?? '', /invalid hardlink/);
});

async function crashAt(point: string, dockerfile: string): Promise<void> {
  fs.writeFileSync(faultFile, point);
  const r = await dockerBuild(d, ['-t', `crash-${point}:1`, makeContext(d, { Dockerfile: dockerfile })]);
  assert.notEqual(r.code, 0);
  await d.restart();
}

test('check 25: a daemon killed mid-build leaves no tagged or broken image; orphans go; the rebuild succeeds', async () => {
  for (const point of ['after-run', 'files-written', 'step-committed', 'before-tag']) {
    const df = `FROM busybox\nENV A=${point}\nRUN echo crash-test > /c.txt\nWORKDIR /w-${point}\nCMD ["cat", "/c.txt"]\n`;
    await crashAt(point, df);
    assert.equal(fs.existsSync(faultFile), false, `${point}: the fault point was not reached`);
    const tagged = await d.api('GET', `/images/crash-${point}:1/json`);
    assert.equal(tagged.status, 404, `${point}: tagged image after crash`);
    const all = await d.api('GET', '/images/json?all=1');
    for (const img of all.json) {
      const i = await d.api('GET', `/images/${img.Id}/json`);
      assert.equal(i.status, 200);
      const h = await d.api('GET', `/images/${img.Id}/history`);
      assert.equal(h.status, 200);
    }
    const ps = await d.docker(['ps', '-aq']);
    for (const id of ps.stdout.split('\n').filter(Boolean)) {
      const rm = await d.docker(['rm', '-f', id]);
      assert.equal(rm.code, 0, rm.stderr);
    }
    const snapDir = path.join(d.dataRoot, 'overlay2');
    if (fs.existsSync(snapDir)) assert.deepEqual(fs.readdirSync(snapDir).filter((n) => n.startsWith('build-')), []);
    assert.deepEqual(fs.existsSync(path.join(d.dataRoot, 'build')) ? fs.readdirSync(path.join(d.dataRoot, 'build')) : [], []);
    const r = await dockerBuild(d, ['-t', `crash-${point}:1`, makeContext(d, { Dockerfile: df })]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const run = await d.docker(['run', '--rm', `crash-${point}:1`]);
    assert.equal(run.stdout, 'crash-test\n');
  }
});
