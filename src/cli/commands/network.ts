/** `wharf network create|ls|inspect|rm|prune|connect|disconnect`. */
import type { Command } from 'commander';
import { CliExit, type CliContext } from '../context.ts';
import { newCommand } from '../docker-command.ts';
import { formatList, goTimeString } from '../format.ts';
import { collect, filtersParam } from '../options.ts';
import { toMap } from '../spec-parse.ts';
import { eachTarget } from './container-lifecycle.ts';
import { confirm } from './images.ts';
import { typedInspect } from './inspect.ts';

interface Network { Id: string; Name: string; Driver: string; Scope: string; IPv6?: boolean; EnableIPv6?: boolean; EnableIPv4?: boolean; Internal?: boolean; Labels?: Record<string, string> | null; Created?: string }

interface CreateOpts { driver: string; subnet: string[]; gateway: string[]; ipRange: string[]; internal?: boolean; attachable?: boolean; ipv6?: boolean; label: string[]; opt: string[]; ipamDriver?: string; ipamOpt: string[] }

export default function network(ctx: CliContext): Command {
  const cmd = newCommand('network').description('Manage networks');
  cmd.addCommand(newCommand('create').description('Create a network').argument('<name>')
    .flag('--attachable', 'Enable manual container attachment')
    .option('-d, --driver <string>', 'Driver to manage the Network', 'bridge')
    .option('--gateway <strings>', 'IPv4 or IPv6 Gateway for the master subnet', collect, [])
    .flag('--internal', 'Restrict external access to the network')
    .option('--ip-range <strings>', 'Allocate container ip from a sub-range', collect, [])
    .option('--ipam-driver <string>', 'IP Address Management Driver')
    .option('--ipam-opt <map>', 'Set IPAM driver specific options', collect, [])
    .flag('--ipv6', 'Enable or disable IPv6 networking')
    .option('--label <list>', 'Set metadata on a network', collect, [])
    .option('-o, --opt <map>', 'Set driver specific options', collect, [])
    .option('--subnet <strings>', 'Subnet in CIDR format that represents a network segment', collect, [])
    .action(async (name: string, o: CreateOpts) => {
      if (o.gateway.length > o.subnet.length || o.ipRange.length > o.subnet.length) throw new CliExit(1, 'every ip-range or gateway must have a corresponding subnet');
      const config = o.subnet.map((s, i) => ({ Subnet: s, ...(o.ipRange[i] ? { IPRange: o.ipRange[i] } : {}), ...(o.gateway[i] ? { Gateway: o.gateway[i] } : {}) }));
      const r = await ctx.client().json<{ Id: string; Warning?: string }>('/networks/create', {
        method: 'POST',
        body: {
          Name: name, Driver: o.driver, Internal: !!o.internal, Attachable: !!o.attachable, EnableIPv6: o.ipv6 ? true : undefined,
          Options: toMap(o.opt), Labels: toMap(o.label),
          IPAM: { Driver: o.ipamDriver ?? 'default', Config: config, Options: toMap(o.ipamOpt) },
        },
      });
      if (r.Warning) ctx.err.write(`WARNING: ${r.Warning}\n`);
      ctx.out.write(`${r.Id}\n`);
    }));
  cmd.addCommand(newCommand('ls').alias('list').description('List networks')
    .option('-f, --filter <filter>', 'Provide filter values (e.g. "driver=bridge")', collect, [])
    .option('--format <string>', 'Format output using a custom template')
    .option('--no-trunc', 'Do not truncate the output')
    .flag('-q, --quiet', 'Only display network IDs')
    .action(async (o: { filter: string[]; format?: string; trunc: boolean; quiet?: boolean }) => {
      const nets = (await ctx.client().json<Network[]>('/networks', { query: { filters: filtersParam(o.filter) } })).sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
      const rows = nets.map((n) => ({
        ID: o.trunc ? n.Id.slice(0, 12) : n.Id, Name: n.Name, Driver: n.Driver, Scope: n.Scope, IPv4: String(!!n.EnableIPv4), IPv6: String(!!(n.EnableIPv6 ?? n.IPv6)), Internal: String(!!n.Internal),
        Labels: Object.entries(n.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(','), CreatedAt: goTimeString(n.Created),
      }));
      if (o.quiet) { for (const r of rows) ctx.out.write(`${r.ID}\n`); return; }
      ctx.out.write(formatList(o.format, 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}', rows,
        { ID: 'NETWORK ID', Name: 'NAME', Driver: 'DRIVER', Scope: 'SCOPE', IPv6: 'IPV6', Internal: 'INTERNAL', Labels: 'LABELS', CreatedAt: 'CREATED AT', IPv4: 'IPV4' },
        { typeName: '*network.networkContext', labels: nets.map((n) => n.Labels ?? {}) }));
    }));
  cmd.addCommand(typedInspect(ctx, 'network'));
  cmd.addCommand(newCommand('rm').alias('remove').description('Remove one or more networks').argument('<networks...>')
    .flag('-f, --force', 'Do not error if the network does not exist')
    .action(async (names: string[], o: { force?: boolean }) => {
      await eachTarget(ctx, names, async (n) => {
        try { await ctx.client().json(`/networks/${encodeURIComponent(n)}`, { method: 'DELETE' }); } catch (e) {
          if (o.force && (e as { status?: number }).status === 404) return undefined;
          throw e;
        }
        return n;
      });
    }));
  cmd.addCommand(newCommand('prune').description('Remove all unused networks')
    .option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', collect, [])
    .flag('-f, --force', 'Do not prompt for confirmation')
    .action(async (o: { filter: string[]; force?: boolean }) => {
      if (!o.force && !(await confirm(ctx, 'WARNING! This will remove all custom networks not used by at least one container.'))) return;
      const r = await ctx.client().json<{ NetworksDeleted?: string[] | null }>('/networks/prune', { method: 'POST', query: { filters: filtersParam(o.filter) } });
      const deleted = r.NetworksDeleted ?? [];
      if (deleted.length) ctx.out.write(`Deleted Networks:\n${deleted.join('\n')}\n`);
    }));
  cmd.addCommand(newCommand('connect').description('Connect a container to a network').argument('<network>').argument('<container>')
    .option('--alias <strings>', 'Add network-scoped alias for the container', collect, [])
    .option('--driver-opt <strings>', 'driver options for the network', collect, [])
    .option('--ip <string>', 'IPv4 address (e.g., "172.30.100.104")')
    .option('--ip6 <string>', 'IPv6 address (e.g., "2001:db8::33")')
    .option('--link <list>', 'Add link to another container', collect, [])
    .option('--link-local-ip <strings>', 'Add a link-local address for the container', collect, [])
    .action(async (net: string, container: string, o: { alias: string[]; driverOpt: string[]; ip?: string; ip6?: string; link: string[]; linkLocalIp: string[] }) => {
      const ipam = o.ip || o.ip6 || o.linkLocalIp.length ? { IPv4Address: o.ip ?? '', IPv6Address: o.ip6 ?? '', LinkLocalIPs: o.linkLocalIp } : undefined;
      await ctx.client().json(`/networks/${encodeURIComponent(net)}/connect`, {
        method: 'POST', body: { Container: container, EndpointConfig: { Aliases: o.alias, Links: o.link, DriverOpts: toMap(o.driverOpt), ...(ipam ? { IPAMConfig: ipam } : {}) } },
      });
    }));
  cmd.addCommand(newCommand('disconnect').description('Disconnect a container from a network').argument('<network>').argument('<container>')
    .flag('-f, --force', 'Force the container to disconnect from a network')
    .action(async (net: string, container: string, o: { force?: boolean }) => {
      await ctx.client().json(`/networks/${encodeURIComponent(net)}/disconnect`, { method: 'POST', body: { Container: container, Force: !!o.force } });
    }));
  cmd.action(() => { ctx.out.write(cmd.helpInformation()); });
  return cmd;
}
