/**
 * A busybox rootfs for tests, built from Debian's static `/bin/busybox` (busybox-static).
 *
 * Built once per busybox binary and cached in os.tmpdir(), keyed by busybox's mtime:
 *   <tmp>/wharf-busybox-<mtimeMs>/rootfs/      the directory (treat it as read-only)
 *   <tmp>/wharf-busybox-<mtimeMs>/rootfs.tar   the same tree as a tar (for image load/import tests)
 * Concurrent test processes race safely: each builds into a private dir and renames it in place.
 *
 * Contents: /bin/busybox + one symlink per applet (`busybox --list`), /etc/passwd (root, daemon,
 * nobody, u1 uid 1000, u2 uid 1001), /etc/group (u2 is also in g2 gid 2002), /tmp (1777),
 * /root, /home, and empty /proc /sys /dev /etc/hostname /etc/hosts /etc/resolv.conf.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const BUSYBOX = '/bin/busybox';

const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'daemon:x:1:1:daemon:/usr/sbin:/bin/false',
  'nobody:x:65534:65534:nobody:/nonexistent:/bin/false',
  'u1:x:1000:1000:u1:/home/u1:/bin/sh',
  'u2:x:1001:1001:u2:/home/u2:/bin/sh',
  '',
].join('\n');

const GROUP = [
  'root:x:0:',
  'daemon:x:1:',
  'nogroup:x:65534:',
  'u1:x:1000:',
  'u2:x:1001:',
  'g2:x:2002:u2',
  '',
].join('\n');

function cacheDir(): string {
  const mtime = Math.floor(fs.statSync(BUSYBOX).mtimeMs);
  return path.join(os.tmpdir(), `wharf-busybox-${mtime}`);
}

function buildTree(root: string): void {
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'root', 'home', 'tmp', 'usr/bin', 'usr/sbin', 'sbin']) {
    fs.mkdirSync(path.join(root, d), { recursive: true });
  }
  fs.chmodSync(path.join(root, 'tmp'), 0o1777);
  fs.chmodSync(path.join(root, 'root'), 0o700);
  fs.copyFileSync(BUSYBOX, path.join(root, 'bin/busybox'));
  fs.chmodSync(path.join(root, 'bin/busybox'), 0o755);
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const a of applets) {
    if (a === 'busybox' || a.includes('/')) continue;
    fs.symlinkSync('busybox', path.join(root, 'bin', a));
  }
  fs.writeFileSync(path.join(root, 'etc/passwd'), PASSWD);
  fs.writeFileSync(path.join(root, 'etc/group'), GROUP);
  for (const f of ['etc/hostname', 'etc/hosts', 'etc/resolv.conf']) fs.writeFileSync(path.join(root, f), '');
}

let pending: Promise<{ dir: string; tar: string }> | undefined;

async function ensureBuilt(): Promise<{ dir: string; tar: string }> {
  const base = cacheDir();
  const dir = path.join(base, 'rootfs');
  const tar = path.join(base, 'rootfs.tar');
  if (fs.existsSync(path.join(base, 'done'))) return { dir, tar };
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-busybox-build-'));
  try {
    const rootfs = path.join(work, 'rootfs');
    fs.mkdirSync(rootfs);
    buildTree(rootfs);
    execFileSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', rootfs, '-cf', path.join(work, 'rootfs.tar'), '.']);
    fs.writeFileSync(path.join(work, 'done'), '');
    try {
      fs.renameSync(work, base);
    } catch (err) {
      // Another process won the race (ENOTEMPTY/EEXIST): use its copy.
      if (!fs.existsSync(path.join(base, 'done'))) throw err;
      fs.rmSync(work, { recursive: true, force: true });
    }
  } catch (err) {
    fs.rmSync(work, { recursive: true, force: true });
    throw err;
  }
  return { dir, tar };
}

function built(): Promise<{ dir: string; tar: string }> {
  pending ??= ensureBuilt();
  return pending;
}

/** Path to a tar of the busybox rootfs (entries `./bin/busybox`, …; owned by 0:0). */
export async function busyboxRootfsTar(): Promise<string> {
  return (await built()).tar;
}

/** Path to the busybox rootfs directory. Shared by every test: do not write into it. */
export async function busyboxRootfsDir(): Promise<string> {
  return (await built()).dir;
}
