import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StdDemuxer, frame } from '../../src/api/types/stdcopy.ts';
import { DetachScanner, parseDetachKeys } from '../../src/api/types/detach-keys.ts';
import { encodeAuthHeader, registryOf, serverKey, INDEX_SERVER } from '../../src/cli/auth.ts';
import { eraseCredentials, getCredentials, storeCredentials } from '../../src/cli/credentials.ts';
import { isExcluded, parseDockerignore, buildQuery } from '../../src/cli/build-context.ts';
import { newCommand } from '../../src/cli/docker-command.ts';
import { updateBody } from '../../src/cli/commands/container-info.ts';

test('stdcopy demux across chunk boundaries', () => {
  const p = new StdDemuxer();
  const all = Buffer.concat([frame(1, Buffer.from('hello\n')), frame(2, Buffer.from('err\n'))]);
  const a = p.push(all.subarray(0, 5));
  assert.deepEqual(a, []);
  const b = p.push(all.subarray(5, 17));
  assert.deepEqual(b.map(([s, d]) => [s, d.toString()]), [[1, 'hello\n']]);
  const c = p.push(all.subarray(17));
  assert.deepEqual(c.map(([s, d]) => [s, d.toString()]), [[2, 'err\n']]);
  assert.equal(p.pending, 0);
});

test('detach keys', () => {
  assert.deepEqual([...parseDetachKeys('ctrl-p,ctrl-q')], [16, 17]);
  assert.deepEqual([...parseDetachKeys('a,ctrl-@')], [97, 0]);
  assert.throws(() => parseDetachKeys('ctrl-pp'));
  const d = new DetachScanner([16, 17]);
  assert.deepEqual(d.push(Buffer.from([65, 16])), { forward: Buffer.from([65]), detach: false });
  assert.deepEqual(d.push(Buffer.from([66])), { forward: Buffer.from([16, 66]), detach: false });
  assert.equal(d.push(Buffer.from([16, 17, 67])).detach, true);
});

test('credentials: keys, storage, header', () => {
  assert.equal(serverKey(undefined), INDEX_SERVER);
  assert.equal(serverKey('docker.io'), INDEX_SERVER);
  assert.equal(serverKey('http://localhost:5000/'), 'localhost:5000');
  assert.equal(registryOf('localhost:5000/app:1'), 'localhost:5000');
  assert.equal(registryOf('busybox'), INDEX_SERVER);
  const loaded = { dir: '/nonexistent', file: '/nonexistent/config.json', cfg: {} };
  storeCredentials(loaded, 'localhost:5000', { username: 'bob', password: 'pw:1' });
  assert.deepEqual(loaded.cfg, { auths: { 'localhost:5000': { auth: Buffer.from('bob:pw:1').toString('base64') } } });
  assert.deepEqual(getCredentials(loaded, 'localhost:5000'), { username: 'bob', password: 'pw:1', serveraddress: 'localhost:5000' });
  assert.equal(JSON.parse(Buffer.from(encodeAuthHeader({ username: 'u' }), 'base64url').toString()).username, 'u');
  assert.equal(eraseCredentials(loaded, 'localhost:5000'), undefined);
  assert.equal(getCredentials(loaded, 'localhost:5000'), undefined);
});

test('.dockerignore matching', () => {
  const p = parseDockerignore('# c\nnode_modules\n*.log\n!keep.log\n**/tmp\n/build/\n');
  assert.equal(isExcluded('node_modules', p), true);
  assert.equal(isExcluded('node_modules/x/y.js', p), true);
  assert.equal(isExcluded('a.log', p), true);
  assert.equal(isExcluded('keep.log', p), false);
  assert.equal(isExcluded('sub/a.log', p), false);
  assert.equal(isExcluded('x/y/tmp/z', p), true);
  assert.equal(isExcluded('build/out', p), true);
  assert.equal(isExcluded('src/main.ts', p), false);
  const q = buildQuery({ tag: ['a:1', 'b'], buildArg: ['X=1', 'HOME'], label: ['l=v'], addHost: [], rm: true, noCache: true, target: 't' }, (k) => (k === 'HOME' ? '/root' : undefined));
  assert.deepEqual(q.t, ['a:1', 'b']);
  assert.equal(q.buildargs, JSON.stringify({ X: '1', HOME: '/root' }));
  assert.equal(q.nocache, true);
  assert.equal(q.labels, JSON.stringify({ l: 'v' }));
});

test('docker-style parsing: --x=false, options after the image belong to the command', async () => {
  let got: unknown;
  const cmd = newCommand('run').argument('[image]').argument('[args...]').flag('-d, --detach', 'd').flag('--sig-proxy', 's', true).option('-e, --env <v>', 'e');
  cmd.operandsStopOptions().exitOverride().action((image: string, args: string[], o: unknown) => { got = { image, args, o }; });
  await cmd.parseAsync(['--sig-proxy=false', '-d=true', 'busybox', 'ls', '-l', '--help'], { from: 'user' });
  assert.deepEqual(got, { image: 'busybox', args: ['ls', '-l', '--help'], o: { detach: true, sigProxy: false } });
});

test('update flags → body', () => {
  assert.deepEqual(updateBody({ memory: '1g', cpus: '0.5', restart: 'on-failure:2', pidsLimit: '100' }), { Memory: 1024 ** 3, NanoCpus: 5e8, PidsLimit: 100, RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } });
});
