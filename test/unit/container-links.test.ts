import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linkEnvFor, parseLink } from '../../src/engine/containers/links.ts';
import { withoutEnginePaths } from '../../src/engine/containers/tools/changes.ts';
import type { ContainerRecord } from '../../src/engine/containers/record.ts';

const child = (ports: string[], env: string[]) => ({ Config: { ExposedPorts: Object.fromEntries(ports.map((p) => [p, {}])), Env: env } }) as unknown as ContainerRecord;

test('parseLink: docker’s forms and messages', () => {
  assert.deepEqual(parseLink('db:sql'), { name: 'db', alias: 'sql' });
  assert.deepEqual(parseLink('db'), { name: 'db', alias: 'db' });
  assert.deepEqual(parseLink('/db:/web/sql'), { name: 'db', alias: 'sql' });
  assert.throws(() => parseLink(''), /empty string specified for links/);
  assert.throws(() => parseLink('a:b:c'), /bad format for links: a:b:c/);
  assert.throws(() => parseLink('db:a b'), /invalid link alias/);
});

test('link env as moby links.ToEnv: default port, ranges of three or more, name, env copies', () => {
  const env = linkEnvFor('/web/my-db', '10.0.0.2', child(['5432/tcp', '53/udp', '53/tcp', '7000/tcp', '7001/tcp', '8000/tcp', '8001/tcp', '8002/tcp'], ['PATH=/bin', 'HOME=/root', 'PW=a=b', 'NOVALUE']));
  assert.equal(env[0], 'MY_DB_PORT=tcp://10.0.0.2:53');
  assert.ok(env.includes('MY_DB_PORT_53_UDP=udp://10.0.0.2:53'));
  assert.ok(env.includes('MY_DB_PORT_5432_TCP_ADDR=10.0.0.2'));
  assert.ok(env.includes('MY_DB_PORT_8000_TCP_START=tcp://10.0.0.2:8000'));
  assert.ok(env.includes('MY_DB_PORT_8000_TCP_PORT_END=8002'));
  assert.ok(!env.some((e) => e.startsWith('MY_DB_PORT_7000_TCP_START')), 'two ports are no range');
  assert.ok(env.includes('MY_DB_NAME=/web/my-db'));
  assert.ok(env.includes('MY_DB_ENV_PW=a=b'));
  assert.ok(!env.some((e) => /MY_DB_ENV_(PATH|HOME|NOVALUE)/.test(e)));
  assert.deepEqual(linkEnvFor('/a/b', '1.2.3.4', child([], [])), ['B_NAME=/a/b']);
});

test('diff without the engine’s mount points keeps what the process changed', () => {
  const c = (Kind: 0 | 1 | 2, Path: string) => ({ Path, Kind });
  assert.deepEqual(withoutEnginePaths([c(0, '/etc'), c(1, '/etc/hostname'), c(1, '/etc/hosts'), c(1, '/etc/resolv.conf'), c(1, '/proc'), c(1, '/test')]), [c(1, '/test')]);
  assert.deepEqual(withoutEnginePaths([c(0, '/etc'), c(1, '/etc/foo'), c(1, '/etc/hosts')]), [c(0, '/etc'), c(1, '/etc/foo')]);
  assert.deepEqual(withoutEnginePaths([c(1, '/dev'), c(1, '/dev/shm'), c(1, '/vol')]), [c(1, '/vol')]);
  assert.deepEqual(withoutEnginePaths([c(0, '/bin'), c(2, '/bin/ls')]), [c(0, '/bin'), c(2, '/bin/ls')]);
});
