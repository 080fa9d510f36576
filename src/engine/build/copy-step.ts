/**
 * COPY and ADD: sources from the build context (or `--from=stage|image`), wildcards, a
 * directory's contents, `--chown=user[:group]` resolved in the image's own passwd/group, ADD's
 * extraction of local tar archives (plain, gzip, bzip2, xz) and ADD of a URL (downloaded as a
 * file, never extracted; through the daemon's HTTP(S)_PROXY / NO_PROXY, as docker's is).
 * Sources are hashed for the layer cache: the history line is
 * docker's `COPY file:<sha256> in /dest `.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError } from '../../common/errors.ts';
import { createHttpRequester, proxyFromEnv, ProxyResolver, type HttpResponse } from '../../registry/client/index.ts';
import { TarReader } from '../../common/tar/index.ts';
import { resolveUser } from '../../oci/index.ts';
import { decompress, isTarArchive } from './archive.ts';
import { BuildContext, hashTree } from './context.ts';
import type { Instruction } from './parser.ts';
import type { CtxNode, ReceivedContext } from './received-context.ts';
import { copyTree, extractTarInto, mkdirInRoot, resolveInRoot, type Owner } from './scoped-fs.ts';
import type { StageState, StepHost } from './state.ts';
import { processWord, processWords } from './substitute.ts';

const NOP = '/bin/sh -c #(nop) ';

/** A source on disk (`--from` rootfs, ADD download) or an entry of the received context. */
type Item = { rel: string; host: string; url?: string } | { rel: string; node: CtxNode; ctx: ReceivedContext };

function isUrl(s: string): boolean {
  return /^https?:\/\//i.test(s);
}

/** `--chown=user[:group]` inside the image: names from its /etc/passwd and /etc/group. */
export function resolveChown(rootfs: string, spec: string): Owner {
  const [u = '', g] = spec.split(':', 2);
  const uid = /^\d+$/.test(u) ? Number(u) : resolveUser(rootfs, u).uid;
  if (g === undefined || g === '') return { uid, gid: uid };
  const gid = /^\d+$/.test(g) ? Number(g) : resolveUser(rootfs, `0:${g}`).gid;
  return { uid, gid };
}

async function download(url: string, dir: string): Promise<Item> {
  let res: HttpResponse;
  try {
    res = await createHttpRequester(new ProxyResolver(proxyFromEnv()))({ url, maxRedirects: 10, headers: { 'User-Agent': 'wharf/0.1 (build)' } });
  } catch (err) {
    throw new InvalidArgumentError(`failed to GET ${url}: ${(err as Error).message}`);
  }
  if (res.status < 200 || res.status > 299) {
    res.drain();
    throw new InvalidArgumentError(`failed to GET ${url} with status ${res.status} ${res.body.statusMessage ?? ''}`.trimEnd());
  }
  const name = decodeURIComponent(new URL(url).pathname.split('/').filter(Boolean).pop() ?? '') || 'download';
  const sub = path.join(dir, `dl-${randomBytes(6).toString('hex')}`);
  fs.mkdirSync(sub, { recursive: true });
  const file = path.join(sub, name);
  await pipeline(res.body, fs.createWriteStream(file, { mode: 0o600 }));
  fs.chmodSync(file, 0o600);
  const lm = res.headers['last-modified'];
  const t = lm ? Date.parse(lm) : NaN;
  if (!Number.isNaN(t)) fs.utimesSync(file, t / 1000, t / 1000);
  return { rel: name, host: file, url };
}

