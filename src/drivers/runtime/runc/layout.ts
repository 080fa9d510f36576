/**
 * On-disk layout of the runc driver under `<execRoot>/runtime/` (tmpfs in production: all of it
 * describes live processes and is meaningless after a reboot):
 *
 *   runc/                      runc --root (runc's own state.json per container)
 *   b/<id>/                    bundle: config.json; conmon's ctl + winsz FIFOs and attach socket;
 *                              sync (regular file conmon writes its JSON sync lines to); conmon.out
 *   b/<id>/x/<execId>/         one exec: process.json, sync, pid, ctl, winsz, attach, exit/<id>
 *   s/<id24> -> b/<id>         conmon's socket dir symlinks, named by the id's first 24 chars (keeps
 *                              sun_path short); exec: s/<execId24>
 *   exits/<id>                 exit code written by conmon (decimal, no newline)
 *   pids/<id>.pid              container init pid (runc --pid-file)
 *   pids/<id>.conmon.pid       monitor pid (conmon --conmon-pidfile)
 *   persist/<id>/              conmon --persist-dir: exit, oom
 *   rootfs/<id>/               the container's root: the snapshot's Mount[] mounted here
 *                              (mountRootfs), outside the bundle so no bundle cleanup reaches it
 *   tmp/                       conmon TMPDIR (console sockets)
 */
import fs from 'node:fs';
import path from 'node:path';

export class Layout {
  readonly base: string;
  constructor(execRoot: string) {
    this.base = path.join(execRoot, 'runtime');
  }
  get runcRoot() { return path.join(this.base, 'runc'); }
  get exits() { return path.join(this.base, 'exits'); }
  get socks() { return path.join(this.base, 's'); }
  get pids() { return path.join(this.base, 'pids'); }
  get tmp() { return path.join(this.base, 'tmp'); }
  bundle(id: string) { return path.join(this.base, 'b', id); }
  exitFile(id: string) { return path.join(this.exits, id); }
  pidFile(id: string) { return path.join(this.pids, `${id}.pid`); }
  conmonPidFile(id: string) { return path.join(this.pids, `${id}.conmon.pid`); }
  persist(id: string) { return path.join(this.base, 'persist', id); }
  rootfs(id: string) { return path.join(this.base, 'rootfs', id); }
  /** conmon's socket-dir entry for an id: short, so `<socks>/<name>/attach` fits sun_path (108 bytes). */
  sockName(id: string) { return id.length > 24 ? id.slice(0, 24) : id; }
  attachSocket(id: string) { return path.join(this.socks, this.sockName(id), 'attach'); }
  execDir(id: string, execId: string) { return path.join(this.bundle(id), 'x', execId); }

  ensure(): void {
    for (const d of [this.runcRoot, this.exits, this.socks, this.pids, this.tmp, path.join(this.base, 'b'), path.join(this.base, 'persist'), path.join(this.base, 'rootfs')]) {
      fs.mkdirSync(d, { recursive: true, mode: 0o700 });
    }
  }

  /** Container ids that have a bundle on disk. */
  bundles(): string[] {
    try {
      return fs.readdirSync(path.join(this.base, 'b'));
    } catch {
      return [];
    }
  }
}

/** Container and exec ids become file names and runc ids: keep them to a safe alphabet. */
export function checkId(id: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(id)) throw new Error(`invalid runtime id: ${JSON.stringify(id)}`);
}
