/**
 * `--user` resolution against the image's own /etc/passwd and /etc/group (never the host's),
 * as runc's libcontainer/user GetExecUser: "name|uid[:group|gid]". Supplementary groups are
 * the groups listing the user as a member (CVE-2022-36109: they must be applied, so a
 * `USER u` image cannot drop its way out of a group-based restriction).
 * `--group-add` (HostConfig.GroupAdd) adds more: names through the same /etc/group, numbers
 * as they are (runc GetAdditionalGroups).
 */
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from '../common/errors.ts';

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  /** HOME from passwd ("/" when the user has no entry, as runc). */
  home: string;
}

interface PasswdEntry { name: string; uid: number; gid: number; home: string }
interface GroupEntry { name: string; gid: number; members: string[] }

/** Reads a file inside the rootfs without following symlinks out of it (best effort: regular files only). */
function readRootFile(rootfsDir: string, rel: string): string {
  const p = path.join(rootfsDir, rel);
  try {
    const st = fs.lstatSync(p);
    if (!st.isFile()) return '';
    return fs.readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 4) continue;
    out.push({ name: f[0]!, uid: parseInt(f[2]!, 10), gid: parseInt(f[3]!, 10), home: f[5] ?? '' });
  }
  return out;
}

function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 3) continue;
    out.push({ name: f[0]!, gid: parseInt(f[2]!, 10), members: (f[3] ?? '').split(',').filter(Boolean) });
  }
  return out;
}

const isNumeric = (s: string) => /^\d+$/.test(s);

const MAX_ID = 0x7fffffff;

/**
 * Resolves "name", "uid", "uid:gid", "name:group" (and mixes) inside `rootfsDir`. Empty = root.
 * `groupAdd` entries (group names or gids) join the supplementary groups.
 */
export function resolveUser(rootfsDir: string, user: string | undefined, groupAdd: readonly string[] = []): ResolvedUser {
  const spec = (user ?? '').trim();
  const [userArg = '', groupArg = ''] = spec.split(':', 2) as [string?, string?];
  const passwd = parsePasswd(readRootFile(rootfsDir, 'etc/passwd'));
  const groups = parseGroup(readRootFile(rootfsDir, 'etc/group'));

  let entry: PasswdEntry | undefined;
  let uid: number;
  if (userArg === '') {
    entry = passwd.find((p) => p.uid === 0);
    uid = 0;
  } else if (isNumeric(userArg)) {
    uid = parseInt(userArg, 10);
    entry = passwd.find((p) => p.uid === uid);
  } else {
    entry = passwd.find((p) => p.name === userArg);
    if (!entry) throw new InvalidArgumentError(`unable to find user ${userArg}: no matching entries in passwd file`);
    uid = entry.uid;
  }
  if (uid > MAX_ID) throw new InvalidArgumentError(`uids and gids must be in range 0-2147483647`);

  let gid = entry?.gid ?? 0;
  let additionalGids: number[] = [];
  if (groupArg !== '') {
    if (isNumeric(groupArg)) {
      gid = parseInt(groupArg, 10);
    } else {
      const g = groups.find((x) => x.name === groupArg);
      if (!g) throw new InvalidArgumentError(`unable to find group ${groupArg}: no matching entries in group file`);
      gid = g.gid;
    }
  } else if (entry) {
    additionalGids = groups.filter((g) => g.members.includes(entry!.name)).map((g) => g.gid);
  }
  additionalGids = [...new Set([...additionalGids, ...additionalGroups(groups, groupAdd)].filter((g) => g !== gid))];
  return { uid, gid, additionalGids, home: entry?.home || '/' };
}

/** `--group-add`: a name or gid found in /etc/group gives that group's gid; an unknown number is used as is. */
function additionalGroups(groups: GroupEntry[], wanted: readonly string[]): number[] {
  const out: number[] = [];
  for (const ag of wanted) {
    const numeric = isNumeric(ag);
    const g = groups.find((x) => x.name === ag || (numeric && x.gid === Number(ag)));
    const gid = g ? g.gid : numeric ? Number(ag) : undefined;
    if (gid === undefined) {
      if (/^-\d+$/.test(ag)) throw new InvalidArgumentError('uids and gids must be in range 0-2147483647');
      throw new InvalidArgumentError(`Unable to find group ${ag}: no matching entries in group file`);
    }
    if (gid > MAX_ID) throw new InvalidArgumentError('uids and gids must be in range 0-2147483647');
    out.push(gid);
  }
  return out;
}
