/** Container commands that read or change one container: rename, port, top, diff, export, update, commit, container prune. */
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { parseBytes } from '../../common/human.ts';
import { ignoreEpipe } from '../stream.ts';
import { CliExit, type CliContext } from '../context.ts';
import { newCommand } from '../docker-command.ts';
import { tabwrite } from '../format.ts';
import { collect, filtersParam } from '../options.ts';
import { parseRestart, FlagError } from '../spec-parse.ts';
import { eachTarget } from './container-lifecycle.ts';
import { confirm, printPruned } from './images.ts';

export function rename(ctx: CliContext): Command {
  return newCommand('rename').description('Rename a container').argument('<container>').argument('<newName>')
    .action(async (id: string, name: string) => {
      if (!name.trim()) throw new CliExit(1, 'Error: Neither old nor new names may be empty');
      await ctx.client().json(`/containers/${id}/rename`, { method: 'POST', query: { name } });
    });
}

type PortMap = Record<string, Array<{ HostIp: string; HostPort: string }> | null>;

export function port(ctx: CliContext): Command {
  return newCommand('port').description('List port mappings or a specific mapping for the container').argument('<container>').argument('[privatePort]')
    .action(async (id: string, priv: string | undefined) => {
      const c = await ctx.client().json<{ NetworkSettings: { Ports: PortMap | null } }>(`/containers/${id}/json`);
      const ports = c.NetworkSettings.Ports ?? {};
      const fmt = (b: { HostIp: string; HostPort: string }) => `${b.HostIp.includes(':') ? `[${b.HostIp}]` : b.HostIp || '0.0.0.0'}:${b.HostPort}`;
      if (priv) {
        const key = priv.includes('/') ? priv : `${priv}/tcp`;
        const b = ports[key];
        if (!b?.length) throw new CliExit(1, `Error: No public port '${key}' published for ${id}`);
        for (const x of b) ctx.out.write(`${fmt(x)}\n`);
        return;
      }
      const keys = Object.keys(ports).sort((a, b) => parseInt(a) - parseInt(b) || a.localeCompare(b));
      for (const k of keys) for (const b of ports[k] ?? []) ctx.out.write(`${k} -> ${fmt(b)}\n`);
    });
}

export function top(ctx: CliContext): Command {
  return newCommand('top').description('Display the running processes of a container').argument('<container>').argument('[psArgs...]')
    .operandsStopOptions()
    .action(async (id: string, psArgs: string[]) => {
      const r = await ctx.client().json<{ Titles: string[]; Processes: string[][] }>(`/containers/${id}/top`, { query: { ps_args: psArgs.length ? psArgs.join(' ') : undefined } });
      ctx.out.write(tabwrite([r.Titles.join('\t'), ...(r.Processes ?? []).map((p) => p.join('\t'))]));
    });
}

export function diff(ctx: CliContext): Command {
  return newCommand('diff').description("Inspect changes to files or directories on a container's filesystem").argument('<container>')
    .action(async (id: string) => {
      const changes = await ctx.client().json<Array<{ Path: string; Kind: number }> | null>(`/containers/${id}/changes`);
      for (const c of changes ?? []) ctx.out.write(`${['C', 'A', 'D'][c.Kind] ?? '?'} ${c.Path}\n`);
    });
}

export function exportCmd(ctx: CliContext): Command {
  return newCommand('export').description("Export a container's filesystem as a tar archive").argument('<container>')
    .option('-o, --output <string>', 'Write to a file, instead of STDOUT')
    .action(async (id: string, o: { output?: string }) => {
      if (!o.output && ctx.out.isTTY) throw new CliExit(1, 'cowardly refusing to save to a terminal. Use the -o flag or redirect');
      const res = await ctx.client().stream(`/containers/${id}/export`);
      if (o.output) await pipeline(res, fs.createWriteStream(o.output));
      else await pipeline(res, ctx.out, { end: false }).catch(ignoreEpipe);
    });
}

interface UpdateOpts { memory?: string; memorySwap?: string; memoryReservation?: string; cpus?: string; cpuShares?: string; cpusetCpus?: string; cpusetMems?: string; cpuPeriod?: string; cpuQuota?: string; pidsLimit?: string; restart?: string; blkioWeight?: string }

