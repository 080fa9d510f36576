/**
 * registry-mirrors from daemon.json, applied by a SIGHUP reload without a restart: a Docker
 * Hub name (`mirrored:v1`) is pulled from our registry acting as the mirror.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { importBusybox, messages, registryAuth, startOurRegistry, type TestRegistry } from './distribution-harness.ts';

describe('registry mirrors', () => {
  let d: TestDaemon;
  let reg: TestRegistry;

  before(async () => {
    reg = await startOurRegistry();
    d = await startDaemon();
  });
  after(async () => {
    await d?.stop();
    await reg?.close();
  });

  it('a mirror added by SIGHUP serves docker.io pulls', async () => {
    const H = { 'X-Registry-Auth': registryAuth(reg.host) };
    const id = await importBusybox(d, `${reg.host}/library/mirrored:v1`);
    const push = await d.api('POST', `/images/${reg.host}/library/mirrored/push?tag=v1`, undefined, H);
    assert.ok(!messages(push.body).some((m) => m.error), push.body);
    await d.api('DELETE', `/images/${id}?force=1`);

    fs.writeFileSync(path.join(d.dir, 'daemon.json'), JSON.stringify({ 'registry-mirrors': [`http://${reg.host}`] }));
    const logged = d.logs().length;
    d.proc.kill('SIGHUP');
    for (let i = 0; i < 200 && !d.logs().slice(logged).includes('Reloaded configuration'); i++) await new Promise((r) => setTimeout(r, 25));
    assert.match(d.logs().slice(logged), /Reloaded configuration/);

    const r = await d.api('POST', '/images/create?fromImage=mirrored&tag=v1', undefined, H);
    assert.equal(r.status, 200, r.body);
    const msgs = messages(r.body);
    assert.ok(!msgs.some((m) => m.error), r.body);
    assert.ok(msgs.some((m) => m.status === 'Status: Downloaded newer image for mirrored:v1'), r.body);
    assert.equal((await d.api('GET', '/images/mirrored:v1/json')).json.Id, id);
  });
});
