/**
 * Snapshot (graph) driver contract: layers as directories, containers as writable snapshots
 * on top of a layer chain. Implementations: overlay2 (default), vfs (portable fallback).
 *
 * Lifecycle of a layer (image pull/load/import/build):
 *   const { diffId, size } = await driver.applyLayer(chainId, parentChainId, tarStream)
 *     – extracts an uncompressed OCI layer tar (with `.wh.` whiteouts) into a new snapshot
 *       keyed by its ChainID; hashes the tar while reading it (diffId = sha256 of the tar).
 *     – atomic: on any error (including an escaping entry) nothing is left behind.
 *   driver.removeLayer(chainId)  // only when no layer/container uses it as parent
 *
 * Lifecycle of a container rootfs:
 *   const mounts = await driver.prepare(containerKey, topChainId)   // Mount[] for the runtime
 *   … each start: runtime.mountRootfs(id, driver.mounts(containerKey)): the runtime mounts them
 *     as the container's root (containerd's hand-off); the driver never picks that place …
 *   const tar = driver.diff(containerKey)  // its changes as an OCI layer tar (commit/export)
 *   await driver.remove(containerKey)
 *
 * Example:
 *   await d.applyLayer('sha256:c1…', undefined, fs.createReadStream('base.tar'));
 *   const m = await d.prepare('ctr-0123', 'sha256:c1…');
 *   // m = [{ type: 'overlay', source: 'overlay', options: ['lowerdir=…', 'upperdir=…', 'workdir=…'] }]
 *
 * On-disk layout is documented at the top of each implementation.
 */
import type { Readable } from 'node:stream';

/** What the runtime mounts as the container root (containerd core/mount Mount); the runtime contract takes the same type. */
export type { Mount } from '../../common/native/mount.ts';
import type { Mount } from '../../common/native/mount.ts';

export interface ApplyResult {
  /** sha256:… of the uncompressed tar as read. */
  diffId: string;
  /** Bytes of content written (regular files, hard links once, symlinks by target length: docker's DiffSize), for `docker images` SIZE. */
  size: number;
}

export interface ApplyOptions {
  /**
   * A file to write the layer's tar-split to (common/tar/split.ts): with it, the tar can be
   * given back byte for byte from `layerRoot` without keeping it.
   */
  tarSplit?: string;
}

/** A layer extracted before its place in a chain is known (stageLayer); invisible until committed. */
export interface StagedLayer {
  /** sha256 of the tar as read, once staging read it all (vfs learns it at commit). */
  readonly diffId: string;
  /** DiffSize, when staging learnt it. */
  readonly size?: number;
  /** The driver's own handle. */
  readonly ref: string;
  readonly tarSplit?: string;
}

export interface SnapshotDriver {
  /** The name it is registered and looked up by (daemon.json `storage-driver`): `overlay2`, `vfs`. */
  readonly name: string;
  /** Temp directories (interrupted work, failed removals) the driver could not remove at start. */
  readonly tempLeftovers?: { path: string; error: string }[];
  /** Extracts a layer tar into a new layer snapshot `chainId` on top of `parent`. */
  applyLayer(chainId: string, parent: string | undefined, tar: Readable, opts?: ApplyOptions): Promise<ApplyResult>;
  /**
   * Reads a layer tar into a staged layer, not yet part of any chain (layers of a pull or load
   * are read in parallel, their order known later). A killed daemon leaves only temp dirs.
   */
  stageLayer(tar: Readable, opts?: ApplyOptions): Promise<StagedLayer>;
  /** Makes a staged layer the layer `chainId` over `parent`; the staged handle is used up (also on failure). */
  commitStaged(staged: StagedLayer, chainId: string, parent: string | undefined): Promise<ApplyResult>;
  /** Drops a staged layer that will not be committed. */
  discardStaged(staged: StagedLayer): Promise<void>;
  /** The directory holding the files of this layer's own tar (tar-split regeneration). */
  layerRoot(chainId: string): string;
  hasLayer(chainId: string): boolean;
  removeLayer(chainId: string): Promise<void>;
  /** Directories of a layer for `inspect` GraphDriver.Data (LowerDir/UpperDir/MergedDir/WorkDir). */
  layerPaths(chainId: string): Record<string, string>;
  /** A writable snapshot for a container over `parent` (undefined = empty rootfs). */
  prepare(key: string, parent: string | undefined): Promise<Mount[]>;
  /** Mount[] of an existing writable snapshot (after a daemon restart). */
  mounts(key: string): Mount[];
  /** Directories of a container snapshot for `inspect`. */
  snapshotPaths(key: string): Record<string, string>;
  /** The snapshot's changes against its parent chain as an OCI layer tar (whiteouts for deletions). */
  diff(key: string): Readable;
  /** Lists changes as docker diff does: kind 0 = modified, 1 = added, 2 = deleted. */
  changes(key: string): Promise<{ Path: string; Kind: 0 | 1 | 2 }[]>;
  /**
   * Mounts a snapshot at its own directory (MergedDir) and returns that path, for the callers
   * that are no runtime (build steps' file work). Idempotent; `unmount` undoes it (also
   * idempotent). A container's rootfs is mounted by the runtime from mounts(key) instead.
   */
  mount(key: string): Promise<string>;
  unmount(key: string): Promise<void>;
  remove(key: string): Promise<void>;
  /** Every layer and snapshot key on disk (startup reconciliation). */
  list(): { layers: string[]; snapshots: string[] };
  /** `info` DriverStatus rows. */
  status(): [string, string][];
}
