/**
 * Legacy container links (`docker run --link name:alias`, `HostConfig.Links`) on the default
 * bridge, as moby's daemon/links and registerLinks do:
 *
 *   create  parent P with Links ["db:sql"]   → P.LinkedChildren = [{ Id: <db id>, Alias: 'sql' }]
 *   start   P (db running, both on bridge)   → env SQL_NAME=/P/sql, SQL_PORT=tcp://ip:port,
 *                                              SQL_PORT_<n>_<PROTO>{,_ADDR,_PORT,_PROTO}, SQL_ENV_<VAR>;
 *                                              /etc/hosts "ip\tsql <db hostname> db"
 *   name    "/P/sql" names db (lookups, `ps` Names); inspect P: HostConfig.Links ["/db:/P/sql"]
 *   DELETE  /containers/P/sql?link=1         → the link is gone, both containers stay
 *
 * Links are kept by container id on the parent, so renaming either side keeps them. Removing
 * the child drops its links (docker keeps a dangling one that fails every later start of the
 * parent until a daemon restart forgets it).
 */
import path from 'node:path';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../../common/errors.ts';
import type { ContainerRecord, HostConfig, LinkRecord } from './record.ts';
import type { ContainerRegistry, Live } from './service.ts';

export type { LinkRecord } from './record.ts';

export function linksOf(rec: ContainerRecord): LinkRecord[] {
  return rec.LinkedChildren ?? [];
}

function setLinks(rec: ContainerRecord, links: LinkRecord[]): void {
  rec.LinkedChildren = links;
}

/** `name:alias`, `name` (alias = name) or inspect's own `/name:/parent/alias`; docker's messages. */
export function parseLink(val: string): { name: string; alias: string } {
  if (val === '') throw new InvalidArgumentError('empty string specified for links');
  const parts = val.split(':');
  if (parts.length > 2) throw new InvalidArgumentError(`bad format for links: ${val}`);
  let [name, alias = name] = parts as [string, string?];
  if (parts.length === 2 && name.startsWith('/')) {
    name = name.slice(1);
    alias = path.posix.basename(alias);
  }
  // The alias becomes a /etc/hosts name and an environment variable prefix.
  if (!alias || /[\s/=]/.test(alias) || /[\x00-\x1f]/.test(alias)) throw new InvalidArgumentError(`invalid link alias: ${JSON.stringify(alias)}`);
  return { name, alias };
}

/** Default bridge, none or unset: the modes where HostConfig.Links are links (moby: not user-defined). */
function legacyMode(mode: string): boolean {
  return mode === 'default' || mode === 'bridge' || mode === 'none' || mode === 'host' || mode.startsWith('container:');
}

/** Create-time checks and resolution of `HostConfig.Links`: the parent's link list. */
export function resolveLinks(reg: ContainerRegistry, hc: HostConfig): LinkRecord[] {
  const wanted = hc.Links ?? [];
  if (wanted.length === 0) return [];
  if (hc.NetworkMode === 'host') throw new InvalidArgumentError("conflicting options: host type networking can't be used with links. This would result in undefined behavior");
  if (hc.NetworkMode.startsWith('container:')) throw new InvalidArgumentError("conflicting options: container type network can't be used with links. This would result in undefined behavior");
  // On a user-defined network docker leaves HostConfig.Links alone (the CLI sends them as
  // the endpoint's Links there).
  if (!legacyMode(hc.NetworkMode)) return [];
  const out: LinkRecord[] = [];
  for (const { name, alias } of wanted.map(parseLink)) {
    const found = reg.find(name);
    if (!found) throw new InvalidArgumentError(`could not get container for ${name}: No such container: ${name}`);
    let child: Live = found;
    for (let hops = 0; child.rec.HostConfig.NetworkMode.startsWith('container:'); hops++) {
      const next: string = child.rec.HostConfig.NetworkMode.slice(10);
      const owner: Live | undefined = hops < 32 ? reg.find(next) : undefined;
      if (!owner) throw new InvalidArgumentError(`Could not get container for ${next}: No such container: ${next}`);
      child = owner;
    }
    if (child.rec.HostConfig.NetworkMode === 'host') throw new InvalidArgumentError("conflicting options: host type networking can't be used with links. This would result in undefined behavior");
    // A second link under the same alias is ignored, as docker's name reservation does.
    if (out.some((x) => x.Alias === alias)) continue;
    out.push({ Id: child.rec.Id, Alias: alias });
  }
  return out;
}

