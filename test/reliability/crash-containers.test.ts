/**
 * Containers outlive the daemon (issue #13): N kill -9 / restart cycles of wharfd (fast 3,
 * soak 12) while containers run on a bridge network and
 *   - log continuously, one counter per line (one of them with max-size rotation, so some
 *     kills land in the middle of a rotation): afterwards `logs` holds every line once
 *   - are attached to, stdin and stdout (re-attached after each restart, and answer)
 *   - exit while the daemon is down: their exit code is the one the process returned
 *   - exit periodically under `--restart on-failure` and `--restart always`: the policies go
 *     on being applied after every restart (the restart count keeps growing)
 * and once everything is removed no monitor (conmon) process, mount under the roots, veth,
 * netns or iptables rule of theirs is left. The kill points and downtimes come from the
 * seeded RNG (crash-rng.ts; `WHARF_CRASH_SEED` replays a run).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { startNetDaemon, until, type NetHarness } from '../integration/networking-harness.ts';
import { scaled } from './mode.ts';
import { seededRng, sleep } from './crash-rng.ts';
import { storeProblems, tempLeftovers } from './store-check.ts';

const CYCLES = scaled({ fast: 3, soak: 12 });

function mountsUnder(...dirs: string[]): string[] {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((m): m is string => !!m && dirs.some((d) => m.startsWith(d)));
}

/** Processes whose command line names `dir` (conmon and runc for containers under it). */
function processesNaming(dir: string): string[] {
  const out: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let cmd = '';
    try { cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '); } catch { continue; }
    if (cmd.includes(dir) && !cmd.includes('wharfd')) out.push(`${pid}: ${cmd.slice(0, 120)}`);
  }
  return out;
}

/** `docker attach` with stdin: resolves once `expect` shows up in its output. */
function attachAndAsk(h: NetHarness, name: string, line: string, expect: string): Promise<ChildProcess> {
  const p = spawn('docker', ['attach', '--sig-proxy=false', name], { env: { ...process.env, DOCKER_HOST: h.d.host, DOCKER_CONFIG: path.join(h.d.dir, 'docker-config') }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { p.kill('SIGKILL'); reject(new Error(`attach to ${name}: no "${expect}" in ${JSON.stringify(out)}`)); }, 15_000);
    p.stdout!.on('data', (c) => {
      out += c;
      if (out.includes(expect)) { clearTimeout(timer); resolve(p); }
    });
    p.stderr!.on('data', (c) => (out += c));
    p.stdin!.on('error', () => {});
    // The attach connects asynchronously: ask until the answer comes.
    const ask = setInterval(() => { if (p.exitCode === null) p.stdin!.write(`${line}\n`); }, 300);
    p.once('exit', () => clearInterval(ask));
    const stopAsking = () => clearInterval(ask);
    p.stdout!.on('data', () => { if (out.includes(expect)) stopAsking(); });
  });
}

