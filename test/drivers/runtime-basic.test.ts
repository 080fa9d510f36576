/** Runtime driver (conmon + runc): lifecycle, logs, and the security defaults seen from inside. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NotFoundError } from '../../src/common/errors.ts';
import { ContainerStartError } from '../../src/drivers/runtime/contract.ts';
import { resolveUser } from '../../src/oci/index.ts';
import { busyboxRootfsTar } from '../helpers/busybox-rootfs.ts';
import { Harness } from './runtime-harness.ts';

let h: Harness;
before(async () => { h = await new Harness().init(); });
after(async () => { await h.cleanup(); });

const capLine = (out: string, name: string) => new RegExp(`^${name}:\\s*(\\S+)`, 'm').exec(out)?.[1];

test('true exits 0 and leaves no runtime state after delete', async () => {
  const r = await h.run(['true']);
  assert.equal(r.exitCode, 0);
  assert.equal(r.oomKilled, false);
  assert.ok(r.exitedAt instanceof Date);
  await assert.rejects(h.rt.state(r.id), NotFoundError);
});

test('exit code and log lines split by stream', async () => {
  const r = await h.run(['sh', '-c', 'echo out; echo err >&2; printf no-newline; exit 3']);
  assert.equal(r.exitCode, 3);
  assert.equal(r.stdout, 'out\nno-newline');
  assert.equal(r.stderr, 'err\n');
});

test('create reports state created with the init pid; missing executable is ContainerStartError 127', async () => {
  const id = h.newId();
  const { pid } = await h.rt.create(id, { spec: h.spec(id, ['true']) });
  assert.deepEqual(await h.rt.state(id), { id, status: 'created', pid });
  await h.rt.delete(id);
  const bad = h.newId();
  await assert.rejects(h.rt.create(bad, { spec: h.spec(bad, ['nosuch']) }), (e: unknown) =>
    e instanceof ContainerStartError && e.containerExitCode === 127 && e.status === 400 &&
    e.message.includes('exec: "nosuch": executable file not found in $PATH'));
  await assert.rejects(h.rt.state(bad), NotFoundError);
});

test('default capabilities: CapEff = CapPrm = CapBnd = a80425fb', async () => {
  const r = await h.run(['grep', 'Cap', '/proc/self/status']);
  for (const k of ['CapPrm', 'CapEff', 'CapBnd']) assert.equal(capLine(r.stdout, k), '00000000a80425fb', k);
  assert.equal(capLine(r.stdout, 'CapInh'), '0000000000000000');
  assert.equal(capLine(r.stdout, 'CapAmb'), '0000000000000000');
});

test('--user 1000 has no effective caps; u2 gets supplementary group g2', async () => {
  const r = await h.run(['grep', 'Cap', '/proc/self/status'], { user: resolveUser(h.rootfs, '1000') });
  assert.equal(capLine(r.stdout, 'CapEff'), '0000000000000000');
  assert.equal(capLine(r.stdout, 'CapPrm'), '0000000000000000');
  assert.equal(capLine(r.stdout, 'CapBnd'), '00000000a80425fb');
  const g = await h.run(['id', '-G'], { user: resolveUser(h.rootfs, 'u2') });
  assert.deepEqual(g.stdout.trim().split(' ').sort(), ['1001', '2002']);
});

test('seccomp mode 2 and no-new-privileges off by default, on with the security-opt', async () => {
  const r = await h.run(['grep', '-E', 'Seccomp:|NoNewPrivs:', '/proc/self/status']);
  assert.equal(capLine(r.stdout, 'Seccomp'), '2');
  assert.equal(capLine(r.stdout, 'NoNewPrivs'), '0');
  const n = await h.run(['grep', 'NoNewPrivs:', '/proc/self/status'], { securityOpt: ['no-new-privileges'] });
  assert.equal(capLine(n.stdout, 'NoNewPrivs'), '1');
});

test('masked and read-only paths', async () => {
  // /proc/kcore does not exist on every kernel (not on this VM): masked means 0 bytes or absent.
  const r = await h.run(['sh', '-c', 'wc -c < /proc/interrupts; [ -e /proc/kcore ] && wc -c < /proc/kcore || echo 0; ls -A /proc/acpi | wc -l; cat /proc/self/mounts']);
  const [interrupts, kcore, acpi] = r.stdout.split('\n').map((s) => s.trim());
  assert.deepEqual([interrupts, kcore, acpi], ['0', '0', '0']);
  const mounts = r.stdout.split('\n').map((l) => l.split(' '));
  for (const p of ['/proc/sys', '/proc/bus', '/proc/fs', '/proc/irq']) {
    const m = mounts.find((f) => f[1] === p);
    assert.ok(m && m[3]!.startsWith('ro,'), `${p} read-only`);
  }
  assert.ok(mounts.some((f) => f[1] === '/proc/acpi' && f[2] === 'tmpfs' && f[3]!.startsWith('ro')));
});

test('privileged operations are refused; --privileged allows mount', async () => {
  const m = await h.run(['mount', '-t', 'tmpfs', 'none', '/tmp']);
  assert.notEqual(m.exitCode, 0);
  const hn = await h.run(['hostname', 'x']);
  assert.notEqual(hn.exitCode, 0);
  const p = await h.run(['sh', '-c', 'mount -t tmpfs none /tmp && grep -c " /tmp tmpfs" /proc/self/mounts'], { privileged: true });
  assert.equal(p.exitCode, 0, p.stderr);
  assert.equal(p.stdout.trim(), '1');
});

test('devices: mknod succeeds but opening the node is EPERM', async () => {
  const r = await h.run(['sh', '-c', 'mknod /tmp/b b 8 0 && echo made && head -c1 /tmp/b'], { tmpfs: { '/tmp': 'size=1m,dev' } });
  assert.match(r.stdout, /made/);
  assert.notEqual(r.exitCode, 0);
  assert.match(r.stderr, /Operation not permitted/);
  const l = await h.run(['ls', '/dev']);
  assert.deepEqual(l.stdout.trim().split(/\s+/).sort(),
    ['fd', 'full', 'mqueue', 'null', 'ptmx', 'pts', 'random', 'shm', 'stderr', 'stdin', 'stdout', 'tty', 'urandom', 'zero']);
});

test('WORKDIR /proc/self/fd/N never yields a host listing (CVE-2024-21626)', async () => {
  for (const n of [3, 4, 5, 6, 7, 8]) {
    const id = h.newId();
    let out = '';
    try {
      await h.rt.create(id, { spec: h.spec(id, ['ls', '..'], { cwd: `/proc/self/fd/${n}` }), logPath: h.logPath(id) });
      const exited = h.rt.waitExit(id);
      await h.rt.start(id);
      const e = await exited;
      out = (await h.logs(id)).stdout;
      assert.notEqual(e.exitCode, 0, `fd ${n}: ${out}`);
    } catch (err) {
      assert.ok(err instanceof Error);
    }
    assert.doesNotMatch(out, /\bbin\b.*\bboot\b|\bwharf-rt-/s);
    await h.rt.delete(id, true).catch(() => undefined);
  }
});

test('kill with SIGKILL gives 137; pause and resume', async () => {
  const id = h.newId();
  await h.rt.create(id, { spec: h.spec(id, ['sleep', '100']) });
  const exited = h.rt.waitExit(id);
  await h.rt.start(id);
  await h.rt.pause(id);
  assert.equal((await h.rt.state(id)).status, 'paused');
  await h.rt.resume(id);
  assert.equal((await h.rt.state(id)).status, 'running');
  assert.ok((await h.rt.list()).some((c) => c.id === id && c.status === 'running'));
  await h.rt.kill(id, 'SIGKILL');
  assert.equal((await exited).exitCode, 137);
  assert.equal((await h.rt.state(id)).status, 'stopped');
  await assert.rejects(h.rt.kill(id, 15), (e: unknown) => (e as { status?: number }).status === 409);
  await assert.rejects(h.rt.resize(id, 10, 10), (e: unknown) => (e as { status?: number }).status === 409);
  await assert.rejects(h.rt.exec(id, `${id}-x`, { args: ['true'], env: [], cwd: '/', user: { uid: 0, gid: 0 } }),
    (e: unknown) => (e as { status?: number }).status === 409);
  await h.rt.delete(id);
});

test('delete of a running container needs force', async () => {
  const id = h.newId();
  await h.rt.create(id, { spec: h.spec(id, ['sleep', '100']) });
  await h.rt.start(id);
  await assert.rejects(h.rt.delete(id), (e: unknown) => (e as { status?: number }).status === 409);
  await h.rt.delete(id, true);
  await assert.rejects(h.rt.state(id), NotFoundError);
});

test('version reports runc and conmon with the CVE warning for old runc', async () => {
  const v = await h.rt.version();
  assert.match(v.runcVersion, /^\d+\.\d+\.\d+/);
  assert.match(v.conmonVersion, /^\d+\.\d+/);
  if (/^1\.1\./.test(v.runcVersion)) {
    assert.equal(v.warnings.length, 1);
    for (const cve of ['CVE-2024-21626', 'CVE-2025-31133', 'CVE-2025-52565', 'CVE-2025-52881']) assert.ok(v.warnings[0]!.includes(cve), cve);
  }
});

test('a file that is not executable is ContainerStartError 126', async () => {
  const id = h.newId();
  await assert.rejects(h.rt.create(id, { spec: h.spec(id, ['/etc/passwd']) }), (e: unknown) =>
    e instanceof ContainerStartError && e.containerExitCode === 126 && /permission denied/.test(e.message));
});

test('--init runs the command under docker-init (own rootfs copy: runc adds the mount point)', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-rt-rootfs-'));
  try {
    execFileSync('cp', ['-a', `${h.rootfs}/.`, root]);
    const r = await h.run(['sh', '-c', 'tr "\\0" " " < /proc/1/cmdline; echo; echo pid=$$'], { rootfs: root, init: true });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /^\/sbin\/docker-init -- sh -c/m);
    assert.doesNotMatch(r.stdout, /^pid=1$/m);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('busybox rootfs tar holds the same tree', async () => {
  const list = execFileSync('tar', ['-tf', await busyboxRootfsTar()], { encoding: 'utf8' }).split('\n');
  for (const e of ['./bin/busybox', './bin/sh', './etc/passwd', './etc/group', './tmp/', './proc/']) assert.ok(list.includes(e), e);
});
