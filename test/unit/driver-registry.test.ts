/** DriverRegistry: drivers by name, made once, docker's error for an unknown name. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DriverRegistry } from '../../src/common/driver-registry.ts';
import { NotFoundError } from '../../src/common/errors.ts';

test('get by name; an unknown name throws the registry\'s error; find answers undefined', () => {
  const r = new DriverRegistry<{ name: string }>('network', (n) => new NotFoundError(`plugin "${n}" not found`)).register('bridge', { name: 'bridge' });
  assert.equal(r.get('bridge').name, 'bridge');
  assert.equal(r.find('macvlan'), undefined);
  assert.throws(() => r.get('macvlan'), (e: Error) => e instanceof NotFoundError && e.message === 'plugin "macvlan" not found');
  assert.deepEqual(r.names(), ['bridge']);
});

test('a factory is made at the first get only, once; instances lists only what was made', () => {
  let made = 0;
  const r = new DriverRegistry<{ n: number }>('storage').registerFactory('overlay2', () => ({ n: ++made })).registerFactory('vfs', () => ({ n: 100 }));
  assert.equal(made, 0);
  assert.deepEqual(r.names(), ['overlay2', 'vfs']);
  assert.deepEqual(r.instances(), []);
  assert.equal(r.get('overlay2'), r.get('overlay2'));
  assert.equal(made, 1);
  assert.deepEqual(r.instances(), [{ n: 1 }]);
  assert.ok(r.has('vfs'));
});

test('a name registered twice is a programming error', () => {
  const r = new DriverRegistry<number>('runtime').register('runc', 1);
  assert.throws(() => r.register('runc', 2), /registered twice/);
  assert.throws(() => r.registerFactory('runc', () => 3), /registered twice/);
});
