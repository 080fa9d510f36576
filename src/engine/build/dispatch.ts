/**
 * One dispatcher per Dockerfile instruction except FROM (the builder's) and COPY/ADD
 * (copy-step.ts). Each updates the stage state and commits: metadata-only steps as an image
 * without a new layer (`empty_layer` in history), WORKDIR and RUN with the files they
 * changed. History `created_by` follows docker's classic builder (`/bin/sh -c #(nop)  ENV …`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from '../../common/errors.ts';
import { parseGoDuration } from '../../api/types/docker-time.ts';
import { goDuration } from '../../common/human.ts';
import { dispatchCopy } from './copy-step.ts';
import { parseInstruction, type Instruction } from './parser.ts';
import { mkdirInRoot, resolveInRoot } from './scoped-fs.ts';
import { PREDEFINED_ARGS, quoteList, type StageState, type StepHost } from './state.ts';
import { parseNameValues, processWord, processWords, rawWords } from './substitute.ts';

const NOP = '/bin/sh -c #(nop) ';

type Dispatcher = (h: StepHost, st: StageState, inst: Instruction) => Promise<void>;

function setEnv(env: string[], key: string, value: string): string[] {
  const out = env.filter((e) => (e.includes('=') ? e.slice(0, e.indexOf('=')) : e) !== key);
  out.push(`${key}=${value}`);
  return out;
}

function shellForm(st: StageState, inst: Instruction): string[] {
  return inst.json ?? [...st.shell, inst.args];
}

/** HEALTHCHECK's `--interval` etc.: Go's time.ParseDuration (nanoseconds), docker's message. */
export function parseDuration(s: string, flag: string): number {
  try {
    return parseGoDuration(s);
  } catch (err) {
    throw new InvalidArgumentError(`${(err as Error).message} for flag --${flag}`);
  }
}

const env: Dispatcher = async (h, st, inst) => {
  const pairs = parseNameValues('ENV', inst.args, h.env(st), h.escape);
  let e = st.config.Env ?? [];
  for (const [k, v] of pairs) e = setEnv(e, k, v);
  st.config.Env = e;
  await h.commitMeta(st, `${NOP} ENV ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`);
};

const label: Dispatcher = async (h, st, inst) => {
  const pairs = parseNameValues('LABEL', inst.args, h.env(st), h.escape);
  st.config.Labels = { ...(st.config.Labels ?? {}) };
  for (const [k, v] of pairs) st.config.Labels[k] = v;
  await h.commitMeta(st, `${NOP} LABEL ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`);
};

const maintainer: Dispatcher = async (h, st, inst) => {
  if (!inst.args) throw new InvalidArgumentError('MAINTAINER requires exactly one argument');
  st.author = inst.args;
  await h.commitMeta(st, `${NOP} MAINTAINER ${inst.args}`);
};

