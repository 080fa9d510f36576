/**
 * Nothing lost on a crash (issue #13): wharfd is killed with SIGKILL at a random point of
 * `load` (a multi-layer archive), `commit`, `build` (COPY and RUN steps), `rm -fv` of a running
 * container with volumes, a network and a published port, `volume rm`, `network rm`, `pull`
 * and `push` (our registry on 127.0.0.1), and also `rmi` and `run -d`. The test drives the
 * timing: each operation is timed once, then started again and the daemon killed after a
 * delay drawn from a seeded RNG within that time
 * (`WHARF_CRASH_SEED` replays a run). After each crash the daemon starts again and:
 *   - the store is consistent (store-check.ts: metadata.db against the blobs, layers,
 *     snapshots, container and volume directories; no orphan build container)
 *   - temp files (content/tmp, build contexts, driver work dirs) are gone
 *   - the same operation succeeds when run again (or had completed before the kill)
 * Fast mode: one crash per operation; soak (WHARF_SOAK=1): eight.
 * images-crash.test.ts keeps the fixed "80 % of the load streamed" case.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startNetDaemon, until, type NetHarness } from '../integration/networking-harness.ts';
import { createRegistryServer, type RegistryServer } from '../../src/registry/server/index.ts';
import type { CliResult } from '../helpers/daemon.ts';
import { scaled } from './mode.ts';
import { seededRng, sleep } from './crash-rng.ts';
import { storeProblems, tempLeftovers } from './store-check.ts';

const CRASHES = scaled({ fast: 1, soak: 8 });

interface CrashCase {
  name: string;
  /** State the operation needs (attempt n). */
  prepare(n: number): Promise<void>;
  /** The operation, through the docker CLI. */
  op(n: number): Promise<CliResult>;
  /** Whether the operation had finished before the kill (then it is not run again). */
  finished?(n: number): Promise<boolean>;
  /** Checks after the crash and restart, before the operation runs again. */
  afterCrash?(n: number): Promise<void>;
  /** Checks after the operation succeeded. */
  afterSuccess?(n: number): Promise<void>;
  /** Puts things back for the next attempt. */
  undo(n: number): Promise<void>;
}

function mountsUnder(dir: string): string[] {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((m): m is string => !!m && m.startsWith(dir));
}

