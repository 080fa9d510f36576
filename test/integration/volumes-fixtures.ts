/**
 * Images for the volume tests, imported into a test daemon from the busybox rootfs:
 *   bb:latest      plain busybox (CMD sh)
 *   seeded:latest  + /seed (0750 1000:1000) holding hello (0640 1000:1000, "from image") and
 *                  sub/ (0700 1001:1001); VOLUME /seed
 *   evil:latest    + /link -> /../../etc and /esc -> /../../etc; VOLUME /link and /esc/apt
 *                  (SECURITY-CHECKS 16)
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { busyboxRootfsDir } from '../helpers/busybox-rootfs.ts';
import type { TestDaemon } from '../helpers/daemon.ts';

function importTar(d: TestDaemon, tar: string, name: string, changes: string[]): Promise<void> {
  const [repo, tag = 'latest'] = name.split(':') as [string, string?];
  const qs = new URLSearchParams({ fromSrc: '-', repo, tag });
  for (const c of changes) qs.append('changes', c);
  return new Promise<void>((resolve, reject) => {
    const req = http.request({ socketPath: d.sock, method: 'POST', path: `/images/create?${qs}`, headers: { 'Content-Type': 'application/x-tar' } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => (res.statusCode === 200 && !body.includes('"error"') ? resolve() : reject(new Error(`import failed ${res.statusCode}: ${body}`))));
    });
    req.on('error', reject);
    fs.createReadStream(tar).pipe(req);
  });
}

async function buildTar(tmp: string, name: string, extra: (root: string) => void): Promise<string> {
  const root = path.join(tmp, name);
  execFileSync('cp', ['-a', await busyboxRootfsDir(), root]);
  extra(root);
  const tar = path.join(tmp, `${name}.tar`);
  execFileSync('tar', ['--numeric-owner', '-C', root, '-cf', tar, '.']);
  return tar;
}

export async function importVolumeImages(d: TestDaemon): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-vol-img-'));
  try {
    const plain = await buildTar(tmp, 'bb', () => undefined);
    await importTar(d, plain, 'bb:latest', ['CMD ["sh"]']);
    const seeded = await buildTar(tmp, 'seeded', (root) => {
      const seed = path.join(root, 'seed');
      fs.mkdirSync(path.join(seed, 'sub'), { recursive: true });
      fs.writeFileSync(path.join(seed, 'hello'), 'from image\n');
      fs.chownSync(seed, 1000, 1000);
      fs.chmodSync(seed, 0o750);
      fs.chownSync(path.join(seed, 'hello'), 1000, 1000);
      fs.chmodSync(path.join(seed, 'hello'), 0o640);
      fs.chownSync(path.join(seed, 'sub'), 1001, 1001);
      fs.chmodSync(path.join(seed, 'sub'), 0o700);
    });
    await importTar(d, seeded, 'seeded:latest', ['CMD ["sh"]', 'VOLUME /seed']);
    const evil = await buildTar(tmp, 'evil', (root) => {
      fs.symlinkSync('/../../etc', path.join(root, 'link'));
      fs.symlinkSync('/../../etc', path.join(root, 'esc'));
    });
    await importTar(d, evil, 'evil:latest', ['CMD ["sh"]', 'VOLUME /link', 'VOLUME /esc/apt']);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** The docker CLI when installed (the real client is the point), else wharf's. */
export async function cliFor(d: TestDaemon): Promise<(args: string[], input?: string) => ReturnType<TestDaemon['cli']>> {
  const hasDocker = (await d.docker(['--version']).catch(() => ({ code: 1 }))).code === 0;
  return (args, input) => (hasDocker ? d.docker(args, { input }) : d.cli(args, { input }));
}
