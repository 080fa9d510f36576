/**
 * overlay2 snapshot driver: each layer is a directory holding only its own changes; a
 * container is an overlayfs mount of its upper dir over the layer chain.
 *
 * On-disk layout (`root` = <data-root>/overlay2):
 *   l/<LINK>              → ../<dir>/diff   short names keep `lowerdir=` under a page
 *   <hex>/                a layer, named by the hex of its ChainID
 *     diff/               the layer's files; whiteouts as char 0/0, opaque dirs by xattr
 *     link                its short LINK name
 *     lower               parents' short links, top first, `l/A:l/B` (absent for a base layer)
 *     chain               the full ChainID;  parent: the parent ChainID (absent for a base)
 *   <key>/                a container snapshot
 *     diff/ work/ merged/ upper, overlay work dir, conventional mount point
 *     link, lower         as for layers
 *     snapshot            the parent ChainID ('' = empty rootfs, then a bind mount of diff/)
 *   .tmp-*                work in progress (removed at start, with short links left dangling)
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ConflictError, NotFoundError, SystemError } from '../../../common/errors.ts';
import { tarStream } from '../../../common/tar/index.ts';
import type { ApplyOptions, ApplyResult, Mount, SnapshotDriver, StagedLayer } from '../contract.ts';
import { SplitRecorder } from '../../../common/tar/split.ts';
import { applyLayerTar } from '../layer/apply.ts';
import { overlayChanges, overlayDiffEntries } from '../layer/diff-overlay.ts';
import { buildAtomically, cleanTemp, layerDirName, readText, removeAtomically, snapshotDirName } from '../layer/dir-store.ts';
import { backingFs } from '../layer/backing-fs.ts';
import { isMountPoint, mountAll, unmount } from '../../../common/native/mount.ts';

/** Layers in one chain, as docker's overlay2 (keeps `lowerdir=` within a page). */
const MAX_DEPTH = 128;
const LINK_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function newLinkId(): string {
  return [...randomBytes(26)].map((b) => LINK_ALPHABET[b & 31]).join('');
}

export class Overlay2Driver implements SnapshotDriver {
  readonly name = 'overlay2' as const;
  readonly #root: string;
  readonly tempLeftovers: { path: string; error: string }[];
  /** Extra mount options that keep the upper dir a plain diff (see checkOverlaySupport). */
  readonly #extraOptions: string[];

