import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { InvalidArgumentError } from '../../src/common/errors.ts';
import {
  DEFAULT_CAPABILITIES, buildExecProcess, buildRlimits, buildRuntimeSpec, capabilityMask, daemonHardLimits,
  defaultSeccomp, maskedPaths, parseSecurityOpt, resolveCapabilities, resolveUser, validateSecurityOpt,
} from '../../src/oci/index.ts';
import { busyboxRootfsDir } from '../helpers/busybox-rootfs.ts';
import { sharedPath } from '../helpers/shared.ts';

/** From ../shared beside the repository, wherever it is checked out (test/helpers/shared.ts). */
const reference = JSON.parse(fs.readFileSync(sharedPath('specs', 'moby-default-seccomp.json'), 'utf8'));

test('default capabilities are docker\'s 14 (CapEff a80425fb)', () => {
  assert.equal(DEFAULT_CAPABILITIES.length, 14);
  assert.equal(capabilityMask(resolveCapabilities()), '00000000a80425fb');
});

test('cap-add/cap-drop: prefixes, case, ALL', () => {
  assert.ok(resolveCapabilities(['net_admin']).includes('CAP_NET_ADMIN'));
  assert.ok(resolveCapabilities(['CAP_SYS_ADMIN']).includes('CAP_SYS_ADMIN'));
  assert.ok(!resolveCapabilities([], ['chown']).includes('CAP_CHOWN'));
  assert.deepEqual(resolveCapabilities(['KILL'], ['ALL']), ['CAP_KILL']);
  const all = resolveCapabilities(['ALL'], ['NET_ADMIN']);
  assert.ok(all.length > 30 && !all.includes('CAP_NET_ADMIN'));
  assert.ok(resolveCapabilities([], [], true).length > 30);
});

test('unknown capability is a 400 with docker\'s wording', () => {
  assert.throws(() => resolveCapabilities(['CAP_NOPE']), (e: unknown) =>
    e instanceof InvalidArgumentError && e.message === 'invalid CapAdd: unknown capability: "CAP_NOPE"');
  assert.throws(() => resolveCapabilities([], ['nope']), /invalid CapDrop: unknown capability: "CAP_NOPE"/);
});

