/**
 * A VolumeDriver (src/drivers/volume/contract.ts) for unit tests: a plain directory per volume
 * under a temp root, nothing ever mounted (mount/unmount record the options in `mounted`), no
 * root. Its options: `device` (required when any option is given) and `o`; any other key is
 * refused as the local driver refuses it. Registered under any name (`name`, default `fake`),
 * so the volumes service's by-name lookup can be seen going to it.
 *
 *   const d = new FakeVolumeDriver(fs.mkdtempSync(…), 'fake');
 *   d.create('data'); d.mount('data', { device: 'x' }); d.mounted.get('data');  // { device: 'x' }
 */
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from '../../src/common/errors.ts';
import type { VolumeDriver } from '../../src/drivers/volume/contract.ts';

export class FakeVolumeDriver implements VolumeDriver {
  /** Volume name → the options of its mount, while "mounted". */
  readonly mounted = new Map<string, Record<string, string> | null>();

  constructor(readonly root: string, readonly name = 'fake') {
    fs.mkdirSync(root, { recursive: true });
  }

  validateOptions(opts: Record<string, string> | null | undefined): void {
    if (!opts || Object.keys(opts).length === 0) return;
    for (const k of Object.keys(opts)) if (k !== 'device' && k !== 'o') throw new InvalidArgumentError(`invalid option: "${k}"`);
    if (!opts.device) throw new InvalidArgumentError('missing required option: "device"');
  }

  dataDir(name: string): string {
    return path.join(this.root, name, '_data');
  }

  create(name: string): string {
    fs.mkdirSync(this.dataDir(name), { recursive: true });
    return this.dataDir(name);
  }

  exists(name: string): boolean {
    return fs.existsSync(this.dataDir(name));
  }

  mount(name: string, opts: Record<string, string> | null): void {
    if (!this.mounted.has(name)) this.mounted.set(name, opts);
  }

  unmount(name: string): void {
    this.mounted.delete(name);
  }

  remove(name: string): void {
    this.unmount(name);
    fs.rmSync(path.join(this.root, name), { recursive: true, force: true });
  }

  recover(known: (name: string) => boolean, log: (msg: string) => void): string[] {
    for (const entry of fs.readdirSync(this.root)) {
      if (known(entry)) continue;
      if (this.isEmpty(entry)) fs.rmSync(path.join(this.root, entry), { recursive: true, force: true });
      else log(`volume directory ${entry} has data but no record: left in place`);
    }
    return [];
  }

  isEmpty(name: string): boolean {
    try {
      return fs.readdirSync(this.dataDir(name)).length === 0;
    } catch {
      return true;
    }
  }

  size(name: string): number {
    let total = 0;
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else total += fs.lstatSync(p).size;
      }
    };
    try { walk(this.dataDir(name)); } catch { /* gone */ }
    return total;
  }
}
