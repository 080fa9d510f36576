/**
 * `run`/`create` flags and the container lifecycle through the real docker CLI and the API:
 * exit codes, env, workdir, users, entrypoint, hostname, limits, restart policies, logs,
 * exec, ps, stop/kill/wait/rename/rm, and docker's error answers.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { importBusybox } from '../helpers/images.ts';

let d: TestDaemon;
let hasDocker = true;
before(async () => {
  d = await startDaemon();
  await importBusybox(d);
  hasDocker = (await d.docker(['--version']).catch(() => ({ code: 1 }))).code === 0;
});
after(async () => { await d?.stop(); });

async function dk(args: string[], input?: string) {
  return hasDocker ? d.docker(args, { input }) : d.cli(args, { input });
}

test('run: exit status, stdout and stderr apart, --rm removes', async () => {
  const r = await dk(['run', '--rm', '--name', 'exit7', 'bb', 'sh', '-c', 'echo out; echo err >&2; exit 7']);
  assert.equal(r.code, 7);
  assert.equal(r.stdout, 'out\n');
  assert.equal(r.stderr, 'err\n');
  const ps = await d.api('GET', '/containers/json?all=1');
  assert.ok(!ps.json.some((c: { Names: string[] }) => c.Names.includes('/exit7')));
});

test('run: command not found is 127, not executable is 126', async () => {
  const nf = await dk(['run', '--rm', 'bb', 'nosuchcmd']);
  assert.equal(nf.code, 127);
  assert.match(nf.stderr, /executable file not found/);
  const ne = await dk(['run', '--rm', 'bb', '/etc/passwd']);
  assert.equal(ne.code, 126);
});

test('run: -e, --env-file, -w, -u, --hostname, --entrypoint', async () => {
  const envFile = path.join(d.dir, 'env.list');
  fs.writeFileSync(envFile, '# comment\nFROM_FILE=yes\n');
  const r = await dk(['run', '--rm', '-e', 'A=1', '--env-file', envFile, '-w', '/tmp', '-u', '1000:1000', '--hostname', 'myhost', 'bb', 'sh', '-c', 'echo $A $FROM_FILE $(pwd) $(id -u):$(id -g) $(hostname)']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), '1 yes /tmp 1000:1000 myhost');
  const ep = await dk(['run', '--rm', '--entrypoint', 'echo', 'bb', 'hello', 'entry']);
  assert.equal(ep.stdout.trim(), 'hello entry');
  const named = await dk(['run', '--rm', '-u', 'u1', 'bb', 'id', '-un']);
  assert.equal(named.stdout.trim(), 'u1');
});

test('run -i: piped stdin reaches the container and EOF ends it', async () => {
  const r = await dk(['run', '-i', '--rm', 'bb', 'sh', '-c', 'cat; echo done'], 'line1\nline2\n');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'line1\nline2\ndone\n');
});

test('run: --shm-size, --read-only, --tmpfs, --network none, --ulimit', async () => {
  const shm = await dk(['run', '--rm', '--shm-size', '16m', 'bb', 'sh', '-c', "df -k /dev/shm | tail -1 | awk '{print $2}'"]);
  assert.equal(shm.stdout.trim(), '16384');
  const dflt = await dk(['run', '--rm', 'bb', 'sh', '-c', "df -k /dev/shm | tail -1 | awk '{print $2}'"]);
  assert.equal(dflt.stdout.trim(), '65536');
  const ro = await dk(['run', '--rm', '--read-only', '--tmpfs', '/scratch', 'bb', 'sh', '-c', 'touch /x 2>/dev/null && echo wrote-root; touch /scratch/y && echo wrote-tmpfs']);
  assert.equal(ro.stdout.trim(), 'wrote-tmpfs');
  const net = await dk(['run', '--rm', '--network', 'none', 'bb', 'sh', '-c', 'ls /sys/class/net | sort | tr "\\n" " "']);
  assert.equal(net.stdout.trim(), 'lo');
  const ul = await dk(['run', '--rm', '--ulimit', 'nofile=512:1024', 'bb', 'sh', '-c', 'ulimit -n; ulimit -Hn']);
  assert.equal(ul.stdout, '512\n1024\n');
});

test('run: --init puts an init as PID 1', async () => {
  const r = await dk(['run', '--rm', '--init', 'bb', 'sh', '-c', 'cat /proc/1/comm']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout.trim(), /^(docker-init|tini|catatonit)$/);
});

test('run: --gpus is refused clearly where the host has no GPU', { skip: fs.existsSync('/dev/nvidia0') }, async () => {
  const r = await dk(['run', '--rm', '--gpus', 'all', 'bb', 'true']);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /no GPU devices found/);
});

test('run: --pids-limit is enforced', async () => {
  const r = await dk(['run', '--rm', '--pids-limit', '10', 'bb', 'sh', '-c', 'for i in $(seq 1 30); do sleep 5 & done 2>/dev/null; sleep 0.5; cat /sys/fs/cgroup/pids/pids.current 2>/dev/null || cat /sys/fs/cgroup/pids.current']);
  assert.ok(Number(r.stdout.trim().split('\n').pop()) <= 10, r.stdout + r.stderr);
});

test('run: -m enforces memory and records the OOM kill', async () => {
  const r = await dk(['run', '--name', 'oomer', '-m', '16m', '--memory-swap', '16m', 'bb', 'sh', '-c', 'x=$(head -c 64000000 /dev/zero | tr "\\0" a); echo survived']);
  assert.equal(r.code, 137, r.stdout + r.stderr);
  const i = await d.api('GET', '/containers/oomer/json');
  assert.equal(i.json.State.OOMKilled, true);
  assert.equal(i.json.State.ExitCode, 137);
  assert.equal(i.json.HostConfig.Memory, 16 * 1024 * 1024);
  await dk(['rm', 'oomer']);
});

test('lifecycle: -d, ps columns and filters, logs, stop, start, restart, kill, wait, rename, rm', async () => {
  const run = await dk(['run', '-d', '--name', 'life', '--label', 'team=x', 'bb', 'sh', '-c', 'trap "echo got-term; exit 0" TERM; echo started; while true; do sleep 0.1; done']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout.trim(), /^[0-9a-f]{64}$/);
  const ps = await dk(['ps', '--filter', 'label=team=x', '--format', '{{.Names}} {{.Status}} {{.Command}}']);
  assert.match(ps.stdout, /^life Up .* "sh -c 'trap/m);
  await waitFor(async () => (await dk(['logs', 'life'])).stdout.includes('started'));
  const stop = await dk(['stop', 'life']);
  assert.equal(stop.code, 0);
  const logs = await dk(['logs', 'life']);
  assert.equal(logs.stdout, 'started\ngot-term\n');
  const inspect = await d.api('GET', '/containers/life/json');
  assert.equal(inspect.json.State.Status, 'exited');
  assert.equal(inspect.json.State.ExitCode, 0);
  const ex = await dk(['ps', '-a', '--filter', 'name=life', '--format', '{{.Status}}']);
  assert.match(ex.stdout, /^Exited \(0\) /);
  assert.equal((await dk(['start', 'life'])).code, 0);
  assert.equal((await d.api('GET', '/containers/life/json')).json.State.Running, true);
  assert.equal((await dk(['restart', '-t', '1', 'life'])).code, 0);
  const k = await dk(['kill', '-s', 'KILL', 'life']);
  assert.equal(k.code, 0);
  const w = await dk(['wait', 'life']);
  assert.equal(w.stdout.trim(), '137');
  assert.equal((await dk(['rename', 'life', 'life2'])).code, 0);
  assert.equal((await d.api('GET', '/containers/life2/json')).status, 200);
  const tail = await dk(['logs', '--tail', '1', 'life2']);
  assert.equal(tail.stdout.split('\n').filter(Boolean).length, 1);
  const ts = await dk(['logs', '-t', 'life2']);
  assert.match(ts.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z started$/m);
  assert.equal((await dk(['rm', 'life2'])).code, 0);
});

test('exec: exit code, -e, -u, -w, -d, -i', async () => {
  await dk(['run', '-d', '--name', 'ex', 'bb', 'sleep', '300']);
  const r = await dk(['exec', 'ex', 'sh', '-c', 'echo in-exec; exit 4']);
  assert.equal(r.code, 4);
  assert.equal(r.stdout, 'in-exec\n');
  const e = await dk(['exec', '-e', 'X=1', '-u', '1000', '-w', '/tmp', 'ex', 'sh', '-c', 'echo $X $(id -u) $(pwd)']);
  assert.equal(e.stdout.trim(), '1 1000 /tmp');
  const det = await dk(['exec', '-d', 'ex', 'sh', '-c', 'echo bg > /tmp/bg.txt']);
  assert.equal(det.code, 0);
  await waitFor(async () => (await dk(['exec', 'ex', 'cat', '/tmp/bg.txt'])).stdout === 'bg\n');
  const i = await dk(['exec', '-i', 'ex', 'cat'], 'piped\n');
  assert.equal(i.stdout, 'piped\n');
  const top = await dk(['top', 'ex']);
  assert.match(top.stdout, /sleep 300/);
  assert.equal((await dk(['rm', '-f', 'ex'])).code, 0);
});

test('restart policy on-failure:3 restarts three times then stays exited', async () => {
  await dk(['run', '-d', '--name', 'onfail', '--restart', 'on-failure:3', 'bb', 'sh', '-c', 'exit 3']);
  await waitFor(async () => {
    const j = (await d.api('GET', '/containers/onfail/json')).json;
    return j.RestartCount === 3 && j.State.Status === 'exited';
  }, 20_000);
  const j = (await d.api('GET', '/containers/onfail/json')).json;
  assert.equal(j.State.ExitCode, 3);
  await dk(['rm', '-f', 'onfail']);
});

test('API errors keep docker\'s status codes and wording (appendix C)', async () => {
  const cases: [string, string, unknown, number, RegExp][] = [
    ['POST', '/containers/create', undefined, 400, /invalid JSON|EOF/],
    ['POST', '/containers/create', {}, 400, /Config cannot be empty/],
    ['POST', '/containers/create?name=bad:x', { Image: 'bb' }, 400, /Invalid container name/],
    ['POST', '/containers/create', { Image: 'bb', HostConfig: { Memory: 4194304 } }, 400, /Minimum memory limit allowed is 6MB/],
    ['POST', '/containers/create', { Image: 'bb', HostConfig: { CpuShares: -1 } }, 400, /invalid CPU shares/],
    ['POST', '/containers/create', { Image: 'bb', HostConfig: { RestartPolicy: { Name: 'always', MaximumRetryCount: 2 } } }, 400, /maximum retry count cannot be used/],
    ['POST', '/containers/create', { Image: 'bb', HostConfig: { Binds: ['/:/'] } }, 400, /destination can't be '\/'/],
    ['POST', '/containers/create', { Image: 'bb', HostConfig: { Binds: ['/tmp:/x:bogus'] } }, 400, /invalid mode: bogus/],
    ['POST', '/containers/create', { Image: 'bb', HostConfig: { IpcMode: 'invalid' } }, 400, /Invalid IPC mode/],
    ['POST', '/containers/create', { Image: 'bb', HostConfig: { SecurityOpt: ['bogus'] } }, 400, /security-opt/],
    ['POST', '/containers/create', { Image: 'bb', HostConfig: { CapAdd: ['CAP_NOPE'] } }, 400, /unknown capability/],
    ['POST', '/containers/create', { Image: 'bb', Env: ['=foo'] }, 400, /invalid environment variable: =foo/],
    ['POST', '/containers/create', { Image: 'bb', HostConfig: { PortBindings: { '70000/tcp': [{}] } } }, 400, /invalid port specification/],
    ['POST', '/containers/create', { Image: 'bb-nosuch' }, 404, /No such image: bb-nosuch:latest/],
    ['POST', '/containers/create', { Image: 'BAD:REF:x' }, 400, /invalid reference format/],
    ['GET', '/containers/nosuch/json', undefined, 404, /No such container: nosuch/],
    ['POST', '/containers/nosuch/start', undefined, 404, /No such container/],
    ['GET', '/containers/json?filters=%7Bbad', undefined, 400, /invalid filter/],
    ['GET', '/containers/json?filters=%7B%22bad%22%3A%5B%22x%22%5D%7D', undefined, 400, /invalid filter 'bad'/],
  ];
  for (const [m, p, body, status, re] of cases) {
    const r = await d.api(m, p, body);
    assert.equal(r.status, status, `${m} ${p} ${JSON.stringify(body)} → ${r.status} ${r.body}`);
    assert.match(r.json?.message ?? '', re, `${m} ${p}`);
  }
  const ct = await d.api('POST', '/containers/create', '{"Image":"bb"}', { 'Content-Type': 'text/plain' });
  assert.equal(ct.status, 400);
  await dk(['run', '-d', '--name', 'busy', 'bb', 'sleep', '300']);
  const dup = await d.api('POST', '/containers/create?name=busy', { Image: 'bb' });
  assert.equal(dup.status, 409);
  assert.match(dup.json.message, /The container name "\/busy" is already in use/);
  const rm = await d.api('DELETE', '/containers/busy');
  assert.equal(rm.status, 409);
  const again = await d.api('POST', '/containers/busy/start');
  assert.equal(again.status, 304);
  const sig = await d.api('POST', '/containers/busy/kill?signal=SIGSECREL');
  assert.equal(sig.status, 400);
  assert.match(sig.json.message, /Invalid signal: SIGSECREL/);
  const rs = await d.api('POST', '/containers/busy/resize?h=-1&w=abc');
  assert.equal(rs.status, 400);
  const wait = await d.api('POST', '/containers/busy/wait?condition=bogus');
  assert.equal(wait.status, 400);
  const logs = await d.api('GET', '/containers/busy/logs');
  assert.equal(logs.status, 400);
  assert.match(logs.json.message, /you must choose at least one stream/);
  const exec = await d.api('POST', '/containers/busy/exec', { Cmd: [] });
  assert.equal(exec.status, 400);
  assert.match(exec.json.message, /No exec command specified/);
  assert.equal((await d.api('DELETE', '/containers/busy?force=1')).status, 204);
});

async function waitFor(fn: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition not met in time');
}