test('kill -9 at random points of load, rmi, commit, build, rm, run, volume rm, network rm, pull and push loses nothing', async (t) => {
  const rng = seededRng();
  t.diagnostic(`seed ${rng.seed} (WHARF_CRASH_SEED=${rng.seed} replays it)`);
  const h: NetHarness = await startNetDaemon();
  const d = h.d;
  const registries: RegistryServer[] = [];
  const regDirs: string[] = [];
  const stats = { crashes: 0, inFlight: 0, cases: {} as Record<string, string[]> };
  const ok = (args: string[], timeoutMs = 120_000) => h.ok(args, timeoutMs);
  const docker = (args: string[], env?: Record<string, string>) => d.docker(args, { timeoutMs: 180_000, env });
  const exists = async (kind: string, name: string) => (await d.docker([kind, 'inspect', name])).code === 0;
  async function newRegistry(): Promise<string> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-crash-reg-'));
    regDirs.push(dir);
    const r = createRegistryServer({ root: dir });
    registries.push(r);
    const { port } = await r.listen(0, '127.0.0.1');
    return `127.0.0.1:${port}`;
  }

  try {
    // A multi-layer image (three COPY layers of 3 MiB of random bytes), saved to an archive.
    const ctx = path.join(d.dir, 'multi');
    fs.mkdirSync(ctx);
    for (const f of ['f1', 'f2', 'f3']) fs.writeFileSync(path.join(ctx, f), crypto.randomBytes(3 << 20));
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM busybox\nCOPY f1 /f1\nCOPY f2 /f2\nCOPY f3 /f3\nCMD ["sh"]\n');
    await ok(['build', '-q', '-t', 'crash/multi:1', ctx]);
    const archive = path.join(d.dir, 'multi.tar');
    await ok(['save', '-o', archive, 'crash/multi:1']);
    await ok(['rmi', 'crash/multi:1']);

    // Build context: COPY and RUN steps, each some MB.
    const bctx = path.join(d.dir, 'bctx');
    fs.mkdirSync(bctx);
    for (const f of ['a', 'b']) fs.writeFileSync(path.join(bctx, f), crypto.randomBytes(2 << 20));
    fs.writeFileSync(path.join(bctx, 'Dockerfile'), 'FROM busybox\nCOPY a /a\nRUN dd if=/dev/urandom of=/r bs=1M count=4 2>/dev/null && echo ran > /ran\nCOPY b /b\nRUN cat /a /b /r | md5sum > /sum\nCMD ["cat", "/sum"]\n');

    // A running container with files in its writable layer, for commit (which pauses it).
    await ok(['run', '-d', '--name', 'cmt-src', '--network', 'none', 'busybox', 'sh', '-c',
      'dd if=/dev/urandom of=/big bs=1M count=6 2>/dev/null; mkdir /d; i=0; while [ $i -lt 300 ]; do echo $i > /d/$i; i=$((i+1)); done; touch /ready; exec sleep 3600']);
    const known = new Set([await ok(['inspect', '-f', '{{.Id}}', 'cmt-src'])]);
    const waitReady = async (name: string) => {
      for (let i = 0; i < 200; i++) {
        if ((await d.docker(['exec', name, 'test', '-f', '/ready'])).code === 0) return;
        await sleep(100);
      }
      throw new Error(`${name} never got ready`);
    };
    await waitReady('cmt-src');

    let pullRef = '';
    let pushReg = '';
    const nets = new Map<number, string>();
    const rmIds = new Map<number, string>();

    const cases: CrashCase[] = [
      {
        name: 'load',
        prepare: async () => { await d.docker(['rmi', 'crash/multi:1']); },
        op: () => docker(['load', '-i', archive]),
        afterSuccess: async () => { assert.match(await ok(['run', '--rm', 'crash/multi:1', 'sh', '-c', 'cat /f1 /f2 /f3 | wc -c']), /9437184/); },
        undo: async () => { await ok(['rmi', 'crash/multi:1']); },
      },
      {
        // Not in the list: the other half of load (rows deleted, layers released).
        name: 'rmi',
        prepare: async () => { if (!(await exists('image', 'crash/multi:1'))) await ok(['load', '-i', archive]); },
        op: () => docker(['rmi', 'crash/multi:1']),
        finished: async () => !(await exists('image', 'crash/multi:1')),
        undo: async () => {},
      },
      {
        name: 'commit',
        prepare: async () => {},
        op: (n) => docker(['commit', 'cmt-src', `crash/commit:${n}`]),
        afterCrash: async () => {
          // The source container is running and usable: a kill during commit's pause thaws it.
          const st = JSON.parse(await ok(['inspect', '-f', '{{json .State}}', 'cmt-src']));
          assert.equal(st.Running, true);
          assert.equal(st.Paused, false, 'not left paused by the commit');
          await ok(['exec', 'cmt-src', 'true'], 10_000);
        },
        afterSuccess: async (n) => { assert.equal(await ok(['run', '--rm', `crash/commit:${n}`, 'cat', '/d/299']), '299'); },
        undo: async (n) => { await ok(['rmi', `crash/commit:${n}`]); },
      },
      {
        name: 'build',
        prepare: async () => {},
        op: (n) => docker(['build', '--no-cache', '-t', `crash/build:${n}`, bctx], { DOCKER_BUILDKIT: '0' }),
        afterCrash: async () => {
          const ids = (await ok(['ps', '-aq', '--no-trunc'])).split('\n').filter(Boolean);
          assert.deepEqual(ids.filter((id) => !known.has(id)), [], 'no build container outlives the daemon');
        },
        afterSuccess: async (n) => { assert.match(await ok(['run', '--rm', `crash/build:${n}`]), /^[0-9a-f]{32}/); },
        undo: async (n) => { await ok(['rmi', `crash/build:${n}`]); },
      },
      {
        name: 'rm -fv of a running container',
        prepare: async (n) => {
          await ok(['volume', 'create', `rmvol-${n}`]);
          await ok(['run', '-d', '--name', `rm-${n}`, '-p', '80', '-v', `rmvol-${n}:/named`, '-v', '/anon', 'busybox', 'sh', '-c',
            'mkdir /d; i=0; while [ $i -lt 1500 ]; do echo $i > /d/$i; echo $i > /anon/$i; i=$((i+1)); done; touch /ready; exec sleep 3600']);
          await waitReady(`rm-${n}`);
          rmIds.set(n, await ok(['inspect', '-f', '{{.Id}}', `rm-${n}`]));
        },
        op: (n) => docker(['rm', '-fv', `rm-${n}`]),
        finished: async (n) => !(await exists('container', `rm-${n}`)),
        afterSuccess: async (n) => {
          // The kernel frees a veth asynchronously after its netns goes.
          await until(() => h.leftovers().length === 0, 'host veths to be freed', 10_000).catch(() => undefined);
          assert.deepEqual(h.leftovers(), [], 'no veth or DNAT rule left');
          assert.deepEqual(mountsUnder(d.dir).filter((m) => m.includes(rmIds.get(n)!)), [], 'no mount of the container left');
          // The named volume is free again; no anonymous volume is left behind.
          await ok(['volume', 'rm', `rmvol-${n}`]);
          const vols = (await ok(['volume', 'ls', '-q'])).split('\n').filter(Boolean);
          assert.deepEqual(vols.filter((v) => !v.startsWith('rmvol-') && !v.startsWith('vrm-')), [], 'anonymous volume removed with -v');
        },
        undo: async () => {},
      },
      {
        // Not in the list, but the same rules: a start cut short leaves nothing half set up.
        name: 'run -d (create and start)',
        prepare: async () => {},
        op: (n) => docker(['run', '-d', '--name', `run-${n}`, '-p', '80', '-v', '/anon', 'busybox', 'sleep', '3600']),
        finished: async (n) => exists('container', `run-${n}`),
        afterSuccess: async (n) => {
          // Created (or running) whole: it starts and runs commands.
          await ok(['start', `run-${n}`]);
          await ok(['exec', `run-${n}`, 'true'], 10_000);
          const id = await ok(['inspect', '-f', '{{.Id}}', `run-${n}`]);
          await ok(['rm', '-fv', `run-${n}`]);
          await until(() => h.leftovers().length === 0, 'host veths to be freed', 10_000).catch(() => undefined);
          assert.deepEqual(h.leftovers(), [], 'no veth or DNAT rule left');
          assert.deepEqual(mountsUnder(d.dir).filter((m) => m.includes(id)), [], 'no mount of the container left');
          const netns = path.join(d.execRoot, 'netns');
          assert.deepEqual(fs.existsSync(netns) ? fs.readdirSync(netns) : [], [], 'no netns left');
        },
        undo: async () => {},
      },
      {
        name: 'volume rm',
        prepare: async (n) => {
          await ok(['volume', 'create', `vrm-${n}`]);
          await ok(['run', '--rm', '-v', `vrm-${n}:/v`, 'busybox', 'sh', '-c', 'dd if=/dev/urandom of=/v/big bs=1M count=4 2>/dev/null; mkdir /v/d; i=0; while [ $i -lt 3000 ]; do echo $i > /v/d/$i; i=$((i+1)); done']);
        },
        op: (n) => docker(['volume', 'rm', `vrm-${n}`]),
        finished: async (n) => !(await exists('volume', `vrm-${n}`)),
        afterCrash: async (n) => {
          // Either gone or whole: a volume still listed still has its data.
          if (await exists('volume', `vrm-${n}`)) {
            const mp = await ok(['volume', 'inspect', '-f', '{{.Mountpoint}}', `vrm-${n}`]);
            assert.ok(fs.existsSync(mp), 'a listed volume has its directory');
            assert.equal(fs.readdirSync(path.join(mp, 'd')).length, 3000, 'a listed volume has all its files');
            assert.equal(fs.statSync(path.join(mp, 'big')).size, 4 << 20, 'a listed volume has all its data');
          }
        },
        undo: async () => {},
      },
      {
        name: 'network rm',
        prepare: async (n) => { nets.set(n, await ok(['network', 'create', '--subnet', h.subnet(), `nrm-${n}`])); },
        op: (n) => docker(['network', 'rm', `nrm-${n}`]),
        finished: async (n) => !(await exists('network', `nrm-${n}`)),
        afterSuccess: async (n) => {
          const br = `br-${nets.get(n)!.slice(0, 12)}`;
          assert.equal(execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' }).includes(br), false, `${br} removed`);
          assert.deepEqual(execFileSync('iptables-save', { encoding: 'utf8' }).split('\n').filter((l) => l.includes(br)), [], `no rule for ${br}`);
          // the name can be used again
          await ok(['network', 'create', '--subnet', h.subnet(), `nrm-${n}`]);
          await ok(['network', 'rm', `nrm-${n}`]);
        },
        undo: async () => {},
      },
      {
        name: 'pull',
        prepare: async (n) => {
          if (!pullRef) {
            pullRef = `${await newRegistry()}/crash/pull:1`;
            await ok(['load', '-i', archive]);
            await ok(['tag', 'crash/multi:1', pullRef]);
            await ok(['push', pullRef]);
            await ok(['rmi', 'crash/multi:1']);
          }
          void n;
          await d.docker(['rmi', pullRef]);
        },
        op: () => docker(['pull', pullRef]),
        afterSuccess: async () => { assert.match(await ok(['run', '--rm', pullRef, 'sh', '-c', 'cat /f1 /f2 /f3 | wc -c']), /9437184/); },
        undo: async () => { await ok(['rmi', pullRef]); },
      },
      {
        name: 'push',
        prepare: async () => {
          pushReg = await newRegistry();
          if (!(await exists('image', 'crash/multi:1'))) await ok(['load', '-i', archive]);
          await ok(['tag', 'crash/multi:1', `${pushReg}/crash/push:1`]);
        },
        op: () => docker(['push', `${pushReg}/crash/push:1`]),
        afterSuccess: async () => {
          // What was pushed pulls back whole.
          await ok(['rmi', `${pushReg}/crash/push:1`, 'crash/multi:1']);
          await ok(['pull', `${pushReg}/crash/push:1`]);
          assert.match(await ok(['run', '--rm', `${pushReg}/crash/push:1`, 'sh', '-c', 'cat /f1 /f2 /f3 | wc -c']), /9437184/);
        },
        undo: async () => { await ok(['rmi', `${pushReg}/crash/push:1`]); },
      },
    ];

    const checkStore = (when: string) => {
      assert.deepEqual(storeProblems(d.dataRoot), [], `store consistent ${when}`);
    };

    for (const c of cases) {
      stats.cases[c.name] = [];
      // Time the operation once (it must work), then crash it at random points.
      await c.prepare(0);
      const t0 = Date.now();
      const first = await c.op(0);
      const dur = Date.now() - t0;
      assert.equal(first.code, 0, `${c.name}: ${first.stderr}${first.stdout}`);
      await c.afterSuccess?.(0);
      await c.undo(0);
      checkStore(`after ${c.name}`);
      for (let n = 1; n <= CRASHES; n++) {
        await c.prepare(n);
        const delay = Math.round(rng.next() * dur);
        let done = false;
        const p = c.op(n).then((r) => { done = true; return r; });
        await sleep(delay);
        const wasDone = done;
        await d.kill9();
        stats.crashes++;
        if (!wasDone) stats.inFlight++;
        await p;
        await d.restart();
        const where = `${c.name} killed after ${delay}/${dur} ms${wasDone ? ' (had finished)' : ''}`;
        stats.cases[c.name]!.push(`${delay}/${dur}`);
        assert.deepEqual(tempLeftovers(d.dataRoot), [], `${where}: temp files removed at start`);
        checkStore(`after restart (${where})`);
        await c.afterCrash?.(n);
        if (!(c.finished && await c.finished(n))) {
          const again = await c.op(n);
          assert.equal(again.code, 0, `${where}: run again: ${again.stderr}${again.stdout}`);
        }
        await c.afterSuccess?.(n);
        checkStore(`after ${c.name} ran again (${where})`);
        await c.undo(n);
      }
    }
    t.diagnostic(`crashes injected: ${stats.crashes} (${stats.inFlight} with the operation in flight); ${JSON.stringify(stats.cases)}`);
  } finally {
    await h.close();
    for (const r of registries) await r.close().catch(() => undefined);
    for (const dir of regDirs) fs.rmSync(dir, { recursive: true, force: true });
  }
});
