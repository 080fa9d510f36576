/**
 * The same requests against wharf and the reference docker (test/helpers/differential.ts), for
 * the behaviours docker-py's suite exercises. Without a reference daemon each case still runs on
 * wharf and its own assertions hold.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { importBusybox } from '../helpers/images.ts';
import { differential, type Target } from '../helpers/differential.ts';

let d: TestDaemon;
before(async () => { d = await startDaemon(); await importBusybox(d); });
after(async () => { await d?.stop(); });

const V = '/v1.41';

async function createBb(t: Target, name: string, body: Record<string, unknown> = {}): Promise<string> {
  const r = await t.api('POST', `${V}/containers/create?name=${name}`, { Image: 'bb', Cmd: ['sleep', '30'], ...body });
  assert.equal(r.status, 201, r.body);
  return r.json.Id as string;
}

async function removeForce(t: Target, id: string): Promise<void> {
  await t.api('DELETE', `${V}/containers/${id}?force=1&v=1`);
}

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
