/**
 * The same requests against wharf and the reference docker (test/helpers/differential.ts), for
 * the behaviours docker-py's suite exercises. Without a reference daemon each case still runs on
 * wharf and its own assertions hold.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { importBusybox } from '../helpers/images.ts';
import { V, createBb, differential, removeForce, type Target } from '../helpers/differential.ts';

let d: TestDaemon;
before(async () => { d = await startDaemon(); await importBusybox(d); });
after(async () => { await d?.stop(); });


test('unknown container: 404 with docker\'s message', async () => {
  const r = await differential(d, async (t) => {
    const name = t.name('missing');
    const res = await t.api('GET', `${V}/containers/${name}/json`);
    return { status: res.status, message: res.json?.message };
  });
  assert.equal(r.status, 404);
});

test('create with an unknown restart policy: 400 with docker\'s message', async () => {
  const r = await differential(d, async (t) => {
    const res = await t.api('POST', `${V}/containers/create?name=${t.name('rp')}`, { Image: 'bb', HostConfig: { RestartPolicy: { Name: 'sometimes' } } });
    return { status: res.status, message: res.json?.message };
  });
  assert.equal(r.status, 400);
});

async function startedBb(t: Target, prefix: string): Promise<string> {
  const id = await createBb(t, t.name(prefix));
  const r = await t.api('POST', `${V}/containers/${id}/start`);
  assert.equal(r.status, 204, r.body);
  return id;
}

/** The payload of a stdcopy-framed body, per stream (frame boundaries depend on timing). */
function demux(body: string): { stdout: string; stderr: string } {
  const b = Buffer.from(body, 'latin1');
  const out = { stdout: '', stderr: '' };
  for (let i = 0; i + 8 <= b.length;) {
    const len = b.readUInt32BE(i + 4);
    const part = b.subarray(i + 8, i + 8 + len).toString('latin1');
    if (b[i] === 2) out.stderr += part; else out.stdout += part;
    i += 8 + len;
  }
  return out;
}

