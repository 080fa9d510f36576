/**
 * Kill -9 of the daemon in the middle of `load`: after a restart there is no half image, no
 * orphan layer and no temp file (startup reconciles the store with disk).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startDaemon } from '../helpers/daemon.ts';
import { importBusybox } from '../helpers/images.ts';

function listDir(p: string): string[] {
  try { return fs.readdirSync(p); } catch { return []; }
}

test('kill -9 during load leaves no half image and no orphan layer', async () => {
  const d = await startDaemon();
  try {
    await importBusybox(d);
    // An image with a 64 MiB layer of random data, saved to an archive.
    const ctx = path.join(d.dir, 'ctx');
    fs.mkdirSync(ctx);
    execFileSync('head', ['-c', String(64 << 20), '/dev/urandom'], { stdio: ['ignore', fs.openSync(path.join(ctx, 'blob'), 'w'), 'ignore'] });
    const tar = path.join(d.dir, 'layer.tar');
    execFileSync('tar', ['-C', ctx, '-cf', tar, 'blob']);
    const imp = await d.cli(['import', tar, 'big:1']);
    assert.equal(imp.code, 0, imp.stderr);
    const archive = path.join(d.dir, 'big.tar');
    assert.equal((await d.cli(['save', '-o', archive, 'big:1'])).code, 0);
    assert.equal((await d.cli(['rmi', 'big:1'])).code, 0);
    const layersBefore = listDir(path.join(d.dataRoot, 'overlay2')).sort();

    // Stream the archive slowly and kill the daemon when most of it is in.
    const size = fs.statSync(archive).size;
    const req = http.request({ socketPath: d.sock, method: 'POST', path: '/images/load', headers: { 'Content-Type': 'application/x-tar', 'Content-Length': size } });
    req.on('error', () => { /* the daemon dies under it */ });
    const fd = fs.openSync(archive, 'r');
    const chunk = Buffer.alloc(1 << 20);
    let sent = 0;
    while (sent < size * 0.8) {
      const n = fs.readSync(fd, chunk, 0, chunk.length, sent);
      await new Promise<void>((r) => (req.write(chunk.subarray(0, n)) ? r() : req.once('drain', () => r())));
      sent += n;
    }
    fs.closeSync(fd);
    await new Promise((r) => setTimeout(r, 200));
    await d.kill9();
    req.destroy();
    await d.restart();

    const images = (await d.api('GET', '/images/json?all=1')).json as { RepoTags: string[] }[];
    assert.ok(!images.some((i) => (i.RepoTags ?? []).includes('big:1')), 'no half image');
    assert.equal(images.length, 1, 'only the base image');
    assert.deepEqual(listDir(path.join(d.dataRoot, 'overlay2')).sort(), layersBefore, 'no orphan layer');
    assert.deepEqual(listDir(path.join(d.dataRoot, 'content', 'tmp')), [], 'no temp files');
    // And the same archive loads completely afterwards.
    const again = await d.cli(['load', '-i', archive]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /Loaded image: big:1/);
  } finally {
    await d.stop();
  }
});
