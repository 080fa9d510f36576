/**
 * `ps` rows from the API's container summaries, with docker's column rules: quoted command
 * truncated to 20, 12-char ids, ports grouped like `0.0.0.0:8080->80/tcp`, names without `/`,
 * and the `-s` SIZE column.
 */
import { humanSize, timeAgo } from '../common/human.ts';

export interface PortSummary { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }

export interface ContainerSummary {
  Id: string; Names?: string[]; Image: string; ImageID?: string; Command: string; Created: number;
  Ports?: PortSummary[]; Labels?: Record<string, string>; State: string; Status: string;
  SizeRw?: number; SizeRootFs?: number; Mounts?: { Name?: string; Source?: string }[];
  NetworkSettings?: { Networks?: Record<string, unknown> };
}

export const PS_HEADERS: Record<string, string> = {
  ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', RunningFor: 'CREATED', CreatedAt: 'CREATED AT', Status: 'STATUS',
  Ports: 'PORTS', Names: 'NAMES', Size: 'SIZE', Labels: 'LABELS', Mounts: 'MOUNTS', Networks: 'NETWORKS', State: 'STATE', LocalVolumes: 'LOCAL VOLUMES',
};

export function psDefaultFormat(size: boolean): string {
  return `table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}${size ? '\t{{.Size}}' : ''}`;
}

/** Go's strconv.Quote for the printable ASCII/UTF-8 cases docker shows. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + '"';
}

/** docker's formatter.Ellipsis: at most `max` characters, the last one `…`. */
export function ellipsis(s: string, max: number): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  if (max <= 1) return chars.slice(0, max).join('');
  return chars.slice(0, max - 1).join('') + '…';
}

export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

function joinHostPort(ip: string, port: string): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** docker's DisplayablePorts: ranges collapsed, host mappings last. */
export function displayPorts(ports: PortSummary[]): string {
  const sorted = [...ports].sort((a, b) =>
    a.PrivatePort !== b.PrivatePort ? a.PrivatePort - b.PrivatePort
      : (a.IP ?? '') !== (b.IP ?? '') ? ((a.IP ?? '') < (b.IP ?? '') ? -1 : 1)
        : (a.PublicPort ?? 0) !== (b.PublicPort ?? 0) ? (a.PublicPort ?? 0) - (b.PublicPort ?? 0)
          : a.Type < b.Type ? -1 : a.Type > b.Type ? 1 : 0);
  const groups = new Map<string, { first: number; last: number }>();
  const order: string[] = [];
  const result: string[] = [];
  const hostMappings: string[] = [];
  const form = (key: string, first: number, last: number): string => {
    const slash = key.lastIndexOf('/');
    const ip = slash < 0 ? '' : key.slice(0, slash);
    const type = slash < 0 ? key : key.slice(slash + 1);
    let g = String(first);
    if (first !== last) g += `-${last}`;
    if (ip) g = `${joinHostPort(ip, g)}->${g}`;
    return `${g}/${type}`;
  };
  for (const p of sorted) {
    let key = p.Type;
    if (p.IP) {
      if ((p.PublicPort ?? 0) !== p.PrivatePort) {
        hostMappings.push(`${joinHostPort(p.IP, String(p.PublicPort ?? 0))}->${p.PrivatePort}/${p.Type}`);
        continue;
      }
      key = `${p.IP}/${p.Type}`;
    }
    const g = groups.get(key);
    if (!g) { groups.set(key, { first: p.PrivatePort, last: p.PrivatePort }); order.push(key); continue; }
    if (p.PrivatePort === g.last + 1) { g.last = p.PrivatePort; continue; }
    result.push(form(key, g.first, g.last));
    groups.set(key, { first: p.PrivatePort, last: p.PrivatePort });
  }
  for (const k of order) { const g = groups.get(k)!; result.push(form(k, g.first, g.last)); }
  return [...result, ...hostMappings].join(', ');
}

export interface PsRow {
  ID: string; Image: string; Command: string; CreatedAt: string; RunningFor: string; Ports: string; State: string;
  Status: string; Size: string; Names: string; Labels: string; Mounts: string; Networks: string; LocalVolumes: string;
}

/** Go's time.Time String() as docker prints CreatedAt: `2024-01-02 15:04:05 +0000 UTC`. */
export function goTime(secs: number): string {
  const d = new Date(secs * 1000);
  const iso = d.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} +0000 UTC`;
}

export function psRow(c: ContainerSummary, trunc: boolean, now = Date.now()): PsRow {
  let names = (c.Names ?? []).map((n) => n.replace(/^\//, ''));
  if (trunc) {
    const plain = names.find((n) => !n.includes('/'));
    names = plain !== undefined ? [plain] : [];
  }
  let image = c.Image;
  if (trunc) {
    if (c.ImageID && shortId(c.ImageID) === shortId(image)) image = shortId(image);
    else if (image.includes('@')) image = image.slice(0, image.indexOf('@'));
  }
  const srw = humanSize(c.SizeRw ?? 0, 3);
  const size = (c.SizeRootFs ?? 0) > 0 ? `${srw} (virtual ${humanSize(c.SizeRootFs!, 3)})` : srw;
  return {
    ID: trunc ? shortId(c.Id) : c.Id,
    Image: image,
    Command: goQuote(trunc ? ellipsis(c.Command, 20) : c.Command),
    CreatedAt: goTime(c.Created),
    RunningFor: timeAgo(c.Created * 1000, now),
    Ports: displayPorts(c.Ports ?? []),
    State: c.State,
    Status: c.Status,
    Size: size,
    Names: names.join(','),
    Labels: Object.entries(c.Labels ?? {}).map(([k, v]) => `${k}=${v}`).sort().join(','),
    Mounts: (c.Mounts ?? []).map((m) => (m.Name ? (trunc ? ellipsis(m.Name, 15) : m.Name) : m.Source ?? '')).join(','),
    Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).sort().join(','),
    LocalVolumes: String((c.Mounts ?? []).filter((m) => m.Name).length),
  };
}
