/** Puts the busybox test image into a test daemon: `await importBusybox(d)` → 'bb:latest'. */
import fs from 'node:fs';
import http from 'node:http';
import { busyboxRootfsTar } from './busybox-rootfs.ts';
import type { TestDaemon } from './daemon.ts';

export async function importBusybox(d: TestDaemon, name = 'bb:latest', changes: string[] = ['CMD ["sh"]']): Promise<string> {
  const tar = await busyboxRootfsTar();
  const [repo, tag = 'latest'] = name.split(':') as [string, string?];
  const qs = new URLSearchParams({ fromSrc: '-', repo, tag });
  for (const c of changes) qs.append('changes', c);
  await new Promise<void>((resolve, reject) => {
    const req = http.request({ socketPath: d.sock, method: 'POST', path: `/images/create?${qs}`, headers: { 'Content-Type': 'application/x-tar' } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`import failed ${res.statusCode}: ${body}`))));
    });
    req.on('error', reject);
    fs.createReadStream(tar).pipe(req);
  });
  return name;
}
