/**
 * Shared set-up for the images engine tests: a real SQLite file, content store, snapshot
 * driver (vfs or overlay2) and images service in a private temp dir, removed afterwards.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { createTar } from '../../src/common/tar/index.ts';
import { openDatabase } from '../../src/store/db.ts';
import { ContentStore } from '../../src/store/content-store.ts';
import { LayerStore } from '../../src/store/layer-store.ts';
import { EventBus, type EngineEvent } from '../../src/engine/events/index.ts';
import { ImagesService } from '../../src/engine/images/index.ts';
import { VfsDriver } from '../../src/drivers/snapshot/vfs/driver.ts';
import { Overlay2Driver } from '../../src/drivers/snapshot/overlay2/driver.ts';
import type { SnapshotDriver } from '../../src/drivers/snapshot/contract.ts';

export type DriverName = 'vfs' | 'overlay2';

export interface Harness {
  root: string;
  service: ImagesService;
  layers: LayerStore;
  content: ContentStore;
  driver: SnapshotDriver;
  events: EngineEvent[];
  /** Reopens everything on the same directories (a daemon restart). */
  reopen(): Harness;
  close(): void;
}

export function openHarness(root: string, driverName: DriverName = 'vfs'): Harness {
  const db = openDatabase(path.join(root, 'metadata.db'));
  const content = new ContentStore(path.join(root, 'image'));
  const driver: SnapshotDriver = driverName === 'vfs' ? new VfsDriver({ root: path.join(root, 'vfs') }) : new Overlay2Driver({ root: path.join(root, 'overlay2') });
  const layers = new LayerStore(db, content, driver);
  const bus = new EventBus();
  const events: EngineEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const service = new ImagesService({ db, content, layers, events: bus });
  return { root, service, layers, content, driver, events, reopen: () => { db.close(); return openHarness(root, driverName); }, close: () => db.close() };
}

export function harness(t: { after: (fn: () => void) => void }, driverName: DriverName = 'vfs'): Harness {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-images-'));
  let h = openHarness(root, driverName);
  const wrapped: Harness = { ...h, reopen: () => { h = h.reopen(); return h; } };
  t.after(() => {
    try { h.close(); } catch { /* closed */ }
    fs.rmSync(root, { recursive: true, force: true });
  });
  return wrapped;
}

export const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A small rootfs tar: /bin/hello (a script), /etc/os-release, a symlink. */
export function smallRootfs(extra = ''): Buffer {
  const hello = `#!/bin/sh\necho hello${extra}\n`;
  return createTar([
    { header: { name: 'bin/', type: 'dir', mode: 0o755, mtime: 1700000000 } },
    { header: { name: 'bin/hello', type: 'file', mode: 0o755, mtime: 1700000000 }, body: hello },
    { header: { name: 'etc/', type: 'dir', mode: 0o755, mtime: 1700000000 } },
    { header: { name: 'etc/os-release', type: 'file', mode: 0o644, mtime: 1700000000 }, body: `ID=wharf-test${extra}\n` },
    { header: { name: 'bin/hi', type: 'symlink', linkname: 'hello', mode: 0o777, mtime: 1700000000 } },
  ]);
}

export function overlaySupported(): boolean {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-ovl-probe-'));
  try {
    new Overlay2Driver({ root });
    return true;
  } catch {
    return false;
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}
