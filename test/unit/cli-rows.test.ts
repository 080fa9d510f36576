import { test } from 'node:test';
import assert from 'node:assert/strict';
import { displayPorts, ellipsis, goQuote, psRow, psDefaultFormat, PS_HEADERS } from '../../src/cli/container-rows.ts';
import { historyRows, imageRows, imagesDefaultFormat, IMAGE_HEADERS } from '../../src/cli/image-rows.ts';
import { cpuPercent, memUsage, statsRow } from '../../src/cli/stats-rows.ts';
import { formatList } from '../../src/cli/format.ts';
import { dfRows } from '../../src/cli/commands/system.ts';

const NOW = 1_700_000_000_000;
const ID = 'a'.repeat(64);

test('ps: command quoted and truncated to 20, names, ports, size', () => {
  const r = psRow({
    Id: ID, Names: ['/web', '/other/link'], Image: 'busybox', Command: "sh -c 'while true; do sleep 1; done'", Created: NOW / 1000 - 120,
    Ports: [{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }], State: 'running', Status: 'Up 2 minutes', SizeRw: 0, SizeRootFs: 4_260_000,
  }, true, NOW);
  assert.equal(r.ID, 'a'.repeat(12));
  assert.equal(r.Command, `"sh -c 'while true; …"`); // 19 characters + …, as docker's "/docker-entrypoint.…"
  assert.equal(r.Names, 'web');
  assert.equal(r.Ports, '0.0.0.0:8080->80/tcp');
  assert.equal(r.RunningFor, '2 minutes ago');
  assert.equal(r.Size, '0B (virtual 4.26MB)');
  assert.equal(psRow({ Id: ID, Image: 'x', Command: 'a"b', Created: 0, State: '', Status: '' }, false).Command, '"a\\"b"');
  const out = formatList(undefined, psDefaultFormat(false), [r], PS_HEADERS);
  assert.match(out.split('\n')[0]!, /^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES$/);
});

test('ports grouping like docker', () => {
  assert.equal(displayPorts([{ PrivatePort: 80, Type: 'tcp' }, { PrivatePort: 81, Type: 'tcp' }, { PrivatePort: 82, Type: 'tcp' }, { PrivatePort: 53, Type: 'udp' }]), '53/udp, 80-82/tcp');
  assert.equal(displayPorts([{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 80, Type: 'tcp' }, { IP: '::', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }]), '0.0.0.0:80->80/tcp, [::]:8080->80/tcp');
  assert.equal(ellipsis('abcdef', 4), 'abc…');
  assert.equal(goQuote('a\nb'), '"a\\nb"');
});

test('images: a row per tag, <none> for dangling, digests', () => {
  const imgs = [
    { Id: `sha256:${'b'.repeat(64)}`, RepoTags: ['busybox:latest', 'busybox:1'], RepoDigests: [`busybox@sha256:${'c'.repeat(64)}`], Created: NOW / 1000 - 3600 * 3, Size: 4_261_000 },
    { Id: `sha256:${'d'.repeat(64)}`, RepoTags: [], RepoDigests: [], Created: NOW / 1000 - 86400 * 3, Size: 100 },
  ];
  const rows = imageRows(imgs, { trunc: true, digests: false, now: NOW });
  assert.deepEqual(rows.map((r) => [r.Repository, r.Tag, r.ID, r.CreatedSince, r.Size]), [
    ['busybox', 'latest', 'b'.repeat(12), '3 hours ago', '4.26MB'],
    ['busybox', '1', 'b'.repeat(12), '3 hours ago', '4.26MB'],
    ['<none>', '<none>', 'd'.repeat(12), '3 days ago', '100B'],
  ]);
  const dig = imageRows(imgs, { trunc: false, digests: true, now: NOW });
  assert.equal(dig[0]!.Digest, `sha256:${'c'.repeat(64)}`);
  assert.equal(dig[0]!.ID, `sha256:${'b'.repeat(64)}`);
  const out = formatList(undefined, imagesDefaultFormat(false), rows, IMAGE_HEADERS);
  assert.match(out.split('\n')[0]!, /^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE$/);
});

test('history: CREATED BY truncated to 45', () => {
  const rows = historyRows([{ Id: '<missing>', Created: NOW / 1000 - 60, CreatedBy: '/bin/sh -c #(nop) ADD file:0123456789abcdef0123456789abcdef in / ', Size: 4_000_000, Comment: '' }], { trunc: true, human: true, now: NOW });
  assert.equal(rows[0]!.CreatedBy.length, 45);
  assert.ok(rows[0]!.CreatedBy.endsWith('…'));
  assert.equal(rows[0]!.ID, '<missing>');
  assert.equal(rows[0]!.Size, '4MB');
  assert.equal(historyRows([{ Id: 'sha256:x', Created: 0, CreatedBy: 'a', Size: 5, Comment: '' }], { trunc: false, human: false })[0]!.Size, '5');
});

test('stats: CPU % and memory like docker', () => {
  const s = {
    id: ID, name: '/web',
    cpu_stats: { cpu_usage: { total_usage: 2_000_000 }, system_cpu_usage: 20_000_000, online_cpus: 2 },
    precpu_stats: { cpu_usage: { total_usage: 1_000_000 }, system_cpu_usage: 10_000_000 },
    memory_stats: { usage: 10 * 1024 * 1024, limit: 100 * 1024 * 1024, stats: { total_inactive_file: 5 * 1024 * 1024 } },
    networks: { eth0: { rx_bytes: 1000, tx_bytes: 2000 } },
    blkio_stats: { io_service_bytes_recursive: [{ op: 'Read', value: 4096 }, { op: 'Write', value: 0 }] },
    pids_stats: { current: 3 },
  };
  assert.equal(cpuPercent(s), 20);
  assert.equal(memUsage(s), 5 * 1024 * 1024);
  const r = statsRow('web', s, true);
  assert.deepEqual([r.ID, r.Name, r.CPUPerc, r.MemUsage, r.MemPerc, r.NetIO, r.BlockIO, r.PIDs], ['a'.repeat(12), 'web', '20.00%', '5MiB / 100MiB', '5.00%', '1kB / 2kB', '4.1kB / 0B', '3']);
});

test('system df rows', () => {
  const rows = dfRows({ LayersSize: 1000, Images: [{ Size: 600, SharedSize: 0, Containers: 1 }, { Size: 400, SharedSize: 0, Containers: 0 }], Containers: [{ SizeRw: 10, State: 'exited' }], Volumes: [], BuildCache: [] });
  assert.deepEqual(rows[0], { Type: 'Images', TotalCount: '2', Active: '1', Size: '1kB', Reclaimable: '400B (40%)' });
  assert.deepEqual(rows[1], { Type: 'Containers', TotalCount: '1', Active: '0', Size: '10B', Reclaimable: '10B (100%)' });
});