const expose: Dispatcher = async (h, st, inst) => {
  const specs = processWords(inst.args, h.env(st), h.escape);
  if (specs.length === 0) throw new InvalidArgumentError('EXPOSE requires at least one argument');
  const ports = { ...(st.config.ExposedPorts ?? {}) };
  const added: string[] = [];
  for (const spec of specs) {
    const m = /^(?:[^:]*:)?(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(spec);
    if (!m) throw new InvalidArgumentError(`Invalid containerPort: ${spec}`);
    const lo = Number(m[1]);
    const hi = m[2] ? Number(m[2]) : lo;
    if (hi < lo || hi > 65535) throw new InvalidArgumentError(`Invalid range specified for the Port: ${spec}`);
    for (let p = lo; p <= hi; p++) { const k = `${p}/${(m[3] ?? 'tcp').toLowerCase()}`; ports[k] = {}; added.push(k); }
  }
  st.config.ExposedPorts = ports;
  await h.commitMeta(st, `${NOP} EXPOSE ${added.join(' ')}`);
};

const volume: Dispatcher = async (h, st, inst) => {
  const vols = inst.json ?? processWords(inst.args, h.env(st), h.escape);
  if (vols.length === 0) throw new InvalidArgumentError('VOLUME requires at least one argument');
  const v = { ...(st.config.Volumes ?? {}) };
  for (const raw of vols) {
    const p = raw.trim();
    if (p === '') throw new InvalidArgumentError('VOLUME specified can not be an empty string');
    v[p] = {};
  }
  st.config.Volumes = v;
  await h.commitMeta(st, `${NOP} VOLUME [${vols.join(' ')}]`);
};

const user: Dispatcher = async (h, st, inst) => {
  const u = processWord(inst.args, h.env(st), h.escape);
  if (!u) throw new InvalidArgumentError('USER requires exactly one argument');
  st.config.User = u;
  await h.commitMeta(st, `${NOP} USER ${u}`);
};

const workdir: Dispatcher = async (h, st, inst) => {
  const w = processWord(inst.args, h.env(st), h.escape);
  if (!w) throw new InvalidArgumentError('WORKDIR requires exactly one argument');
  const base = st.config.WorkingDir || '/';
  const dir = path.posix.normalize(w.startsWith('/') ? w : path.posix.join(base, w)).replace(/(.)\/$/, '$1');
  st.config.WorkingDir = dir;
  await h.commitFiles(st, `${NOP}WORKDIR ${dir}`, async (rootfs) => {
    const host = resolveInRoot(rootfs, dir);
    if (fs.existsSync(host)) return false;
    mkdirInRoot(rootfs, dir);
    return true;
  });
};

const stopsignal: Dispatcher = async (h, st, inst) => {
  const s = processWord(inst.args, h.env(st), h.escape);
  if (!/^(SIG)?[A-Z0-9+-]+$|^\d+$/i.test(s)) throw new InvalidArgumentError(`Invalid signal: ${s}`);
  st.config.StopSignal = s;
  await h.commitMeta(st, `${NOP} STOPSIGNAL ${s}`);
};

const shell: Dispatcher = async (h, st, inst) => {
  if (!inst.json || inst.json.length === 0) throw new InvalidArgumentError('SHELL requires the arguments to be in JSON form');
  st.shell = inst.json;
  st.config.Shell = inst.json;
  await h.commitMeta(st, `${NOP} SHELL ${quoteList(inst.json)}`);
};

const cmd: Dispatcher = async (h, st, inst) => {
  st.config.Cmd = shellForm(st, inst);
  st.cmdSet = true;
  await h.commitMeta(st, `${NOP} CMD ${quoteList(st.config.Cmd)}`);
};

const entrypoint: Dispatcher = async (h, st, inst) => {
  st.config.Entrypoint = inst.json ?? (inst.args ? [...st.shell, inst.args] : null);
  if (!st.cmdSet) st.config.Cmd = null;
  await h.commitMeta(st, `${NOP} ENTRYPOINT ${quoteList(st.config.Entrypoint ?? [])}`);
};

/** docker's history text for HEALTHCHECK: Go's `%q` of the config, `&{["CMD" "a"] "1s" "0s" "0s" '\x02'}`. */
function goQuotedHealthConfig(hc: Record<string, unknown>): string {
  const dur = (ns: unknown) => `"${goDuration(Number(ns ?? 0))}"`;
  const rune = (r: number) => {
    const named: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 39: "\\'", 92: '\\\\' };
    if (named[r]) return `'${named[r]}'`;
    if (r < 0x20 || r === 0x7f) return `'\\x${r.toString(16).padStart(2, '0')}'`;
    return `'${String.fromCodePoint(r)}'`;
  };
  const test = ((hc.Test as string[] | undefined) ?? []).map((t) => JSON.stringify(t)).join(' ');
  return `&{[${test}] ${dur(hc.Interval)} ${dur(hc.Timeout)} ${dur(hc.StartPeriod)} ${rune(Number(hc.Retries ?? 0))}}`;
}

