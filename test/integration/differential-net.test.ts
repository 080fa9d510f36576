/**
 * Differential cases that need the bridge driver (user networks): a daemon on its own bridge
 * (networking-harness.ts) against the reference docker (test/helpers/differential.ts).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startNetDaemon, type NetHarness } from './networking-harness.ts';
import { V, createBb, differential, removeForce } from '../helpers/differential.ts';

let h: NetHarness;
before(async () => {
  h = await startNetDaemon();
  const tag = await h.d.api('POST', '/images/busybox:latest/tag?repo=bb&tag=latest');
  assert.equal(tag.status, 201, tag.body);
});
after(async () => { await h?.close(); });


test('a created container disconnected and reconnected (what compose does) gets its short id as an alias', async () => {
  const r = await differential(h.d, async (t) => {
    const net = t.name('cnet');
    assert.equal((await t.api('POST', `${V}/networks/create`, { Name: net })).status, 201);
    const id = await createBb(t, t.name('cc'), { HostConfig: { NetworkMode: net }, NetworkingConfig: { EndpointsConfig: { [net]: { Aliases: ['svc'] } } } });
    try {
      const created = (await t.api('GET', `${V}/containers/${id}/json`)).json.NetworkSettings.Networks[net].Aliases;
      const dis = await t.api('POST', `${V}/networks/${net}/disconnect`, { Container: id });
      const after = Object.keys((await t.api('GET', `${V}/containers/${id}/json`)).json.NetworkSettings.Networks);
      const con = await t.api('POST', `${V}/networks/${net}/connect`, { Container: id, EndpointConfig: { Aliases: ['svc'] } });
      const again = (await t.api('GET', `${V}/containers/${id}/json`)).json.NetworkSettings.Networks[net].Aliases;
      return { created, disconnect: dis.status, after, connect: con.status, again };
    } finally {
      await removeForce(t, id);
      await t.api('DELETE', `${V}/networks/${net}`);
    }
  });
  assert.deepEqual(r.created, ['svc']);
  assert.deepEqual(r.after, []);
  assert.equal(r.connect, 200);
  assert.equal(r.again.length, 2);
});