  constructor(opts: { root: string }) {
    this.#root = path.resolve(opts.root);
    fs.mkdirSync(path.join(this.#root, 'l'), { recursive: true, mode: 0o700 });
    this.tempLeftovers = cleanTemp(this.#root);
    this.#sweepLinks();
    this.#extraOptions = checkOverlaySupport(this.#root);
  }

  #layerDir(chainId: string): string {
    return path.join(this.#root, layerDirName(chainId));
  }

  #snapDir(key: string): string {
    return path.join(this.#root, snapshotDirName(key));
  }

  hasLayer(chainId: string): boolean {
    return fs.existsSync(path.join(this.#layerDir(chainId), 'chain'));
  }

  #requireLayer(chainId: string): string {
    if (!this.hasLayer(chainId)) throw new NotFoundError(`layer ${chainId} does not exist`);
    return this.#layerDir(chainId);
  }

  #requireSnapshot(key: string): string {
    const dir = this.#snapDir(key);
    if (readText(path.join(dir, 'snapshot')) === undefined) throw new NotFoundError(`snapshot ${key} does not exist`);
    return dir;
  }

  /** The `lower` file content for something on top of `parent`. */
  #lowerFor(parent: string | undefined): string | undefined {
    if (parent === undefined) return undefined;
    const dir = this.#requireLayer(parent);
    const link = readText(path.join(dir, 'link'))!.trim();
    const lower = readText(path.join(dir, 'lower'))?.trim();
    if (lower && lower.split(':').length >= MAX_DEPTH) throw new SystemError('max depth exceeded');
    return lower ? `l/${link}:${lower}` : `l/${link}`;
  }

  /** Writes link/lower into `tmp` and creates `l/<link>` → ../<name>/diff. */
  #linkUp(tmp: string, name: string, parent: string | undefined): void {
    const link = newLinkId();
    fs.writeFileSync(path.join(tmp, 'link'), link);
    const lower = this.#lowerFor(parent);
    if (lower) fs.writeFileSync(path.join(tmp, 'lower'), lower);
    fs.symlinkSync(`../${name}/diff`, path.join(this.#root, 'l', link));
  }

  async applyLayer(chainId: string, parent: string | undefined, tar: Readable, opts: ApplyOptions = {}): Promise<ApplyResult> {
    layerDirName(chainId);
    if (parent !== undefined) this.#requireLayer(parent);
    const staged = await this.stageLayer(tar, opts);
    return this.commitStaged(staged, chainId, parent);
  }

  /** Extracts into `<root>/.tmp-*` /diff (removed at start if the daemon dies first). */
  async stageLayer(tar: Readable, opts: ApplyOptions = {}): Promise<StagedLayer> {
    const tmp = fs.mkdtempSync(path.join(this.#root, '.tmp-'));
    const split = opts.tarSplit ? new SplitRecorder(opts.tarSplit) : undefined;
    try {
      fs.chmodSync(tmp, 0o700);
      fs.mkdirSync(path.join(tmp, 'diff'), 0o755);
      const r = await applyLayerTar(path.join(tmp, 'diff'), tar, 'overlay', split);
      split?.finish();
      return { diffId: r.diffId, size: r.size, ref: tmp, tarSplit: opts.tarSplit };
    } catch (err) {
      split?.discardTemp();
      if (opts.tarSplit) fs.rmSync(opts.tarSplit, { force: true });
      fs.rmSync(tmp, { recursive: true, force: true });
      tar.destroy();
      throw err;
    }
  }

  async commitStaged(staged: StagedLayer, chainId: string, parent: string | undefined): Promise<ApplyResult> {
    const tmp = staged.ref;
    const name = layerDirName(chainId);
    let link: string | undefined;
    try {
      if (path.dirname(tmp) !== this.#root || !path.basename(tmp).startsWith('.tmp-')) throw new Error(`not a staged layer: ${tmp}`);
      if (parent !== undefined) this.#requireLayer(parent);
      const final = path.join(this.#root, name);
      if (fs.existsSync(final)) throw new ConflictError(`${name} already exists`);
      if (parent !== undefined) fs.writeFileSync(path.join(tmp, 'parent'), parent);
      this.#linkUp(tmp, name, parent);
      link = readText(path.join(tmp, 'link'));
      fs.writeFileSync(path.join(tmp, 'chain'), chainId);
      try {
        fs.renameSync(tmp, final);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOTEMPTY' || code === 'EEXIST') throw new ConflictError(`${name} already exists`);
        throw err;
      }
    } catch (err) {
      if (link) fs.rmSync(path.join(this.#root, 'l', link), { force: true });
      fs.rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
    return { diffId: staged.diffId, size: staged.size ?? 0 };
  }

  async discardStaged(staged: StagedLayer): Promise<void> {
    if (path.dirname(staged.ref) !== this.#root || !path.basename(staged.ref).startsWith('.tmp-')) return;
    await fs.promises.rm(staged.ref, { recursive: true, force: true });
  }

  layerRoot(chainId: string): string {
    return path.join(this.#requireLayer(chainId), 'diff');
  }

  async removeLayer(chainId: string): Promise<void> {
    const dir = this.#requireLayer(chainId);
    const users = this.#children(chainId);
    if (users.length > 0) throw new ConflictError(`layer ${chainId} is in use by ${users.join(', ')}`);
    await this.#removeDir(dir);
  }

  /** Layers and snapshots whose parent is `chainId`. */
  #children(chainId: string): string[] {
    const out: string[] = [];
    for (const name of fs.readdirSync(this.#root)) {
      if (name === 'l' || name.startsWith('.')) continue;
      const dir = path.join(this.#root, name);
      if (readText(path.join(dir, 'parent')) === chainId || readText(path.join(dir, 'snapshot')) === chainId) out.push(name);
    }
    return out;
  }

  /**
   * The directory goes first (one rename), then its short link: a daemon killed in between
   * leaves a dangling link (swept at start), never a layer that lost its link.
   */
  async #removeDir(dir: string): Promise<void> {
    const link = readText(path.join(dir, 'link'))?.trim();
    await removeAtomically(this.#root, dir);
    if (link) fs.rmSync(path.join(this.#root, 'l', link), { force: true });
  }

  /** Start: short links whose directory is gone (a create or remove cut short). */
  #sweepLinks(): void {
    const dir = path.join(this.#root, 'l');
    for (const name of fs.readdirSync(dir)) {
      const p = path.join(dir, name);
      if (!fs.existsSync(p)) fs.rmSync(p, { force: true });
    }
  }

  #paths(dir: string): Record<string, string> {
    const lower = readText(path.join(dir, 'lower'))?.trim();
    const out: Record<string, string> = {};
    if (lower) out.LowerDir = lower.split(':').map((l) => path.resolve(this.#root, 'l', fs.readlinkSync(path.join(this.#root, l)))).join(':');
    out.MergedDir = path.join(dir, 'merged');
    out.UpperDir = path.join(dir, 'diff');
    out.WorkDir = path.join(dir, 'work');
    return out;
  }

  layerPaths(chainId: string): Record<string, string> {
    return this.#paths(this.#requireLayer(chainId));
  }

  snapshotPaths(key: string): Record<string, string> {
    return this.#paths(this.#requireSnapshot(key));
  }

  async prepare(key: string, parent: string | undefined): Promise<Mount[]> {
    const name = snapshotDirName(key);
    if (parent !== undefined) this.#requireLayer(parent);
    if (fs.existsSync(path.join(this.#root, name))) throw new ConflictError(`snapshot ${key} already exists`);
    await buildAtomically(this.#root, path.join(this.#root, name), (tmp) => {
      for (const d of ['diff', 'work', 'merged']) fs.mkdirSync(path.join(tmp, d), 0o755);
      this.#linkUp(tmp, name, parent);
      fs.writeFileSync(path.join(tmp, 'snapshot'), parent ?? '');
    });
    return this.mounts(key);
  }

  mounts(key: string): Mount[] {
    const dir = this.#requireSnapshot(key);
    const lower = readText(path.join(dir, 'lower'))?.trim();
    if (!lower) return [{ type: 'bind', source: path.join(dir, 'diff'), options: ['rbind', 'rw'] }];
    const lowerdir = lower.split(':').map((l) => path.join(this.#root, l)).join(':');
    return [{
      type: 'overlay', source: 'overlay',
      options: [`lowerdir=${lowerdir}`, `upperdir=${path.join(dir, 'diff')}`, `workdir=${path.join(dir, 'work')}`, ...this.#extraOptions],
    }];
  }

  /** Parent layers' diff dirs of a snapshot, top first. */
  #lowerDirs(dir: string): string[] {
    const out: string[] = [];
    for (let parent = readText(path.join(dir, 'snapshot')) || undefined; parent !== undefined;) {
      const d = this.#requireLayer(parent);
      out.push(path.join(d, 'diff'));
      parent = readText(path.join(d, 'parent'));
    }
    return out;
  }

  diff(key: string): Readable {
    const dir = this.#requireSnapshot(key);
    return Readable.from(tarStream(overlayDiffEntries(path.join(dir, 'diff'))));
  }

  async changes(key: string): Promise<{ Path: string; Kind: 0 | 1 | 2 }[]> {
    const dir = this.#requireSnapshot(key);
    return overlayChanges(path.join(dir, 'diff'), this.#lowerDirs(dir));
  }

  async mount(key: string): Promise<string> {
    const merged = path.join(this.#requireSnapshot(key), 'merged');
    if (!isMountPoint(merged)) mountAll(this.mounts(key), merged);
    return merged;
  }

  async unmount(key: string): Promise<void> {
    const merged = path.join(this.#requireSnapshot(key), 'merged');
    for (let i = 0; i < 16 && isMountPoint(merged); i++) unmount(merged);
  }

  async remove(key: string): Promise<void> {
    const dir = this.#requireSnapshot(key);
    await this.unmount(key);
    await this.#removeDir(dir);
  }

  list(): { layers: string[]; snapshots: string[] } {
    const layers: string[] = [];
    const snapshots: string[] = [];
    for (const name of fs.readdirSync(this.#root)) {
      if (name === 'l' || name.startsWith('.')) continue;
      const chain = readText(path.join(this.#root, name, 'chain'));
      if (chain !== undefined) layers.push(chain);
      else if (readText(path.join(this.#root, name, 'snapshot')) !== undefined) snapshots.push(name);
    }
    return { layers: layers.sort(), snapshots: snapshots.sort() };
  }

  status(): [string, string][] {
    return [['Backing Filesystem', backingFs(this.#root)], ['Supports d_type', 'true'], ['Using metacopy', 'false'], ['Native Overlay Diff', 'true'], ['userxattr', 'false']];
  }
}

/**
 * Throws a clear error unless an overlay mount works on this backing filesystem. Returns the
 * options that turn off index/redirect_dir/metacopy when the kernel knows them (whatever the
 * module defaults): with those on, the upper dir would no longer be a plain diff.
 */
function checkOverlaySupport(root: string): string[] {
  const filesystems = readText('/proc/filesystems') ?? '';
  if (!/\toverlay$/m.test(filesystems)) {
    try {
      execFileSync('modprobe', ['overlay'], { stdio: 'ignore' });
    } catch { /* reported below */ }
    if (!/\toverlay$/m.test(readText('/proc/filesystems') ?? '')) {
      throw new SystemError('driver not supported: overlay2: overlayfs is not available in this kernel (modprobe overlay failed)');
    }
  }
  const tmp = fs.mkdtempSync(path.join(root, '.tmp-check-'));
  try {
    for (const d of ['lower', 'upper', 'work', 'merged']) fs.mkdirSync(path.join(tmp, d));
    const base = [`lowerdir=${tmp}/lower`, `upperdir=${tmp}/upper`, `workdir=${tmp}/work`];
    for (const extra of [['index=off', 'redirect_dir=off', 'metacopy=off'], ['index=off', 'redirect_dir=off'], []]) {
      try {
        mountAll([{ type: 'overlay', source: 'overlay', options: [...base, ...extra] }], `${tmp}/merged`);
      } catch (err) {
        if (extra.length > 0) continue;
        throw err;
      }
      unmount(`${tmp}/merged`);
      return extra;
    }
    return [];
  } catch (err) {
    throw new SystemError(`driver not supported: overlay2: overlay mount on ${backingFs(root)} failed: ${(err as Error).message}`, { cause: err });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