test('containers outlive kill -9 of the daemon: logs complete, attach, exit codes, restart policies, no leak', async (t) => {
  const rng = seededRng();
  t.diagnostic(`seed ${rng.seed} (WHARF_CRASH_SEED=${rng.seed} replays it)`);
  const h = await startNetDaemon();
  const d = h.d;
  const ok = (args: string[], timeoutMs = 60_000) => h.ok(args, timeoutMs);
  const inspect = async (name: string) => JSON.parse(await ok(['inspect', name]))[0];
  const attached: ChildProcess[] = [];
  const figures = { cycles: 0, exitedWhileDown: 0, reattached: 0, restartsSeen: { onFailure: 0, always: 0 } };
  try {
    // Counter loggers; TERM ends them with 7 so stop's exit code says who ended them.
    const counter = (pad: string) => `trap 'exit 7' TERM; i=0; while true; do echo "$i${pad}"; i=$((i+1)); usleep 10000; done`;
    await ok(['run', '-d', '--name', 'counter', 'busybox', 'sh', '-c', counter('')]);
    await ok(['run', '-d', '--name', 'rotated', '--log-opt', 'max-size=16k', '--log-opt', 'max-file=1000', 'busybox', 'sh', '-c', counter(` ${'x'.repeat(90)}`)]);
    await ok(['run', '-d', '-i', '--name', 'echo', 'busybox', 'sh', '-c', 'while read l; do echo "got:$l"; done; exit 4']);
    await ok(['run', '-d', '--name', 'flaky', '--restart', 'on-failure', 'busybox', 'sh', '-c', 'sleep 1; exit 3']);
    await ok(['run', '-d', '--name', 'always', '--restart', 'always', 'busybox', 'sh', '-c', 'sleep 1; exit 0']);
    let restarts = { flaky: 0, always: 0 };

    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      // One that exits while the daemon is down, with its own code.
      const code = 10 + cycle;
      await ok(['run', '-d', '--name', `short-${cycle}`, 'busybox', 'sh', '-c', `sleep 0.3; exit ${code}`]);
      attached.push(await attachAndAsk(h, 'echo', `ping-${cycle}`, `got:ping-${cycle}`));
      figures.reattached++;
      await sleep(300 + Math.round(rng.next() * 1500));
      await d.kill9();
      await sleep(500 + Math.round(rng.next() * 1000));
      await d.restart();
      figures.cycles++;
      assert.deepEqual(tempLeftovers(d.dataRoot), [], `cycle ${cycle}: temp files`);
      assert.deepEqual(storeProblems(d.dataRoot), [], `cycle ${cycle}: store`);
      for (const name of ['counter', 'rotated', 'echo']) assert.equal((await inspect(name)).State.Running, true, `cycle ${cycle}: ${name} running`);
      const short = await inspect(`short-${cycle}`);
      assert.equal(short.State.Running, false);
      assert.equal(short.State.ExitCode, code, `cycle ${cycle}: exit code of a container that exited while the daemon was down`);
      figures.exitedWhileDown++;
      await ok(['rm', `short-${cycle}`]);
      // The policies still apply: each restarts again after this start.
      for (const name of ['flaky', 'always'] as const) {
        const before = restarts[name];
        await until(async () => (await inspect(name)).RestartCount > before, `cycle ${cycle}: ${name} restarted by its policy`, 30_000)
          .catch(async (err: Error) => { const i = await inspect(name); throw new Error(`${err.message}: RestartCount ${i.RestartCount} (was ${before}), ${JSON.stringify(i.State)}\n${d.logs().split('\n').filter((l) => l.includes(i.Id) || /restart/i.test(l)).slice(-10).join('\n')}`); });
        restarts = { ...restarts, [name]: (await inspect(name)).RestartCount };
      }
    }
    figures.restartsSeen = { onFailure: restarts.flaky, always: restarts.always };
    // Between runs the policy containers show their own exit codes.
    for (const [name, code] of [['flaky', 3], ['always', 0]] as const) {
      await until(async () => { const s = (await inspect(name)).State; return (s.Restarting || !s.Running) && s.ExitCode === code && s.FinishedAt > s.StartedAt; }, `${name} seen exited with ${code}`, 30_000);
    }
    // Attach works after the last restart too.
    attached.push(await attachAndAsk(h, 'echo', 'last', 'got:last'));

    // Every line logged exactly once, across all the kills (and rotations).
    await ok(['stop', '-t', '10', 'counter', 'rotated']);
    const logPath = (await inspect('rotated')).LogPath as string;
    const rotations = fs.readdirSync(path.dirname(logPath)).filter((f) => f.startsWith(`${path.basename(logPath)}.`)).length;
    assert.ok(rotations >= 1, 'the rotated log did rotate');
    for (const name of ['counter', 'rotated']) {
      const st = (await inspect(name)).State;
      assert.equal(st.ExitCode, 7, `${name} exit code`);
      const logs = await d.docker(['logs', name], { timeoutMs: 60_000 });
      const nums = logs.stdout.split('\n').filter(Boolean).map((l) => Number(l.split(' ')[0]));
      assert.ok(nums.length > 100, `${name}: ${nums.length} lines`);
      const missing: number[] = [];
      for (let i = 0, j = 0; i <= nums[nums.length - 1]!; i++) {
        if (nums[j] === i) j++;
        else missing.push(i);
      }
      assert.deepEqual(missing.slice(0, 20), [], `${name}: lines lost (${missing.length}) of ${nums.length}`);
      assert.equal(nums.length, nums[nums.length - 1]! + 1, `${name}: no line twice`);
      t.diagnostic(`${name}: ${nums.length} lines, none lost${name === 'rotated' ? ` (${rotations} rotated files)` : ''}`);
    }
    await ok(['stop', '-t', '2', 'echo']);

    // Remove everything: nothing of theirs may stay.
    const ids = (await ok(['ps', '-aq'])).split('\n').filter(Boolean);
    await ok(['rm', '-f', ...ids], 120_000);
    await until(() => processesNaming(d.execRoot).length === 0, 'monitors to exit', 15_000).catch(() => undefined);
    assert.deepEqual(processesNaming(d.execRoot), [], 'no conmon/runc left');
    // The netns directory itself is the daemon's (a shared mount kept for live-restore): once,
    // however many times the daemon started.
    const netnsDir = path.join(d.execRoot, 'netns');
    const mounts = mountsUnder(d.dataRoot, d.execRoot);
    assert.ok(mounts.filter((m) => m === netnsDir).length <= 1, `the netns directory mounted once: ${mounts.join(', ')}`);
    assert.deepEqual(mounts.filter((m) => m !== netnsDir), [], 'no mount left under the roots');
    await until(() => h.leftovers().length === 0, 'host veths to be freed', 10_000).catch(() => undefined);
    assert.deepEqual(h.leftovers(), [], 'no veth or DNAT rule left');
    assert.deepEqual(fs.existsSync(netnsDir) ? fs.readdirSync(netnsDir) : [], [], 'no netns left');
    // No runtime state of theirs: runc state dirs, bundles, exit files, pid files, sockets.
    const rt = path.join(d.execRoot, 'runtime');
    const rtLeft = ['runc', 'b', 'exits', 'pids', 's', 'persist'].flatMap((sub) => {
      try { return fs.readdirSync(path.join(rt, sub)).map((n) => `${sub}/${n}`); } catch { return []; }
    });
    assert.deepEqual(rtLeft, [], 'no runtime state left');
    assert.deepEqual(storeProblems(d.dataRoot), []);
    t.diagnostic(`figures: ${JSON.stringify(figures)}`);
  } finally {
    for (const p of attached) p.kill('SIGKILL');
    await h.close();
  }
});
