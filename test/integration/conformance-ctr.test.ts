/**
 * Container lifecycle and create settings as docker 20.10 answers them (docker-py's
 * api_container / models_containers / errors tests): SIGKILL kill waits for the exit,
 * GroupAdd, DeviceCgroupRules, restarting containers and rm, rm wording per API version,
 * log-opt checks, prune's SpaceReclaimed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { importBusybox } from '../helpers/images.ts';

let d: TestDaemon;
before(async () => { d = await startDaemon(); await importBusybox(d); });
after(async () => { await d?.stop(); });

async function create(body: Record<string, unknown>, name?: string): Promise<string> {
  const r = await d.api('POST', `/containers/create${name ? `?name=${name}` : ''}`, { Image: 'bb', ...body });
  assert.equal(r.status, 201, r.body);
  return r.json.Id as string;
}

async function run(body: Record<string, unknown>, name?: string): Promise<string> {
  const id = await create(body, name);
  const s = await d.api('POST', `/containers/${id}/start`);
  assert.equal(s.status, 204, s.body);
  return id;
}

const state = async (id: string) => (await d.api('GET', `/containers/${id}/json`)).json;

test('kill (SIGKILL) answers after the exit is recorded: exited, 137, removable at once', async () => {
  for (let i = 0; i < 3; i++) {
    const id = await run({ Cmd: ['sleep', '300'] });
    const k = await d.api('POST', `/v1.41/containers/${id}/kill`);
    assert.equal(k.status, 204, k.body);
    const s = (await state(id)).State;
    assert.equal(s.Running, false);
    assert.equal(s.Status, 'exited');
    assert.equal(s.ExitCode, 137);
    assert.equal((await d.api('DELETE', `/v1.41/containers/${id}`)).status, 204);
  }
});

test('kill of a paused container thaws it so SIGKILL lands', async () => {
  const id = await run({ Cmd: ['sleep', '300'] });
  assert.equal((await d.api('POST', `/containers/${id}/pause`)).status, 204);
  assert.equal((await d.api('POST', `/containers/${id}/kill`)).status, 204);
  const s = (await state(id)).State;
  assert.deepEqual([s.Status, s.Running, s.Paused, s.ExitCode], ['exited', false, false, 137]);
  await d.api('DELETE', `/containers/${id}`);
});

test('kill with another signal answers once it is sent', async () => {
  const id = await run({ Cmd: ['sh', '-c', 'trap "exit 7" USR1; while true; do sleep 0.1; done'] });
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await d.api('POST', `/containers/${id}/kill?signal=SIGUSR1`)).status, 204);
  assert.equal((await d.api('POST', `/containers/${id}/wait`)).json.StatusCode, 7);
  await d.api('DELETE', `/containers/${id}`);
});

test('GroupAdd: numbers as they are, names through the image /etc/group; unknown names refused', async () => {
  const id = await run({ Cmd: ['id', '-G'], HostConfig: { GroupAdd: ['1000', '1001', 'root', '1000'] } });
  await d.api('POST', `/containers/${id}/wait`);
  const logs = (await d.cli(['logs', id])).stdout.trim().split(' ').sort();
  assert.deepEqual(logs, ['0', '1000', '1001']);
  const withUser = await run({ Cmd: ['id', '-G'], User: '7:8', HostConfig: { GroupAdd: ['1000'] } });
  await d.api('POST', `/containers/${withUser}/wait`);
  assert.deepEqual((await d.cli(['logs', withUser])).stdout.trim().split(' ').sort(), ['1000', '8']);
  const sleeper = await run({ Cmd: ['sleep', '300'], HostConfig: { GroupAdd: ['1000'] } });
  assert.deepEqual((await d.cli(['exec', '-u', '7:8', sleeper, 'id', '-G'])).stdout.trim().split(' ').sort(), ['1000', '8'], 'exec -u keeps GroupAdd');
  assert.deepEqual((await d.cli(['exec', sleeper, 'id', '-G'])).stdout.trim().split(' ').sort(), ['0', '1000']);
  const bad = await create({ Cmd: ['true'], HostConfig: { GroupAdd: ['nosuchgroup'] } });
  const s = await d.api('POST', `/containers/${bad}/start`);
  assert.equal(s.status, 400);
  assert.equal(s.json.message, 'Unable to find group nosuchgroup: no matching entries in group file');
  const big = await create({ Cmd: ['true'], HostConfig: { GroupAdd: ['99999999999'] } });
  assert.match((await d.api('POST', `/containers/${big}/start`)).json.message, /uids and gids must be in range 0-2147483647/);
  for (const c of [id, withUser, sleeper, bad, big]) await d.api('DELETE', `/containers/${c}?force=1`);
});

test('DeviceCgroupRules reach the device cgroup; a malformed rule is refused at create', async () => {
  const rule = 'c 7:128 rwm';
  const id = await create({ Cmd: ['cat', '/sys/fs/cgroup/devices/devices.list'], HostConfig: { DeviceCgroupRules: [rule, 'b *:* m'] } });
  assert.deepEqual((await state(id)).HostConfig.DeviceCgroupRules, [rule, 'b *:* m']);
  assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 204);
  await d.api('POST', `/containers/${id}/wait`);
  const spec = JSON.parse(fs.readFileSync(`${d.dataRoot}/containers/${id}/runtime-spec.json`, 'utf8'));
  assert.deepEqual(spec.linux.resources.devices.slice(-2), [{ allow: true, type: 'c', major: 7, minor: 128, access: 'rwm' }, { allow: true, type: 'b', access: 'm' }]);
  if (fs.existsSync('/sys/fs/cgroup/devices/devices.list')) assert.match((await d.cli(['logs', id])).stdout, /^c 7:128 rwm$/m);
  const bad = await d.api('POST', '/containers/create', { Image: 'bb', HostConfig: { DeviceCgroupRules: ['x 1:2 rwm'] } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.message, "invalid device cgroup rule format: 'x 1:2 rwm'");
  await d.api('DELETE', `/containers/${id}`);
});

test('a restarting container (restart policy backoff) shows "restarting" and refuses rm without force', async () => {
  const id = await run({ Cmd: ['sh', '-c', 'exit 3'], HostConfig: { RestartPolicy: { Name: 'always' } } });
  let j: any;
  for (let i = 0; i < 400; i++) {
    j = await state(id);
    if (j.State.Restarting && j.RestartCount >= 4) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.equal(j.State.Restarting, true, JSON.stringify(j.State));
  assert.equal(j.State.Status, 'restarting');
  assert.equal(j.State.Running, true);
  assert.equal(j.State.Pid, 0);
  assert.equal(j.State.ExitCode, 3);
  const rm = await d.api('DELETE', `/v1.41/containers/${id}`);
  assert.equal(rm.status, 409);
  assert.match(rm.json.message, new RegExp(`^You cannot remove a (restarting|running) container ${id}\\. Stop the container before attempting removal or force remove$`));
  assert.equal((await d.api('DELETE', `/v1.41/containers/${id}?force=1`)).status, 204);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await d.api('GET', `/containers/${id}/json`)).status, 404);
});

test('rm of a running or paused container: docker 20.10 wording before API 1.44, the newer one after', async () => {
  const id = await run({ Cmd: ['sleep', '300'] }, 'ctr-rm-wording');
  const old = await d.api('DELETE', `/v1.41/containers/${id}`);
  assert.equal(old.status, 409);
  assert.equal(old.json.message, `You cannot remove a running container ${id}. Stop the container before attempting removal or force remove`);
  const cur = await d.api('DELETE', `/v1.44/containers/${id}`);
  assert.equal(cur.status, 409);
  assert.equal(cur.json.message, 'cannot remove container "/ctr-rm-wording": container is running: stop the container before removing or force remove');
  await d.api('POST', `/containers/${id}/pause`);
  assert.equal((await d.api('DELETE', `/v1.41/containers/${id}`)).json.message, `You cannot remove a paused container ${id}. Unpause and then stop the container before attempting removal or force remove`);
  assert.equal((await d.api('DELETE', `/v1.44/containers/${id}`)).json.message, 'cannot remove container "/ctr-rm-wording": container is paused and must be unpaused first');
  assert.equal((await d.api('DELETE', `/containers/${id}?force=1`)).status, 204);
});

test('log options: max-file without max-size is accepted and kept; bad ones get docker\'s messages', async () => {
  for (const Type of ['json-file', '']) {
    const id = await run({ Cmd: ['true'], HostConfig: { LogConfig: { Type, Config: { 'max-file': '100' } } } });
    const lc = (await state(id)).HostConfig.LogConfig;
    assert.deepEqual(lc, { Type: 'json-file', Config: { 'max-file': '100' } });
    await d.api('DELETE', `/containers/${id}?force=1`);
  }
  const cases: [Record<string, string>, string][] = [
    [{ foo: 'bar' }, "unknown log opt 'foo' for json-file log driver"],
    [{ 'max-size': 'abc' }, "invalid size: 'abc'"],
    [{ 'max-size': '0' }, 'max-size must be a positive number'],
    [{ 'max-size': '1m', 'max-file': '0' }, 'max-file cannot be less than 1'],
    [{ 'max-file': 'abc' }, 'strconv.Atoi: parsing "abc": invalid syntax'],
    [{ compress: 'true' }, 'compress cannot be true when max-file is less than 2 or max-size is not set'],
    [{ compress: 'xyz' }, 'strconv.ParseBool: parsing "xyz": invalid syntax'],
    [{ mode: 'bad' }, 'logger: logging mode not supported: bad'],
    [{ 'max-buffer-size': '4m' }, "logger: max-buffer-size option is only supported with 'mode=non-blocking'"],
  ];
  for (const [Config, message] of cases) {
    const r = await d.api('POST', '/containers/create', { Image: 'bb', HostConfig: { LogConfig: { Type: 'json-file', Config } } });
    assert.equal(r.status, 400, JSON.stringify(Config));
    assert.equal(r.json.message, message);
  }
  const ok = await d.api('POST', '/containers/create', { Image: 'bb', HostConfig: { LogConfig: { Type: 'json-file', Config: { 'labels-regex': '^a', mode: 'non-blocking', 'max-buffer-size': '4m' } } } });
  assert.equal(ok.status, 201, ok.body);
  await d.api('DELETE', `/containers/${ok.json.Id}`);
});

test('container prune reports the writable layers it freed', async () => {
  const done = await run({ Cmd: ['sh', '-c', 'head -c 100000 /dev/zero > /data.bin'] });
  await d.api('POST', `/containers/${done}/wait`);
  const running = await run({ Cmd: ['sleep', '300'] });
  const r = await d.api('POST', '/containers/prune');
  assert.equal(r.status, 200);
  assert.ok(r.json.ContainersDeleted.includes(done));
  assert.ok(!r.json.ContainersDeleted.includes(running));
  assert.ok(r.json.SpaceReclaimed >= 100000, String(r.json.SpaceReclaimed));
  await d.api('DELETE', `/containers/${running}?force=1`);
});