/** HEALTHCHECK NONE | HEALTHCHECK [--interval|--timeout|--start-period|--retries] CMD …, with docker 20.10's checks. */
const healthcheck: Dispatcher = async (h, st, inst) => {
  const fail = (why: string) => new InvalidArgumentError(`dockerfile parse error line ${inst.line}: ${why}`);
  const words = inst.args.trim();
  const kind = words.split(/\s+/)[0]!.toUpperCase();
  if (kind === 'NONE') {
    if (words.split(/\s+/).length > 1) throw fail('HEALTHCHECK NONE takes no arguments');
    st.config.Healthcheck = { Test: ['NONE'] };
  } else if (kind === 'CMD') {
    const rest = words.slice(3).trim();
    const sub = parseInstruction(`CMD ${rest}`, inst.line);
    const test = sub.json ? ['CMD', ...sub.json] : ['CMD-SHELL', rest];
    if (test.length < 2 || (test[0] === 'CMD-SHELL' && rest === '')) throw fail('Missing command after HEALTHCHECK CMD');
    const hc: Record<string, unknown> = { Test: test };
    for (const [flag, key] of [['interval', 'Interval'], ['timeout', 'Timeout'], ['start-period', 'StartPeriod']] as const) {
      const v = inst.flags[flag];
      if (v === undefined || v === '') continue;
      let d: number;
      try { d = parseDuration(v, flag); } catch { throw fail(`time: invalid duration "${v}"`); }
      if (d < 1_000_000) throw fail(`Interval "${flag}" cannot be less than 1ms`);
      hc[key] = d;
    }
    const r = inst.flags.retries;
    if (r !== undefined && r !== '') {
      if (!/^[+-]?\d+$/.test(r)) throw fail(`strconv.ParseInt: parsing "${r}": invalid syntax`);
      if (Number(r) < 1) throw fail(`--retries must be at least 1 (not ${Number(r)})`);
      hc.Retries = Number(r);
    }
    st.config.Healthcheck = hc;
  } else {
    throw fail(`Unknown type "${kind}" in HEALTHCHECK (try CMD)`);
  }
  await h.commitMeta(st, `${NOP} HEALTHCHECK ${goQuotedHealthConfig(st.config.Healthcheck as Record<string, unknown>)}`);
};

const arg: Dispatcher = async (h, st, inst) => {
  const words = rawWords(inst.args, h.escape);
  if (words.length === 0) throw new InvalidArgumentError('ARG requires exactly one argument');
  const shown: string[] = [];
  for (const w of words) {
    const eq = w.indexOf('=');
    const name = eq < 0 ? w : w.slice(0, eq);
    const dflt = eq < 0 ? undefined : processWord(w.slice(eq + 1), h.env(st), h.escape);
    const value = h.buildArg(name) ?? dflt ?? h.metaArg(name);
    st.args.set(name, value);
    shown.push(eq < 0 ? name : `${name}=${dflt}`);
  }
  await h.commitMeta(st, `${NOP} ARG ${shown.join(' ')}`);
};

const onbuild: Dispatcher = async (h, st, inst) => {
  const trigger = parseInstruction(inst.args, inst.line);
  if (trigger.cmd === 'ONBUILD') throw new InvalidArgumentError('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
  if (trigger.cmd === 'FROM' || trigger.cmd === 'MAINTAINER') throw new InvalidArgumentError(`${trigger.cmd} isn't allowed as an ONBUILD trigger`);
  const text = `${trigger.cmd} ${inst.args.trim().replace(/^\S+\s*/, '')}`;
  st.config.OnBuild = [...(st.config.OnBuild ?? []), text];
  await h.commitMeta(st, `${NOP} ONBUILD ${text}`);
};

const run: Dispatcher = async (h, st, inst) => {
  const argv = shellForm(st, inst);
  const envKeys = new Set((st.config.Env ?? []).map((e) => e.split('=')[0]));
  const argEnv: string[] = [];
  const shown: string[] = [];
  // docker's builtin args (HTTP_PROXY, …) given with --build-arg reach RUN without an ARG line.
  const args = new Map(st.args);
  for (const k of PREDEFINED_ARGS) if (!args.has(k)) { const v = h.buildArg(k); if (v !== undefined) args.set(k, v); }
  for (const [k, v] of [...args].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (v === undefined || envKeys.has(k)) continue;
    argEnv.push(`${k}=${v}`);
    if (!PREDEFINED_ARGS.has(k)) shown.push(`${k}=${v}`);
  }
  const createdBy = (shown.length ? `|${shown.length} ${shown.join(' ')} ` : '') + argv.join(' ');
  await h.commitRun(st, createdBy, argv, argEnv);
};

export const DISPATCHERS: Record<string, Dispatcher> = {
  ENV: env, LABEL: label, MAINTAINER: maintainer, EXPOSE: expose, VOLUME: volume, USER: user, WORKDIR: workdir,
  STOPSIGNAL: stopsignal, SHELL: shell, CMD: cmd, ENTRYPOINT: entrypoint, HEALTHCHECK: healthcheck, ARG: arg,
  ONBUILD: onbuild, RUN: run, COPY: (h, st, i) => dispatchCopy(h, st, i, false), ADD: (h, st, i) => dispatchCopy(h, st, i, true),
};
