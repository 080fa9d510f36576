/**
 * Shared setup for the build integration tests: a daemon with busybox imported, context
 * directories under the daemon's temp dir, `docker build` with the classic builder
 * (DOCKER_BUILDKIT=0) and `wharf build`, and a tiny HTTP server on 127.0.0.1 for ADD URL.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { startDaemon, type CliResult, type StartOptions, type TestDaemon } from '../helpers/daemon.ts';
import { busyboxRootfsTar } from '../helpers/busybox-rootfs.ts';

export async function buildDaemon(opts: StartOptions = {}): Promise<TestDaemon> {
  const d = await startDaemon(opts);
  const tar = await busyboxRootfsTar();
  const r = await d.api('POST', '/images/create?fromSrc=-&repo=busybox&tag=latest', fs.readFileSync(tar), { 'Content-Type': 'application/x-tar' });
  if (r.status !== 200 || /error/.test(r.body)) throw new Error(`busybox import failed: ${r.status} ${r.body}`);
  return d;
}

let seq = 0;

/** A fresh context directory with `files` (path → content; a `{ link }` makes a symlink). */
export function makeContext(d: TestDaemon, files: Record<string, string | Buffer | { link: string }>): string {
  const dir = path.join(d.dir, `ctx-${++seq}`);
  fs.mkdirSync(dir, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    if (typeof content === 'object' && !Buffer.isBuffer(content)) fs.symlinkSync(content.link, p);
    else fs.writeFileSync(p, content);
  }
  return dir;
}

export function dockerBuild(d: TestDaemon, args: string[]): Promise<CliResult> {
  return d.docker(['build', ...args], { env: { DOCKER_BUILDKIT: '0' }, timeoutMs: 120_000 });
}

export async function inspectImage(d: TestDaemon, ref: string): Promise<any> {
  const r = await d.api('GET', `/images/${ref}/json`);
  if (r.status !== 200) throw new Error(`inspect ${ref}: ${r.status} ${r.body}`);
  return r.json;
}

/** Serves `files` (url path → body) on 127.0.0.1; records the request lines. */
export async function fileServer(files: Record<string, Buffer | string>): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const body = files[req.url ?? ''];
    if (body === undefined) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Last-Modified': new Date(0).toUTCString() });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((r) => server.close(() => r())) };
}