/** `update` flags → the `POST /containers/{id}/update` body. */
export function updateBody(o: UpdateOpts): Record<string, unknown> {
  const b: Record<string, unknown> = {};
  const bytes = (v: string, flag: string) => { if (v === '-1') return -1; try { return parseBytes(v); } catch { throw new FlagError(`invalid argument "${v}" for "${flag}" flag: invalid size: '${v}'`); } };
  const int = (v: string, flag: string) => { if (!/^-?\d+$/.test(v)) throw new FlagError(`invalid argument "${v}" for "${flag}" flag: strconv.ParseInt: parsing "${v}": invalid syntax`); return Number(v); };
  if (o.memory !== undefined) b.Memory = bytes(o.memory, '-m, --memory');
  if (o.memorySwap !== undefined) b.MemorySwap = bytes(o.memorySwap, '--memory-swap');
  if (o.memoryReservation !== undefined) b.MemoryReservation = bytes(o.memoryReservation, '--memory-reservation');
  if (o.cpus !== undefined) {
    const n = Number(o.cpus);
    if (Number.isNaN(n)) throw new FlagError(`invalid argument "${o.cpus}" for "--cpus" flag: failed to parse ${o.cpus} as a rational number`);
    b.NanoCpus = Math.round(n * 1e9);
  }
  if (o.cpuShares !== undefined) b.CpuShares = int(o.cpuShares, '-c, --cpu-shares');
  if (o.cpuPeriod !== undefined) b.CpuPeriod = int(o.cpuPeriod, '--cpu-period');
  if (o.cpuQuota !== undefined) b.CpuQuota = int(o.cpuQuota, '--cpu-quota');
  if (o.cpusetCpus !== undefined) b.CpusetCpus = o.cpusetCpus;
  if (o.cpusetMems !== undefined) b.CpusetMems = o.cpusetMems;
  if (o.pidsLimit !== undefined) b.PidsLimit = int(o.pidsLimit, '--pids-limit');
  if (o.blkioWeight !== undefined) b.BlkioWeight = int(o.blkioWeight, '--blkio-weight');
  if (o.restart !== undefined) b.RestartPolicy = parseRestart(o.restart);
  return b;
}

export function update(ctx: CliContext): Command {
  return newCommand('update').description('Update configuration of one or more containers').argument('<containers...>')
    .option('--blkio-weight <uint16>', 'Block IO (relative weight), between 10 and 1000, or 0 to disable')
    .option('--cpu-period <int>', 'Limit CPU CFS (Completely Fair Scheduler) period')
    .option('--cpu-quota <int>', 'Limit CPU CFS (Completely Fair Scheduler) quota')
    .option('-c, --cpu-shares <int>', 'CPU shares (relative weight)')
    .option('--cpus <decimal>', 'Number of CPUs')
    .option('--cpuset-cpus <string>', 'CPUs in which to allow execution (0-3, 0,1)')
    .option('--cpuset-mems <string>', 'MEMs in which to allow execution (0-3, 0,1)')
    .option('-m, --memory <bytes>', 'Memory limit')
    .option('--memory-reservation <bytes>', 'Memory soft limit')
    .option('--memory-swap <bytes>', "Swap limit equal to memory plus swap: -1 to enable unlimited swap")
    .option('--pids-limit <int>', 'Tune container pids limit (set -1 for unlimited)')
    .option('--restart <string>', 'Restart policy to apply when a container exits')
    .action(async (ids: string[], o: UpdateOpts) => {
      let body: Record<string, unknown>;
      try { body = updateBody(o); } catch (e) { throw new CliExit(1, `${(e as Error).message}\nSee 'wharf update --help'.`); }
      if (!Object.keys(body).length) throw new CliExit(1, "you must provide one or more flags when using this command");
      await eachTarget(ctx, ids, async (id) => {
        const r = await ctx.client().json<{ Warnings?: string[] }>(`/containers/${id}/update`, { method: 'POST', body });
        for (const w of r?.Warnings ?? []) ctx.err.write(`${w}\n`);
        return id;
      });
    });
}

export function commit(ctx: CliContext): Command {
  return newCommand('commit').description("Create a new image from a container's changes").argument('<container>').argument('[reference]')
    .option('-a, --author <string>', 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")')
    .option('-c, --change <list>', 'Apply Dockerfile instruction to the created image', collect, [])
    .option('-m, --message <string>', 'Commit message')
    .flag('-p, --pause', 'Pause container during commit', true)
    .action(async (id: string, ref: string | undefined, o: { author?: string; change: string[]; message?: string; pause: boolean }) => {
      let repo: string | undefined;
      let tag: string | undefined;
      if (ref) {
        repo = ref;
        const colon = ref.lastIndexOf(':');
        if (colon > ref.lastIndexOf('/')) { repo = ref.slice(0, colon); tag = ref.slice(colon + 1); }
      }
      const r = await ctx.client().json<{ Id: string }>('/commit', {
        method: 'POST', query: { container: id, repo, tag, author: o.author, comment: o.message, changes: o.change, pause: o.pause ? undefined : '0' },
        body: {},
      });
      ctx.out.write(`${r.Id}\n`);
    });
}

export function containerPrune(ctx: CliContext): Command {
  return newCommand('prune').description('Remove all stopped containers')
    .option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', collect, [])
    .flag('-f, --force', 'Do not prompt for confirmation')
    .action(async (o: { filter: string[]; force?: boolean }) => {
      if (!o.force && !(await confirm(ctx, 'WARNING! This will remove all stopped containers.'))) return;
      const r = await ctx.client().json<{ ContainersDeleted?: string[] | null; SpaceReclaimed: number }>('/containers/prune', { method: 'POST', query: { filters: filtersParam(o.filter) } });
      printPruned(ctx, 'Deleted Containers:', r.ContainersDeleted ?? [], r.SpaceReclaimed);
    });
}