async function execRun(t: Target, id: string, body: Record<string, unknown>, start: Record<string, unknown> = { Detach: false, Tty: false }): Promise<{ output: string; inspect: any }> {
  const ex = await t.api('POST', `${V}/containers/${id}/exec`, { AttachStdout: true, AttachStderr: true, ...body });
  assert.equal(ex.status, 201, ex.body);
  const s = await t.api('POST', `${V}/exec/${ex.json.Id}/start`, start);
  for (let i = 0; i < 50; i++) {
    const ins = await t.api('GET', `${V}/exec/${ex.json.Id}/json`);
    if (!ins.json.Running) return { output: s.body, inspect: ins.json };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('exec did not end');
}

test('exec of a missing binary ends with ExitCode 126', async () => {
  const r = await differential(d, async (t) => {
    const id = await startedBb(t, 'exec126');
    try {
      const { inspect } = await execRun(t, id, { Cmd: ['no-such-binary'] });
      return { exitCode: inspect.ExitCode, running: inspect.Running };
    } finally { await removeForce(t, id); }
  });
  assert.deepEqual(r, { exitCode: 126, running: false });
});

test('an exec created with Tty runs on a pty: lines end in \\r\\n even when started without Tty', async () => {
  const r = await differential(d, async (t) => {
    const id = await startedBb(t, 'exectty');
    try {
      const { output, inspect } = await execRun(t, id, { Tty: true, Cmd: ['sh', '-c', 'echo out; echo err >&2'] });
      return { output: demux(output), exitCode: inspect.ExitCode };
    } finally { await removeForce(t, id); }
  });
  assert.deepEqual(r.output, { stdout: 'out\r\nerr\r\n', stderr: '' });
});

test('removing a running container without force: 409 with the wording of API 1.41', async () => {
  const r = await differential(d, async (t) => {
    const id = await startedBb(t, 'rmrunning');
    try {
      const res = await t.api('DELETE', `${V}/containers/${id}`);
      return { status: res.status, message: res.json?.message };
    } finally { await removeForce(t, id); }
  });
  assert.equal(r.status, 409);
  assert.match(r.message, /^You cannot remove a running container/);
});

test('kill answers once the container has exited: exited, 137', async () => {
  const r = await differential(d, async (t) => {
    const id = await startedBb(t, 'kill');
    try {
      const k = await t.api('POST', `${V}/containers/${id}/kill`);
      const s = (await t.api('GET', `${V}/containers/${id}/json`)).json.State;
      return { kill: k.status, status: s.Status, running: s.Running, exitCode: s.ExitCode };
    } finally { await removeForce(t, id); }
  });
  assert.deepEqual(r, { kill: 204, status: 'exited', running: false, exitCode: 137 });
});

test('json-file max-file without max-size is accepted (no rotation)', async () => {
  const r = await differential(d, async (t) => {
    const res = await t.api('POST', `${V}/containers/create?name=${t.name('logopt')}`, { Image: 'bb', HostConfig: { LogConfig: { Type: 'json-file', Config: { 'max-file': '5' } } } });
    if (res.status === 201) await removeForce(t, res.json.Id);
    return { status: res.status };
  });
  assert.equal(r.status, 201);
});

test('changes of a fresh container leave out the engine\'s own files', async () => {
  const r = await differential(d, async (t) => {
    const id = await createBb(t, t.name('diff'), { Cmd: ['touch', '/test'] });
    try {
      await t.api('POST', `${V}/containers/${id}/start`);
      await t.api('POST', `${V}/containers/${id}/wait`);
      const res = await t.api('GET', `${V}/containers/${id}/changes`);
      return { status: res.status, changes: res.json };
    } finally { await removeForce(t, id); }
  });
  assert.deepEqual(r.changes, [{ Kind: 1, Path: '/test' }]);
});

test('GroupAdd: supplementary groups by number and by name', async () => {
  const r = await differential(d, async (t) => {
    const id = await createBb(t, t.name('groups'), { Cmd: ['id', '-G'], HostConfig: { GroupAdd: ['1000', 'root'] } });
    try {
      await t.api('POST', `${V}/containers/${id}/start`);
      const w = await t.api('POST', `${V}/containers/${id}/wait`);
      const logs = await t.api('GET', `${V}/containers/${id}/logs?stdout=1`);
      return { exit: w.json.StatusCode, groups: logs.body.slice(8).trim().split(' ').sort() };
    } finally { await removeForce(t, id); }
  });
  assert.deepEqual(r, { exit: 0, groups: ['0', '1000'] });
});

test('image inspect keeps ContainerConfig (docker-compose 1.29 reads it) at every API version', async () => {
  for (const v of ['/v1.41', '/v1.47', '']) {
    const img = await d.api('GET', `${v}/images/bb/json`);
    assert.equal(img.status, 200);
    assert.ok('ContainerConfig' in img.json, `ContainerConfig at ${v || 'no version'}`);
  }
});

test('swarm endpoints answer as a docker daemon in no swarm', async () => {
  const r = await differential(d, async (t) => {
    const out: Record<string, unknown> = {};
    for (const [m, p] of [['POST', '/swarm/leave?force=1'], ['GET', '/swarm'], ['GET', '/services'], ['GET', '/nodes'], ['GET', '/tasks'], ['GET', '/secrets'], ['GET', '/configs']] as const) {
      const res = await t.api(m, `${V}${p}`);
      out[`${m} ${p}`] = { status: res.status, message: res.json?.message };
    }
    out.info = (await t.api('GET', `${V}/info`)).json.Swarm.LocalNodeState;
    return out;
  });
  assert.deepEqual(r['POST /swarm/leave?force=1'], { status: 503, message: 'This node is not part of a swarm' });
  assert.equal(r.info, 'inactive');
});