async function place(rootfs: string, item: Item, dest: string, intoDir: boolean, owner: Owner, extract: boolean, chowned: boolean): Promise<void> {
  const onDisk = 'host' in item;
  const isDir = onDisk ? fs.lstatSync(item.host).isDirectory() : item.node.type === 'dir';
  if (isDir) {
    const target = mkdirInRoot(rootfs, dest);
    if (onDisk) for (const e of fs.readdirSync(item.host).sort()) copyTree(path.join(item.host, e), path.join(target, e), owner);
    else for (const [name, c] of item.ctx.entries(item.node)) item.ctx.copyInto(c, path.join(target, name), owner);
    return;
  }
  const open = () => (onDisk ? fs.createReadStream(item.host) : item.ctx.open(item.node));
  const isFile = onDisk ? fs.lstatSync(item.host).isFile() : item.node.type === 'file';
  if (extract && isFile && await isTarArchive(open)) {
    mkdirInRoot(rootfs, dest);
    const { stream } = await decompress(open());
    await extractTarInto(rootfs, dest, new TarReader(stream), { owner: chowned ? owner : undefined });
    return;
  }
  let target = dest;
  if (intoDir || fs.lstatSync(resolveInRoot(rootfs, dest), { throwIfNoEntry: false })?.isDirectory()) {
    target = path.posix.join(dest, path.posix.basename(item.rel));
  }
  const parent = mkdirInRoot(rootfs, path.posix.dirname(target));
  const to = path.join(parent, path.posix.basename(target));
  if (onDisk) copyTree(item.host, to, owner);
  else item.ctx.copyInto(item.node, to, owner);
}

function sourceHash(items: Item[]): string {
  const parts = items.map((i) => { const h = 'host' in i ? hashTree(i.host) : i.ctx.hash(i.node, i.rel); return `${h.kind}:${h.hex}`; });
  if (parts.length === 1) return parts[0]!;
  return `multi:${createHash('sha256').update(parts.join(',')).digest('hex')}`;
}

export async function dispatchCopy(h: StepHost, st: StageState, inst: Instruction, isAdd: boolean): Promise<void> {
  const cmd = isAdd ? 'ADD' : 'COPY';
  const env = h.env(st);
  const words = inst.json ? inst.json.map((w) => processWord(w, env, h.escape)) : processWords(inst.args, env, h.escape);
  if (words.length < 2) throw new InvalidArgumentError(`${cmd} requires at least two arguments, but only one was provided. Destination could not be determined.`);
  const rawDest = words.at(-1)!;
  const srcs = words.slice(0, -1);
  const from = inst.flags.from !== undefined ? processWord(inst.flags.from, env, h.escape) : undefined;
  if (from !== undefined && isAdd) throw new InvalidArgumentError('ADD does not support the --from flag');
  const chown = inst.flags.chown ? processWord(inst.flags.chown, env, h.escape) : undefined;
  const wd = st.config.WorkingDir || '/';
  const dirSyntax = rawDest.endsWith('/') || rawDest === '.' || rawDest.endsWith('/.');
  const dest = path.posix.normalize(rawDest.startsWith('/') ? rawDest : path.posix.join(wd, rawDest));
  const multi = srcs.length > 1 || srcs.some((s) => /[*?[]/.test(s));
  if (multi && !dirSyntax) throw new InvalidArgumentError(`When using ${cmd} with more than one source file, the destination must be a directory and end with a /`);

  const run = async (sources: (src: string) => Item[]): Promise<void> => {
    const items: Item[] = [];
    for (const s of srcs) {
      if (isAdd && isUrl(s)) items.push(await download(s, h.workDir));
      else items.push(...sources(s));
    }
    if (items.length > 1 && !dirSyntax) throw new InvalidArgumentError(`When using ${cmd} with more than one source file, the destination must be a directory and end with a /`);
    const createdBy = `${NOP}${cmd} ${chown ? `--chown=${chown} ` : ''}${from !== undefined ? `--from=${from} ` : ''}${sourceHash(items)} in ${dest}${dirSyntax && dest !== '/' ? '/' : ''} `;
    await h.commitFiles(st, createdBy, async (rootfs) => {
      const owner = chown ? resolveChown(rootfs, chown) : { uid: 0, gid: 0 };
      for (const item of items) await place(rootfs, item, dest, dirSyntax || items.length > 1, owner, isAdd && !('url' in item && item.url), !!chown);
    });
  };
  if (from !== undefined) await h.withSourceRoot(from, (root) => run((s) => BuildContext.at(root, false).sources(s, cmd)));
  else await run((s) => h.context.sources(s, cmd).map((c) => ({ ...c, ctx: h.context })));
}
