/**
 * vfs snapshot driver: every layer and container is a full copy of its rootfs. Portable
 * (any filesystem, no overlayfs) but slow and space-hungry; the fallback driver.
 *
 * On-disk layout (`root` = <data-root>/vfs):
 *   <hex>/                a layer, named by the hex of its ChainID
 *     rootfs/             the complete filesystem: parent's copy (cp -a) + this layer applied
 *     chain               the full ChainID;  parent: the parent ChainID (absent for a base)
 *   <key>/                a container snapshot
 *     rootfs/             copy of the parent layer's rootfs; bind-mounted as the container root
 *     snapshot            the parent ChainID ('' = empty rootfs)
 *   .tmp-*                work in progress (removed at start)
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { promisify } from 'node:util';
import { ConflictError, NotFoundError, SystemError } from '../../../common/errors.ts';
import { tarStream } from '../../../common/tar/index.ts';
import type { ApplyOptions, ApplyResult, Mount, SnapshotDriver, StagedLayer } from '../contract.ts';
import { SplitRecorder } from '../../../common/tar/split.ts';
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { applyLayerTar } from '../layer/apply.ts';
import { backingFs } from '../layer/backing-fs.ts';
import { naiveChanges, naiveDiffEntries } from '../layer/diff-naive.ts';
import { buildAtomically, cleanTemp, layerDirName, readText, removeAtomically, snapshotDirName } from '../layer/dir-store.ts';
import { isMountPoint, unmount } from '../../../common/native/mount.ts';

const run = promisify(execFile);

/** Copies a rootfs with everything (owners, modes, times, xattrs, hard links, devices). */
async function copyTree(src: string, dst: string): Promise<void> {
  try {
    await run('cp', ['-a', '--reflink=auto', '--', src, dst]);
  } catch (err) {
    throw new SystemError(`vfs: copying ${src}: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`, { cause: err });
  }
}

export class VfsDriver implements SnapshotDriver {
  readonly name = 'vfs' as const;
  readonly #root: string;
  readonly tempLeftovers: { path: string; error: string }[];

