/**
 * The driver-independent part of the RuntimeDriver contract (src/drivers/runtime/contract.ts):
 * lifecycle states, exit codes, signals, errors by class and status, attach, exec, restore.
 * Run against every implementation: runc (runtime-contract-runc.test.ts, root) and the fake of
 * the engine's unit tests (runtime-contract-fake.test.ts). What only runc can show (caps,
 * seccomp, masked paths, cgroups) stays in runtime-basic.test.ts and its neighbours.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { NotFoundError } from '../../src/common/errors.ts';
import { ContainerStartError, type RuntimeDriver } from '../../src/drivers/runtime/contract.ts';
import type { RuntimeSpec } from '../../src/oci/index.ts';

/** What the suite needs of an implementation (runtime-harness.ts's Harness has this shape). */
export interface RuntimeSubject {
  readonly rt: RuntimeDriver;
  newId(): string;
  spec(id: string, args: string[]): RuntimeSpec;
  logPath(id: string): string;
  cleanup(): Promise<void>;
}

async function readAll(stream: Readable): Promise<string> {
  let text = '';
  for await (const c of stream) text += (c as Buffer).toString();
  return text;
}

const status = (code: number) => (e: unknown) => (e as { status?: number }).status === code;

export function runtimeContract(name: string, setup: () => Promise<RuntimeSubject>): void {
  describe(`runtime driver contract: ${name}`, () => {
    let s: RuntimeSubject;
    before(async () => { s = await setup(); });
    after(async () => { await s.cleanup(); });

    test('created → running ⇄ paused → stopped (SIGKILL: 137); then every action is 409; delete forgets it', async () => {
      const { rt } = s;
      const id = s.newId();
      const { pid } = await rt.create(id, { spec: s.spec(id, ['sleep', '100']) });
      assert.ok(pid > 0);
      assert.deepEqual(await rt.state(id), { id, status: 'created', pid });
      const exited = rt.waitExit(id);
      await rt.start(id);
      assert.deepEqual(await rt.state(id), { id, status: 'running', pid });
      assert.ok((await rt.list()).some((c) => c.id === id && c.status === 'running' && c.pid === pid));
      await rt.pause(id);
      assert.equal((await rt.state(id)).status, 'paused');
      await rt.resume(id);
      assert.equal((await rt.state(id)).status, 'running');
      await rt.kill(id, 'SIGKILL');
      const info = await exited;
      assert.equal(info.exitCode, 137);
      assert.equal(info.oomKilled, false);
      assert.ok(info.exitedAt instanceof Date);
      assert.deepEqual(await rt.state(id), { id, status: 'stopped', pid: 0 });
      await assert.rejects(rt.kill(id, 15), status(409));
      await assert.rejects(rt.pause(id), status(409));
      await assert.rejects(rt.resize(id, 10, 10), status(409));
      await assert.rejects(rt.exec(id, `${id}-x`, { args: ['true'], env: [], cwd: '/', user: { uid: 0, gid: 0 } }), status(409));
      await assert.rejects(rt.attach(id), status(409));
      await rt.delete(id);
      await assert.rejects(rt.state(id), NotFoundError);
      assert.ok(!(await rt.list()).some((c) => c.id === id));
    });

    test('the process\'s own exit code; waitExit answers the same to every caller', async () => {
      const { rt } = s;
      const id = s.newId();
      await rt.create(id, { spec: s.spec(id, ['sh', '-c', 'exit 3']), logPath: s.logPath(id) });
      const exited = rt.waitExit(id);
      await rt.start(id);
      assert.equal((await exited).exitCode, 3);
      assert.equal((await rt.waitExit(id)).exitCode, 3);
      await rt.delete(id);
    });

    test('a missing executable: ContainerStartError 400 with exit code 127; nothing left', async () => {
      const id = s.newId();
      await assert.rejects(s.rt.create(id, { spec: s.spec(id, ['nosuch']) }), (e: unknown) =>
        e instanceof ContainerStartError && e.containerExitCode === 127 && e.status === 400 &&
        e.message.includes('exec: "nosuch": executable file not found in $PATH'));
      await assert.rejects(s.rt.state(id), NotFoundError);
    });

    test('delete of a running container needs force; an unknown id is 404 for state and restore', async () => {
      const { rt } = s;
      const id = s.newId();
      await rt.create(id, { spec: s.spec(id, ['sleep', '100']) });
      await rt.start(id);
      await assert.rejects(rt.delete(id), status(409));
      assert.equal((await rt.state(id)).status, 'running');
      await rt.delete(id, true);
      await assert.rejects(rt.state(id), NotFoundError);
      await assert.rejects(rt.restore(id), NotFoundError);
    });

    test('attach before start gets stdout and stderr apart; closed after the exit; the log has them too', async () => {
      const { rt } = s;
      const id = s.newId();
      await rt.create(id, { spec: s.spec(id, ['sh', '-c', 'echo out; echo err >&2']), logPath: s.logPath(id) });
      const a = await rt.attach(id);
      const exited = rt.waitExit(id);
      const [out, err] = [readAll(a.stdout), readAll(a.stderr)];
      await rt.start(id);
      assert.equal((await exited).exitCode, 0);
      assert.equal(await out, 'out\n');
      assert.equal(await err, 'err\n');
      await a.closed;
      const log = fs.readFileSync(s.logPath(id), 'utf8');
      assert.match(log, /^\S+ stdout F out$/m);
      assert.match(log, /^\S+ stderr F err$/m);
      await rt.delete(id);
    });

    test('exec in a running container: attached output and its exit code', async () => {
      const { rt } = s;
      const id = s.newId();
      await rt.create(id, { spec: s.spec(id, ['sleep', '100']) });
      await rt.start(id);
      const ex = await rt.exec(id, `${id}-e`, { args: ['sh', '-c', 'echo e; exit 4'], env: ['PATH=/bin'], cwd: '/', user: { uid: 0, gid: 0 } }, { attach: true });
      assert.ok(ex.pid > 0);
      const out = readAll(ex.attach!.stdout);
      assert.equal(await ex.exit, 4);
      assert.equal(await out, 'e\n');
      await assert.rejects(rt.exec(id, `${id}-n`, { args: ['nosuch'], env: [], cwd: '/', user: { uid: 0, gid: 0 } }), (e: unknown) =>
        e instanceof ContainerStartError && e.containerExitCode === 127);
      await rt.delete(id, true);
    });

    test('restore of a running container: status, pid, a live monitor', async () => {
      const { rt } = s;
      const id = s.newId();
      const { pid } = await rt.create(id, { spec: s.spec(id, ['sleep', '100']) });
      await rt.start(id);
      assert.deepEqual(await rt.restore(id), { status: 'running', pid, monitorAlive: true });
      await rt.kill(id, 9);
      await rt.waitExit(id);
      await rt.delete(id);
    });

    test('mountRootfs: the snapshot\'s Mount[] at rootfsPath(id), idempotent; unmountRootfs and delete undo it', async () => {
      const { rt } = s;
      const id = s.newId();
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-rtroot-'));
      const [a, b] = ['a', 'b'].map((n) => { const d = path.join(tmp, n); fs.mkdirSync(d); fs.writeFileSync(path.join(d, 'which'), n); return d; });
      const bind = (source: string) => [{ type: 'bind', source, options: ['rbind', 'rw'] }];
      try {
        const root = await rt.mountRootfs(id, bind(a!));
        assert.equal(root, rt.rootfsPath(id));
        assert.equal(fs.readFileSync(path.join(root, 'which'), 'utf8'), 'a');
        assert.equal(await rt.mountRootfs(id, bind(a!)), root, 'idempotent');
        await rt.unmountRootfs(id);
        await rt.unmountRootfs(id);
        assert.equal(fs.readFileSync(path.join(await rt.mountRootfs(id, bind(b!)), 'which'), 'utf8'), 'b', 'mounted again from the new Mount[]');
        await rt.delete(id);
        assert.equal(fs.readFileSync(path.join(await rt.mountRootfs(id, bind(a!)), 'which'), 'utf8'), 'a', 'delete unmounted it');
        await rt.delete(id);
      } finally {
        await rt.unmountRootfs(id);
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    });

    test('version names the runtime and lists warnings', async () => {
      const v = await s.rt.version();
      assert.ok(v.runcVersion && v.specVersion && v.conmonVersion);
      assert.ok(Array.isArray(v.warnings));
    });
  });
}