test('default seccomp: 361 unconditional names, defaultErrnoRet 1, x86 arches, cap-gated rules', () => {
  const s = defaultSeccomp(resolveCapabilities(), { arch: 'amd64', kernel: '6.1.0' });
  assert.equal(s.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(s.defaultErrnoRet, 1);
  assert.deepEqual(s.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  assert.deepEqual(s.syscalls![0]!.names, reference.syscalls[0].names);
  assert.equal(s.syscalls![0]!.names.length, 361);
  const allowed = new Set(s.syscalls!.filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args).flatMap((r) => r.names));
  assert.ok(!allowed.has('io_uring_setup'));
  assert.ok(!allowed.has('mount'), 'mount needs CAP_SYS_ADMIN');
  assert.ok(allowed.has('arch_prctl'), 'amd64-only rule selected');
  assert.ok(!allowed.has('sync_file_range2'), 'ppc64le-only rule dropped');
  // clone: the masked rule applies without SYS_ADMIN, clone3 gets ENOSYS
  assert.ok(s.syscalls!.some((r) => r.names.includes('clone') && r.args?.[0]?.op === 'SCMP_CMP_MASKED_EQ'));
  assert.ok(s.syscalls!.some((r) => r.names.includes('clone3') && r.errnoRet === 38));
  const admin = defaultSeccomp(resolveCapabilities(['SYS_ADMIN']), { arch: 'amd64', kernel: '6.1.0' });
  const adminAllowed = new Set(admin.syscalls!.flatMap((r) => r.names));
  assert.ok(adminAllowed.has('mount'));
  assert.ok(!admin.syscalls!.some((r) => r.names.includes('clone3') && r.errnoRet === 38));
  const old = defaultSeccomp(resolveCapabilities(), { arch: 'amd64', kernel: '4.4.0' });
  assert.equal(old.syscalls!.length, s.syscalls!.length - 1, 'minKernel 4.8 rule dropped on 4.4');
});

test('masked paths include moby HEAD additions', () => {
  const m = maskedPaths();
  for (const p of ['/proc/kcore', '/proc/interrupts', '/sys/devices/virtual/powercap', '/sys/firmware']) assert.ok(m.includes(p), p);
  assert.ok(m.some((p) => /cpu0\/thermal_throttle$/.test(p)));
});

test('resolveUser: names, uids, groups, supplementary groups (CVE-2022-36109)', async () => {
  const root = await busyboxRootfsDir();
  assert.deepEqual(resolveUser(root, ''), { uid: 0, gid: 0, additionalGids: [], home: '/root' });
  assert.deepEqual(resolveUser(root, 'u2'), { uid: 1001, gid: 1001, additionalGids: [2002], home: '/home/u2' });
  assert.deepEqual(resolveUser(root, '1001'), { uid: 1001, gid: 1001, additionalGids: [2002], home: '/home/u2' });
  assert.deepEqual(resolveUser(root, '1000'), { uid: 1000, gid: 1000, additionalGids: [], home: '/home/u1' });
  assert.deepEqual(resolveUser(root, '4242'), { uid: 4242, gid: 0, additionalGids: [], home: '/' });
  assert.deepEqual(resolveUser(root, 'u1:g2'), { uid: 1000, gid: 2002, additionalGids: [], home: '/home/u1' });
  assert.deepEqual(resolveUser(root, '5:7'), { uid: 5, gid: 7, additionalGids: [], home: '/' });
  assert.throws(() => resolveUser(root, 'nosuch'), /unable to find user nosuch: no matching entries in passwd file/);
  assert.throws(() => resolveUser(root, 'u1:nogrp'), /unable to find group nogrp/);
});

test('security-opt parsing', () => {
  assert.equal(parseSecurityOpt(['no-new-privileges']).noNewPrivileges, true);
  assert.equal(parseSecurityOpt(['no-new-privileges:false']).noNewPrivileges, false);
  assert.equal(parseSecurityOpt(['no-new-privileges=true']).noNewPrivileges, true);
  assert.equal(parseSecurityOpt(['seccomp=unconfined']).seccomp, 'unconfined');
  assert.equal(parseSecurityOpt(['apparmor=unconfined', 'label=disable']).seccomp, 'default');
  const custom = parseSecurityOpt([JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW' }).replace(/^/, 'seccomp=')]).seccomp;
  assert.deepEqual(custom, { defaultAction: 'SCMP_ACT_ALLOW' });
  assert.throws(() => validateSecurityOpt(['bogus']), (e: unknown) => e instanceof InvalidArgumentError && e.message === 'invalid --security-opt 1: "bogus"');
  assert.throws(() => validateSecurityOpt(['foo=bar']), /invalid --security-opt 2: "foo=bar"/);
  assert.throws(() => validateSecurityOpt(['no-new-privileges=maybe']), /invalid --security-opt 2/);
  assert.throws(() => validateSecurityOpt(['seccomp={bad']), InvalidArgumentError);
});

test('rlimits are clamped to the daemon hard limit', () => {
  const hard = daemonHardLimits('Max open files            1024                 20000                files     \n');
  assert.equal(hard.nofile, 20000);
  assert.deepEqual(buildRlimits([{ Name: 'nofile', Soft: 1048576, Hard: 1048576 }], hard), [{ type: 'RLIMIT_NOFILE', soft: 20000, hard: 20000 }]);
  assert.throws(() => buildRlimits([{ Name: 'nofile', Soft: 2048, Hard: 1024 }], hard), InvalidArgumentError);
  assert.throws(() => buildRlimits([{ Name: 'bogus', Soft: 1, Hard: 1 }], hard), InvalidArgumentError);
});

test('buildRuntimeSpec: defaults, privileged, init, resources, cwd validation', () => {
  const s = buildRuntimeSpec({ rootfs: '/r', args: ['sh'], hostname: 'abc', tty: true, cgroupsPath: '/wharf/x' });
  assert.deepEqual(s.process.env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNAME=abc', 'TERM=xterm']);
  assert.equal(s.process.noNewPrivileges, false);
  assert.ok(s.linux.seccomp);
  assert.ok(s.mounts.some((m) => m.destination === '/dev/shm' && m.options!.includes(`size=${64 * 1024 * 1024}`)));
  assert.ok(s.mounts.some((m) => m.destination === '/sys' && m.options!.includes('ro')));
  assert.ok(s.linux.readonlyPaths!.includes('/proc/sysrq-trigger'));
  assert.deepEqual(s.linux.resources!.devices![0], { allow: false, access: 'rwm' });
  assert.equal(s.linux.cgroupsPath, '/wharf/x');

  const p = buildRuntimeSpec({ rootfs: '/r', args: ['sh'], privileged: true, securityOpt: ['no-new-privileges'] });
  assert.equal(p.linux.seccomp, undefined);
  assert.deepEqual(p.linux.maskedPaths, []);
  assert.ok(p.mounts.some((m) => m.destination === '/sys' && m.options!.includes('rw')));
  assert.ok(p.linux.devices!.some((d) => d.path === '/dev/null'));
  assert.equal(p.process.noNewPrivileges, true);

  const i = buildRuntimeSpec({ rootfs: '/r', args: ['sleep', '1'], init: true, resources: { nanoCpus: 1.5e9, memory: 64 << 20, pidsLimit: 10 } });
  assert.deepEqual(i.process.args, ['/sbin/docker-init', '--', 'sleep', '1']);
  assert.ok(i.mounts.some((m) => m.destination === '/sbin/docker-init' && m.type === 'bind'));
  assert.deepEqual(i.linux.resources!.cpu, { period: 100000, quota: 150000 });
  assert.equal(i.linux.resources!.pids!.limit, 10);
  assert.equal(i.linux.resources!.memory!.limit, 64 << 20);

  assert.throws(() => buildRuntimeSpec({ rootfs: '/r', args: ['sh'], cwd: 'proc/self/fd/3' }), /needs to be an absolute path/);
  assert.equal(buildRuntimeSpec({ rootfs: '/r', args: ['sh'], cwd: '/a/../b/' }).process.cwd, '/b');
  assert.throws(() => buildRuntimeSpec({ rootfs: '/r', args: ['sh'], securityOpt: ['bogus'] }), InvalidArgumentError);
  const t = buildRuntimeSpec({ rootfs: '/r', args: ['sh'], tmpfs: { '/run': 'size=1m,exec' } });
  assert.deepEqual(t.mounts.at(-1), { destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'size=1m'] });

  const e = buildExecProcess(s, { args: ['id'], env: ['A=1', 'HOSTNAME=z'], tty: false, cwd: '/tmp' });
  assert.deepEqual(e.args, ['id']);
  assert.equal(e.cwd, '/tmp');
  assert.ok(e.env.includes('A=1') && e.env.includes('HOSTNAME=z') && !e.env.includes('HOSTNAME=abc'));
});
