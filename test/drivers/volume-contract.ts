/**
 * The driver-independent part of the VolumeDriver contract (src/drivers/volume/contract.ts):
 * create/exists/dataDir, option checks, emptiness and size, idempotent mount/unmount, remove,
 * and the start-time recover. Run against every implementation (volume-contract.test.ts):
 * local (its real mounts only as root) and the fake of the unit tests (test/fakes/volume-driver.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { VolumeDriver } from '../../src/drivers/volume/contract.ts';

export interface VolumeSubject {
  readonly driver: VolumeDriver;
  /** The name it is registered under in daemon.ts. */
  readonly registeredAs: string;
  /** Options that make mount() mount something, and how to see it is mounted (absent: none). */
  readonly mountable?: { opts: Record<string, string>; isMounted(name: string): boolean };
}

const status = (code: number) => (e: unknown) => (e as { status?: number }).status === code;

export function volumeContract(name: string, make: (root: string) => VolumeSubject): void {
  describe(`volume driver contract: ${name}`, () => {
    let root: string;
    let s: VolumeSubject;
    before(() => { root = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-volc-')); s = make(root); });
    after(() => {
      for (const n of ['v1', 'v2', 'v3', 'v4']) try { s.driver.remove(n); } catch { /* already gone */ }
      fs.rmSync(root, { recursive: true, force: true });
    });

    test('it names itself as it is registered', () => {
      assert.equal(s.driver.name, s.registeredAs);
    });

    test('create: an empty directory, the same on a second call; exists and dataDir agree', () => {
      const d = s.driver;
      assert.equal(d.exists('v1'), false);
      const dir = d.create('v1');
      assert.equal(d.create('v1'), dir, 'idempotent');
      assert.equal(d.dataDir('v1'), dir);
      assert.equal(d.exists('v1'), true);
      assert.ok(fs.statSync(dir).isDirectory());
      assert.equal(d.isEmpty('v1'), true);
      assert.equal(d.size('v1'), 0);
    });

    test('isEmpty and size follow the files written into it', () => {
      const d = s.driver;
      const dir = d.create('v2');
      fs.mkdirSync(path.join(dir, 'sub'));
      fs.writeFileSync(path.join(dir, 'sub', 'f'), Buffer.alloc(1000));
      fs.writeFileSync(path.join(dir, 'g'), 'abc');
      assert.equal(d.isEmpty('v2'), false);
      assert.equal(d.size('v2'), 1003);
    });

    test('options: none is valid; an unknown key and a missing device are 400 with docker\'s text', () => {
      const d = s.driver;
      d.validateOptions(null);
      d.validateOptions(undefined);
      d.validateOptions({});
      assert.throws(() => d.validateOptions({ nosuch: '1' }), (e: Error) => status(400)(e) && e.message === 'invalid option: "nosuch"');
      assert.throws(() => d.validateOptions({ o: 'size=1m' }), (e: Error) => status(400)(e) && e.message === 'missing required option: "device"');
    });

    test('mount and unmount are idempotent; without options the data stays where it is', () => {
      const d = s.driver;
      const dir = d.create('v3');
      fs.writeFileSync(path.join(dir, 'keep'), 'x');
      d.mount('v3', null);
      d.mount('v3', null);
      assert.equal(fs.readFileSync(path.join(d.dataDir('v3'), 'keep'), 'utf8'), 'x');
      d.unmount('v3');
      d.unmount('v3');
      assert.equal(fs.readFileSync(path.join(d.dataDir('v3'), 'keep'), 'utf8'), 'x');
    });

    test('with options, mount mounts once and unmount undoes it', (t) => {
      if (!s.mountable) { t.skip('this implementation mounts nothing here (not root)'); return; }
      const d = s.driver;
      const { opts, isMounted } = s.mountable;
      d.validateOptions(opts);
      d.create('v4');
      d.mount('v4', opts);
      d.mount('v4', opts);
      assert.equal(isMounted('v4'), true);
      d.unmount('v4');
      assert.equal(isMounted('v4'), false);
      d.unmount('v4');
    });

    test('remove: gone whole, also while mounted; a missing volume is not an error', () => {
      const d = s.driver;
      const dir = d.create('v4');
      fs.writeFileSync(path.join(dir, 'f'), 'x');
      if (s.mountable) d.mount('v4', s.mountable.opts);
      d.remove('v4');
      assert.equal(d.exists('v4'), false);
      assert.equal(fs.existsSync(dir), false);
      if (s.mountable) assert.equal(s.mountable.isMounted('v4'), false);
      d.remove('v4');
      d.remove('never-made');
    });

    test('recover: keeps what records know and unknown data (logged); drops unknown empty ones', () => {
      const d = s.driver;
      d.create('known');
      d.create('orphan-empty');
      fs.writeFileSync(path.join(d.create('orphan-data'), 'f'), 'x');
      const logs: string[] = [];
      const gone = d.recover((n) => n === 'known' || ['v1', 'v2', 'v3'].includes(n), (m) => logs.push(m));
      assert.deepEqual(gone, [], 'no removal was cut short');
      assert.equal(d.exists('known'), true);
      assert.equal(d.exists('orphan-empty'), false);
      assert.equal(d.exists('orphan-data'), true);
      assert.ok(logs.some((m) => m.includes('orphan-data')), logs.join('\n'));
      for (const n of ['known', 'orphan-data']) d.remove(n);
    });
  });
}