export function recordLinks(rec: ContainerRecord, links: LinkRecord[]): void {
  if (links.length) setLinks(rec, links);
}

/** The children of `rec` that still exist, with their link names. */
function children(reg: ContainerRegistry, rec: ContainerRecord): { link: LinkRecord; child: Live; name: string }[] {
  const out: { link: LinkRecord; child: Live; name: string }[] = [];
  for (const link of linksOf(rec)) {
    const child = reg.live.get(link.Id);
    if (child) out.push({ link, child, name: `${rec.Name}/${link.Alias}` });
  }
  return out;
}

/** `/parent/alias` (leading slash optional) → the linked container. */
export function findByLinkName(reg: ContainerRegistry, ref: string): Live | undefined {
  const full = ref.startsWith('/') ? ref : `/${ref}`;
  const i = full.lastIndexOf('/');
  if (i <= 0) return undefined;
  const parentId = reg.names.get(full.slice(0, i));
  const parent = parentId ? reg.live.get(parentId) : undefined;
  const link = parent ? linksOf(parent.rec).find((x) => x.Alias === full.slice(i + 1)) : undefined;
  return link ? reg.live.get(link.Id) : undefined;
}

/** Every link name that points at `childId` (`ps` Names after the container's own), sorted. */
export function linkNamesOf(reg: ContainerRegistry, childId: string): string[] {
  const out: string[] = [];
  for (const l of reg.live.values()) {
    for (const link of linksOf(l.rec)) if (link.Id === childId) out.push(`${l.rec.Name}/${link.Alias}`);
  }
  return out.sort();
}

/** inspect's `HostConfig.Links`: `/child:/parent/alias`, or null. */
export function linksView(reg: ContainerRegistry, rec: ContainerRecord): string[] | null {
  const list = children(reg, rec).map((c) => `${c.child.rec.Name}:${c.name}`);
  return list.length ? list : null;
}

/** The address on the default bridge (cleared when its network is torn down). */
function bridgeIp(rec: ContainerRecord): string {
  return rec.Endpoints.bridge?.IPAddress ?? '';
}

/** Exposed ports sorted as moby's links do: by number, tcp first on a tie. */
function sortedPorts(rec: ContainerRecord): { port: number; proto: string }[] {
  return Object.keys(rec.Config.ExposedPorts ?? {})
    .map((k) => { const [p, proto = 'tcp'] = k.split('/'); return { port: Number(p), proto: proto.toLowerCase() }; })
    .filter((p) => Number.isInteger(p.port))
    .sort((a, b) => a.port - b.port || (a.proto === 'tcp' ? -1 : b.proto === 'tcp' ? 1 : 0));
}

/** Last index of the run of consecutive numbers starting at `i`. */
function runEnd(ports: { port: number }[], i: number): number {
  let value = ports[i]!.port;
  for (let k = i + 1; k < ports.length; k++) {
    if (ports[k]!.port > value + 1) return k - 1;
    value++;
  }
  return ports.length - 1;
}

