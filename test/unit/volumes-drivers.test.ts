/**
 * The volumes service looks drivers up by name (issue #17): a volume's calls go to the driver
 * its record names, an unknown name is docker's 404, and the default is `local`. Two fake
 * drivers registered as `local` and `other` stand in for real ones (no root, milliseconds).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DriverRegistry } from '../../src/common/driver-registry.ts';
import { NotFoundError } from '../../src/common/errors.ts';
import { createLogger } from '../../src/common/logger.ts';
import type { VolumeDriver } from '../../src/drivers/volume/contract.ts';
import { EventBus } from '../../src/engine/events/index.ts';
import { VolumesService } from '../../src/engine/volumes/index.ts';
import { openDatabase } from '../../src/store/db.ts';
import { FakeVolumeDriver } from '../fakes/volume-driver.ts';

function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-voldrv-'));
  const local = new FakeVolumeDriver(path.join(dir, 'local'), 'local');
  const other = new FakeVolumeDriver(path.join(dir, 'other'), 'other');
  const drivers = new DriverRegistry<VolumeDriver>('volume', (n) => new NotFoundError(`error looking up volume plugin ${n}: plugin "${n}" not found`))
    .register('local', local).register('other', other);
  const events = new EventBus();
  const seen: string[] = [];
  events.subscribe((e) => { if (e.Type === 'volume') seen.push(`${e.Action} ${e.Actor.Attributes.driver}`); });
  const db = openDatabase(path.join(dir, 'metadata.db'));
  const volumes = new VolumesService({ db, drivers, events, logger: createLogger('error') });
  return { dir, local, other, volumes, seen, drivers, db, done: () => { db.close?.(); fs.rmSync(dir, { recursive: true, force: true }); } };
}

test('create -d NAME goes to that driver; inspect, mount, unmount and rm follow the record\'s driver', () => {
  const s = setup();
  const v = s.volumes.create({ Name: 'data', Driver: 'other', DriverOpts: { device: 'd1' } });
  assert.equal(v.Driver, 'other');
  assert.equal(v.Mountpoint, s.other.dataDir('data'));
  assert.equal(s.other.exists('data'), true);
  assert.equal(s.local.exists('data'), false);
  const { mountpoint } = s.volumes.ensure('data', { anonymous: false, containerId: 'c1' });
  assert.equal(mountpoint, s.other.dataDir('data'));
  assert.deepEqual(s.other.mounted.get('data'), { device: 'd1' });
  s.volumes.unmount('data', 'c1');
  assert.equal(s.other.mounted.has('data'), false);
  s.volumes.release('data', 'c1');
  s.volumes.remove('data');
  assert.equal(s.other.exists('data'), false);
  assert.deepEqual(s.seen.filter((e) => !e.startsWith('unmount')), ['create other', 'mount other', 'destroy other']);
  s.done();
});

test('no driver given is local; a container\'s --mount volume-driver=NAME is looked up too', () => {
  const s = setup();
  assert.equal(s.volumes.create({ Name: 'plain' }).Driver, 'local');
  assert.equal(s.local.exists('plain'), true);
  s.volumes.ensure('anon', { anonymous: true, containerId: 'c1', driver: 'other' });
  assert.equal(s.volumes.inspect('anon').Driver, 'other');
  assert.equal(s.other.mounted.has('anon'), true);
  s.done();
});

test('an unknown driver is docker\'s 404, even for a name that exists; nothing is created', () => {
  const s = setup();
  s.volumes.create({ Name: 'xx' });
  for (const name of ['xx', 'yy']) {
    assert.throws(() => s.volumes.create({ Name: name, Driver: 'nosuch' }), (e: Error) => e instanceof NotFoundError && e.message === `create ${name}: error looking up volume plugin nosuch: plugin "nosuch" not found`);
  }
  assert.throws(() => s.volumes.inspect('yy'), NotFoundError);
  assert.throws(() => s.volumes.ensure('zz', { anonymous: false, containerId: 'c', driver: 'nosuch' }), /plugin "nosuch" not found/);
  s.done();
});

test('options are checked by the volume\'s own driver (400 before anything is made)', () => {
  const s = setup();
  assert.throws(() => s.volumes.create({ Name: 'oo', Driver: 'other', DriverOpts: { nosuch: '1' } }), (e: Error) => (e as { status?: number }).status === 400 && e.message === 'invalid option: "nosuch"');
  assert.equal(s.other.exists('oo'), false);
  s.done();
});
