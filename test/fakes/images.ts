/**
 * The image and volume sides of ContainersDeps (src/engine/containers/deps.ts) for unit tests:
 * an ImageResolver over a map of references (`busybox` = `busybox:latest`), and a
 * VolumeProvider of plain directories that counts its users.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { NotFoundError } from '../../src/common/errors.ts';
import { createTar } from '../../src/common/tar/index.ts';
import type { ImageResolver, ImageRuntimeConfig, ResolvedImage } from '../../src/engine/containers/deps.ts';
import type { VolumeProvider } from '../../src/engine/containers/mounts.ts';
import type { SnapshotDriver } from '../../src/drivers/snapshot/contract.ts';

/** `name` → `name:latest` unless tagged or a digest (docker's familiar form, enough for tests). */
export function normalise(ref: string): string {
  if (ref.startsWith('sha256:') || ref.includes('@')) return ref;
  const slash = ref.lastIndexOf('/');
  return ref.slice(slash + 1).includes(':') ? ref : `${ref}:latest`;
}

export class FakeImages implements ImageResolver {
  readonly byRef = new Map<string, ResolvedImage>();

  /**
   * Adds an image under `ref`. With `snapshots`, it gets one layer holding /etc/passwd and
   * /etc/group (the user lookup at start reads them); without, it has no layers.
   */
  async add(ref: string, config: ImageRuntimeConfig = {}, snapshots?: SnapshotDriver): Promise<ResolvedImage> {
    const id = `sha256:${createHash('sha256').update(`image:${ref}:${JSON.stringify(config)}`).digest('hex')}`;
    let topChainId: string | undefined;
    if (snapshots) {
      topChainId = `sha256:${createHash('sha256').update(`layer:${id}`).digest('hex')}`;
      if (!snapshots.hasLayer(topChainId)) {
        await snapshots.applyLayer(topChainId, undefined, Readable.from([createTar([
          { header: { name: 'etc', type: 'dir', mode: 0o755 } },
          { header: { name: 'etc/passwd', type: 'file', mode: 0o644 }, body: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' },
          { header: { name: 'etc/group', type: 'file', mode: 0o644 }, body: 'root:x:0:\nnogroup:x:65534:\n' },
          { header: { name: 'tmp', type: 'dir', mode: 0o1777 } },
        ])]));
      }
    }
    const img: ResolvedImage = { id, config, topChainId, size: 1234 };
    this.byRef.set(normalise(ref), img);
    return img;
  }

  resolve(ref: string): ResolvedImage {
    const n = normalise(ref);
    const img = this.byRef.get(n) ?? [...this.byRef.values()].find((i) => i.id === ref || (/^[0-9a-f]{6,64}$/.test(ref) && i.id.startsWith(`sha256:${ref}`)));
    if (!img) throw new NotFoundError(`No such image: ${n}`);
    return img;
  }
}

export class FakeVolumes implements VolumeProvider {
  /** Volume name → containers using it now (a start adds, a stop removes). */
  readonly users = new Map<string, Set<string>>();
  readonly created = new Set<string>();
  readonly removed: string[] = [];

  constructor(readonly root: string) {}

  private dir(name: string): string {
    return path.join(this.root, name, '_data');
  }

  ensure(name: string, opts: { containerId: string }): { mountpoint: string; created: boolean } {
    const created = !this.created.has(name);
    this.create({ Name: name });
    (this.users.get(name) ?? this.users.set(name, new Set()).get(name)!).add(opts.containerId);
    return { mountpoint: this.dir(name), created };
  }

  create(req: { Name: string }): void {
    fs.mkdirSync(this.dir(req.Name), { recursive: true });
    this.created.add(req.Name);
  }

  isEmpty(name: string): boolean {
    return fs.readdirSync(this.dir(name)).length === 0;
  }

  unmount(name: string, containerId: string): void {
    this.users.get(name)?.delete(containerId);
  }

  release(name: string, containerId: string): void {
    this.users.get(name)?.delete(containerId);
  }

  removeAnonymous(name: string): void {
    fs.rmSync(path.join(this.root, name), { recursive: true, force: true });
    this.created.delete(name);
    this.removed.push(name);
  }
}