  constructor(opts: { root: string }) {
    this.#root = path.resolve(opts.root);
    fs.mkdirSync(this.#root, { recursive: true, mode: 0o700 });
    this.tempLeftovers = cleanTemp(this.#root);
  }

  hasLayer(chainId: string): boolean {
    return fs.existsSync(path.join(this.#root, layerDirName(chainId), 'chain'));
  }

  #requireLayer(chainId: string): string {
    if (!this.hasLayer(chainId)) throw new NotFoundError(`layer ${chainId} does not exist`);
    return path.join(this.#root, layerDirName(chainId));
  }

  #requireSnapshot(key: string): string {
    const dir = path.join(this.#root, snapshotDirName(key));
    if (readText(path.join(dir, 'snapshot')) === undefined) throw new NotFoundError(`snapshot ${key} does not exist`);
    return dir;
  }

  /** A new rootfs at `dst`: a copy of `parent`'s, or empty. */
  async #rootfsFrom(parent: string | undefined, dst: string): Promise<void> {
    if (parent === undefined) fs.mkdirSync(dst, 0o755);
    else await copyTree(path.join(this.#requireLayer(parent), 'rootfs'), dst);
  }

  async applyLayer(chainId: string, parent: string | undefined, tar: Readable, opts: ApplyOptions = {}): Promise<ApplyResult> {
    const name = layerDirName(chainId);
    if (parent !== undefined) this.#requireLayer(parent);
    let result: ApplyResult | undefined;
    const split = opts.tarSplit ? new SplitRecorder(opts.tarSplit) : undefined;
    try {
      await buildAtomically(this.#root, path.join(this.#root, name), async (tmp) => {
        await this.#rootfsFrom(parent, path.join(tmp, 'rootfs'));
        result = await applyLayerTar(path.join(tmp, 'rootfs'), tar, 'delete', split);
        split?.finish();
        if (parent !== undefined) fs.writeFileSync(path.join(tmp, 'parent'), parent);
        fs.writeFileSync(path.join(tmp, 'chain'), chainId);
      });
    } catch (err) {
      split?.discardTemp();
      if (opts.tarSplit) fs.rmSync(opts.tarSplit, { force: true });
      tar.destroy();
      throw err;
    }
    return result!;
  }

  /**
   * A vfs layer is a copy of its parent, unknown while staging: the tar is kept in
   * `<root>/.tmp-*` /layer.tar (hashed on the way) and applied at commit.
   */
  async stageLayer(tar: Readable, opts: ApplyOptions = {}): Promise<StagedLayer> {
    const tmp = fs.mkdtempSync(path.join(this.#root, '.tmp-'));
    try {
      fs.chmodSync(tmp, 0o700);
      const hash = createHash('sha256');
      const tap = new Transform({ transform(c: Buffer, _e, cb) { hash.update(c); cb(null, c); } });
      await pipeline(tar, tap, fs.createWriteStream(path.join(tmp, 'layer.tar'), { flags: 'wx', mode: 0o600 }));
      return { diffId: `sha256:${hash.digest('hex')}`, ref: tmp, tarSplit: opts.tarSplit };
    } catch (err) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  async commitStaged(staged: StagedLayer, chainId: string, parent: string | undefined): Promise<ApplyResult> {
    if (path.dirname(staged.ref) !== this.#root || !path.basename(staged.ref).startsWith('.tmp-')) throw new Error(`not a staged layer: ${staged.ref}`);
    try {
      const r = await this.applyLayer(chainId, parent, fs.createReadStream(path.join(staged.ref, 'layer.tar')), { tarSplit: staged.tarSplit });
      if (r.diffId !== staged.diffId) {
        await this.removeLayer(chainId);
        throw new SystemError(`vfs: staged layer changed: ${staged.diffId} read back as ${r.diffId}`);
      }
      return r;
    } finally {
      await fs.promises.rm(staged.ref, { recursive: true, force: true });
    }
  }

  async discardStaged(staged: StagedLayer): Promise<void> {
    if (path.dirname(staged.ref) !== this.#root || !path.basename(staged.ref).startsWith('.tmp-')) return;
    await fs.promises.rm(staged.ref, { recursive: true, force: true });
  }

  layerRoot(chainId: string): string {
    return path.join(this.#requireLayer(chainId), 'rootfs');
  }

  async removeLayer(chainId: string): Promise<void> {
    const dir = this.#requireLayer(chainId);
    const users = fs.readdirSync(this.#root).filter((n) => !n.startsWith('.') &&
      (readText(path.join(this.#root, n, 'parent')) === chainId || readText(path.join(this.#root, n, 'snapshot')) === chainId));
    if (users.length > 0) throw new ConflictError(`layer ${chainId} is in use by ${users.join(', ')}`);
    await removeAtomically(this.#root, dir);
  }

  layerPaths(chainId: string): Record<string, string> {
    return { Dir: path.join(this.#requireLayer(chainId), 'rootfs') };
  }

  snapshotPaths(key: string): Record<string, string> {
    return { Dir: path.join(this.#requireSnapshot(key), 'rootfs') };
  }

  async prepare(key: string, parent: string | undefined): Promise<Mount[]> {
    const name = snapshotDirName(key);
    if (parent !== undefined) this.#requireLayer(parent);
    if (fs.existsSync(path.join(this.#root, name))) throw new ConflictError(`snapshot ${key} already exists`);
    await buildAtomically(this.#root, path.join(this.#root, name), async (tmp) => {
      await this.#rootfsFrom(parent, path.join(tmp, 'rootfs'));
      fs.writeFileSync(path.join(tmp, 'snapshot'), parent ?? '');
    });
    return this.mounts(key);
  }

  mounts(key: string): Mount[] {
    return [{ type: 'bind', source: path.join(this.#requireSnapshot(key), 'rootfs'), options: ['rbind', 'rw'] }];
  }

  #parentRootfs(dir: string): string | undefined {
    const parent = readText(path.join(dir, 'snapshot'));
    return parent ? path.join(this.#requireLayer(parent), 'rootfs') : undefined;
  }

  diff(key: string): Readable {
    const dir = this.#requireSnapshot(key);
    return Readable.from(tarStream(naiveDiffEntries(path.join(dir, 'rootfs'), this.#parentRootfs(dir))));
  }

  async changes(key: string): Promise<{ Path: string; Kind: 0 | 1 | 2 }[]> {
    const dir = this.#requireSnapshot(key);
    return naiveChanges(path.join(dir, 'rootfs'), this.#parentRootfs(dir));
  }

  /** The rootfs is a plain directory: nothing to mount, its path is the root. */
  async mount(key: string): Promise<string> {
    return path.join(this.#requireSnapshot(key), 'rootfs');
  }

  async unmount(key: string): Promise<void> {
    this.#requireSnapshot(key);
  }

  async remove(key: string): Promise<void> {
    const dir = this.#requireSnapshot(key);
    const rootfs = path.join(dir, 'rootfs');
    for (let i = 0; i < 16 && isMountPoint(rootfs); i++) unmount(rootfs);
    await removeAtomically(this.#root, dir);
  }

  list(): { layers: string[]; snapshots: string[] } {
    const layers: string[] = [];
    const snapshots: string[] = [];
    for (const name of fs.readdirSync(this.#root)) {
      if (name.startsWith('.')) continue;
      const chain = readText(path.join(this.#root, name, 'chain'));
      if (chain !== undefined) layers.push(chain);
      else if (readText(path.join(this.#root, name, 'snapshot')) !== undefined) snapshots.push(name);
    }
    return { layers: layers.sort(), snapshots: snapshots.sort() };
  }

  status(): [string, string][] {
    return [['Backing Filesystem', backingFs(this.#root)]];
  }
}
