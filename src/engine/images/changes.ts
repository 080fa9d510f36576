/**
 * `docker import -c` / `docker commit -c` changes: Dockerfile lines applied to an image's
 * runtime config. Accepted instructions (as docker): CMD ENTRYPOINT ENV EXPOSE LABEL ONBUILD
 * USER VOLUME WORKDIR, with JSON (exec) and shell forms where Dockerfile has both.
 *
 *   applyChanges({}, ['CMD ["sh"]', 'ENV A=1 B="x y"', 'EXPOSE 80/tcp 53/udp', 'WORKDIR /srv'])
 */
import path from 'node:path';
import { InvalidArgumentError } from '../../common/errors.ts';
import type { ContainerConfig } from './config.ts';
import { onlyJsonSyntax } from '../../common/cleanups.ts';

const VALID = new Set(['cmd', 'entrypoint', 'env', 'expose', 'label', 'onbuild', 'user', 'volume', 'workdir']);

/** Splits words the way Dockerfile does for ENV/LABEL: quotes group, backslash escapes. */
export function splitWords(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quote) {
      if (ch === quote) { quote = undefined; continue; }
      if (ch === '\\' && quote === '"' && i + 1 < s.length) { cur += s[++i]; continue; }
      cur += ch;
      continue;
    }
    if (ch === '"' || ch === "'") { quote = ch; inWord = true; continue; }
    if (ch === '\\' && i + 1 < s.length) { cur += s[++i]; inWord = true; continue; }
    if (/\s/.test(ch)) {
      if (inWord) { out.push(cur); cur = ''; inWord = false; }
      continue;
    }
    cur += ch;
    inWord = true;
  }
  if (quote) throw new InvalidArgumentError(`unexpected end of statement while looking for matching ${quote}`);
  if (inWord) out.push(cur);
  return out;
}

/** JSON array of strings (exec form), or undefined when `s` is not one. */
function jsonArray(s: string): string[] | undefined {
  if (!s.startsWith('[')) return undefined;
  try {
    const v = JSON.parse(s) as unknown;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch (err) { onlyJsonSyntax(err); /* shell form */ }
  return undefined;
}

function commandForm(args: string): string[] {
  return jsonArray(args) ?? ['/bin/sh', '-c', args];
}

/** `k=v k2="v 2"` pairs, or the legacy `k v w` single pair. */
function keyValues(instr: string, args: string): [string, string][] {
  const words = splitWords(args);
  if (words.length === 0) throw new InvalidArgumentError(`${instr} requires at least one argument`);
  if (!words[0]!.includes('=')) {
    const sp = /\s+/.exec(args.trim());
    if (!sp) throw new InvalidArgumentError(`${instr} must have two arguments`);
    const key = args.trim().slice(0, sp.index);
    const value = splitWords(args.trim().slice(sp.index + sp[0].length)).join(' ');
    return [[key, value]];
  }
  return words.map((w) => {
    const i = w.indexOf('=');
    if (i <= 0) throw new InvalidArgumentError(`Syntax error - can't find = in "${w}". Must be of the form: name=value`);
    return [w.slice(0, i), w.slice(i + 1)];
  });
}

function exposedPorts(args: string): string[] {
  const out: string[] = [];
  for (const w of splitWords(args)) {
    const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(w);
    if (!m) throw new InvalidArgumentError(`invalid containerPort: ${w}`);
    const lo = Number(m[1]);
    const hi = m[2] ? Number(m[2]) : lo;
    const proto = (m[3] ?? 'tcp').toLowerCase();
    if (hi < lo || hi > 65535) throw new InvalidArgumentError(`invalid range specified for container port: ${w}`);
    for (let p = lo; p <= hi; p++) out.push(`${p}/${proto}`);
  }
  return out;
}

/** Applies change lines to a copy of `base`. */
export function applyChanges(base: ContainerConfig | null | undefined, changes: readonly string[]): ContainerConfig {
  const c: ContainerConfig = structuredClone(base ?? {});
  for (const raw of changes) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\S+)\s*([\s\S]*)$/.exec(line)!;
    const instr = m[1]!;
    const args = m[2]!.trim();
    const kind = instr.toLowerCase();
    if (!VALID.has(kind)) throw new InvalidArgumentError(`${instr} is not a valid change command`);
    switch (kind) {
      case 'cmd': c.Cmd = commandForm(args); break;
      case 'entrypoint': c.Entrypoint = args === '' ? null : commandForm(args); break;
      case 'env': {
        const env = [...(c.Env ?? [])];
        for (const [k, v] of keyValues('ENV', args)) {
          const i = env.findIndex((e) => e.split('=', 1)[0] === k);
          if (i >= 0) env[i] = `${k}=${v}`;
          else env.push(`${k}=${v}`);
        }
        c.Env = env;
        break;
      }
      case 'label': {
        const labels = { ...(c.Labels ?? {}) };
        for (const [k, v] of keyValues('LABEL', args)) labels[k] = v;
        c.Labels = labels;
        break;
      }
      case 'expose': {
        const ports = { ...(c.ExposedPorts ?? {}) };
        for (const p of exposedPorts(args)) ports[p] = {};
        c.ExposedPorts = ports;
        break;
      }
      case 'user': c.User = args; break;
      case 'volume': {
        const vols = { ...(c.Volumes ?? {}) };
        for (const v of jsonArray(args) ?? splitWords(args)) {
          if (v.trim() === '') throw new InvalidArgumentError('VOLUME specified can not be an empty string');
          vols[v] = {};
        }
        c.Volumes = vols;
        break;
      }
      case 'workdir': c.WorkingDir = path.posix.resolve(c.WorkingDir || '/', args); break;
      case 'onbuild': c.OnBuild = [...(c.OnBuild ?? []), args]; break;
    }
  }
  return c;
}