/** The environment one link gives the parent (moby links.ToEnv). */
export function linkEnvFor(name: string, ip: string, child: ContainerRecord): string[] {
  const alias = path.posix.basename(name).toUpperCase().replace(/-/g, '_');
  const ports = sortedPorts(child);
  const env: string[] = [];
  const first = ports[0];
  if (first) env.push(`${alias}_PORT=${first.proto}://${ip}:${first.port}`);
  // Three or more consecutive port numbers (any protocol, as moby counts them) also get
  // _START/_END variables.
  for (let i = 0; i < ports.length;) {
    const j = runEnd(ports, i);
    if (j > i + 1) {
      const p = ports[i]!, q = ports[j]!, pre = `${alias}_PORT_${p.port}`, P = p.proto.toUpperCase(), Q = q.proto.toUpperCase();
      env.push(`${pre}_${P}_START=${p.proto}://${ip}:${p.port}`, `${pre}_${P}_ADDR=${ip}`, `${pre}_${P}_PROTO=${p.proto}`, `${pre}_${P}_PORT_START=${p.port}`);
      env.push(`${pre}_${Q}_END=${q.proto}://${ip}:${q.port}`, `${pre}_${Q}_PORT_END=${q.port}`);
      i = j + 1;
    } else {
      i++;
    }
  }
  for (const p of ports) {
    const pre = `${alias}_PORT_${p.port}_${p.proto.toUpperCase()}`;
    env.push(`${pre}=${p.proto}://${ip}:${p.port}`, `${pre}_ADDR=${ip}`, `${pre}_PORT=${p.port}`, `${pre}_PROTO=${p.proto}`);
  }
  env.push(`${alias}_NAME=${name}`);
  for (const e of child.Config.Env ?? []) {
    const eq = e.indexOf('=');
    if (eq < 0) continue;
    const key = e.slice(0, eq);
    if (key === 'HOME' || key === 'PATH') continue;
    env.push(`${alias}_ENV_${key}=${e.slice(eq + 1)}`);
  }
  return env;
}

/** At start, after the network is joined: every link's environment (none off the default bridge). */
export function linkEnv(reg: ContainerRegistry, rec: ContainerRecord): string[] {
  if (!rec.Endpoints.bridge?.IPAddress) return [];
  const env: string[] = [];
  for (const { child, name } of children(reg, rec)) {
    if (!child.rec.State.Running) throw new ConflictError(`Cannot link to a non running container: ${child.rec.Name} AS ${name}`);
    const ip = bridgeIp(child.rec);
    if (!ip) throw new ConflictError(`Cannot link to ${child.rec.Name}, as it does not belong to the default network`);
    env.push(...linkEnvFor(name, ip, child.rec));
  }
  return env;
}

/** `--add-host`-style entries (`names:ip`) for the links of a container on the default bridge. */
export function linkHosts(reg: ContainerRegistry, rec: ContainerRecord): string[] {
  if (!rec.Endpoints.bridge?.IPAddress) return [];
  const out: string[] = [];
  for (const { link, child } of children(reg, rec)) {
    const ip = bridgeIp(child.rec);
    if (!ip) continue;
    const names = [link.Alias, child.rec.Config.Hostname];
    if (link.Alias !== child.rec.Name.slice(1)) names.push(child.rec.Name.slice(1));
    out.push(`${names.filter(Boolean).join(' ')}:${ip}`);
  }
  return out;
}

/** Running containers that link to `childId` (their /etc/hosts follow the child's address). */
export function parentsOf(reg: ContainerRegistry, childId: string): Live[] {
  return [...reg.live.values()].filter((l) => linksOf(l.rec).some((x) => x.Id === childId));
}

/**
 * `DELETE /containers/{parent}/{alias}?link=1`: removes the link, not a container. Returns the
 * parent whose links changed.
 */
export function removeLink(reg: ContainerRegistry, ref: string): Live {
  const child = reg.find(ref);
  if (!child) throw new NotFoundError(`No such container: ${ref}`);
  const full = ref.startsWith('/') ? ref : `/${ref}`;
  const i = full.lastIndexOf('/');
  if (i <= 0) throw new InvalidArgumentError('Conflict, cannot remove the default link name of the container');
  const parentName = full.slice(0, i);
  const parentId = reg.names.get(parentName);
  const parent = parentId ? reg.live.get(parentId) : undefined;
  if (!parent) throw new NotFoundError(`Cannot get parent ${parentName} for link name ${full}`);
  const alias = full.slice(i + 1);
  setLinks(parent.rec, linksOf(parent.rec).filter((x) => x.Alias !== alias));
  reg.save(parent);
  return parent;
}

/** The child is being removed: its parents forget it. Returns the parents changed. */
export function dropLinksTo(reg: ContainerRegistry, childId: string): Live[] {
  const parents = parentsOf(reg, childId);
  for (const p of parents) {
    setLinks(p.rec, linksOf(p.rec).filter((x) => x.Id !== childId));
    reg.save(p);
  }
  return parents;
}
