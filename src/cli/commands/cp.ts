/**
 * `wharf cp`: files between a container and the host over `GET/PUT/HEAD
 * /containers/{id}/archive`, with docker's destination rules (see cp-paths.ts). `-` reads or
 * writes a tar stream on stdin/stdout.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { ApiError } from '../../client/client.ts';
import { humanSize } from '../../common/human.ts';
import { TarReader, tarStream, type TarWriteEntry } from '../../common/tar/index.ts';
import { ignoreEpipe } from '../stream.ts';
import { CliExit, type CliContext } from '../context.ts';
import { newCommand } from '../docker-command.ts';
import { onlyErrno, onlyJsonSyntax } from '../../common/cleanups.ts';
import {
  CopyError, assertsDirectory, decodePathStat, isDirMode, isSymlinkMode, prepareArchiveCopy, rebaseEntry, safeJoin, splitCpArg,
  splitPathDirEntry, type CopyInfo, type PathStat,
} from '../cp-paths.ts';

async function statPath(ctx: CliContext, id: string, p: string): Promise<PathStat | undefined> {
  const { res } = await ctx.client().raw(`/containers/${id}/archive`, { method: 'HEAD', query: { path: p } });
  res.resume();
  if (res.statusCode === 404) return undefined;
  if ((res.statusCode ?? 500) >= 400) throw new ApiError(res.statusCode ?? 500, `Could not find the file ${p} in container ${id}`);
  return decodePathStat(res.headers['x-docker-container-path-stat'] as string | undefined);
}

/** Entries of a host path as tar entries named `base…` (`.` for `dir/.`), renamed per `rebase`. */
async function* hostEntries(srcPath: string, base: string, rebase: { from: string; to: string } | undefined, follow: boolean, counter: { bytes: number }): AsyncGenerator<TarWriteEntry> {
  async function* walk(abs: string, name: string, top: boolean): AsyncGenerator<TarWriteEntry> {
    const st = top && follow ? await fs.promises.stat(abs) : await fs.promises.lstat(abs);
    const header = { name: rebaseEntry(name, rebase), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) };
    if (st.isDirectory()) {
      yield { header: { ...header, type: 'dir' } };
      for (const child of (await fs.promises.readdir(abs)).sort()) yield* walk(path.join(abs, child), `${name}/${child}`, false);
    } else if (st.isSymbolicLink()) {
      yield { header: { ...header, type: 'symlink', linkname: await fs.promises.readlink(abs) } };
    } else if (st.isFile()) {
      counter.bytes += st.size;
      yield { header: { ...header, type: 'file', size: st.size }, body: fs.createReadStream(abs) as AsyncIterable<Buffer> };
    } else if (st.isFIFO()) {
      yield { header: { ...header, type: 'fifo' } };
    }
  }
  yield* walk(srcPath, base, true);
}

/** Extracts a tar stream under `dir`, renaming per `rebase`; returns bytes of file content. */
async function extract(src: AsyncIterable<Buffer>, dir: string, rebase: { from: string; to: string } | undefined): Promise<number> {
  let bytes = 0;
  const dirTimes: Array<[string, number]> = [];
  for await (const { header, body } of new TarReader(src)) {
    const dest = safeJoin(dir, rebaseEntry(header.name, rebase));
    switch (header.type) {
      case 'dir':
        await fs.promises.mkdir(dest, { recursive: true });
        await fs.promises.chmod(dest, header.mode);
        dirTimes.push([dest, header.mtime]);
        break;
      case 'file': {
        // A directory in the way is refused by the write below, with its own error.
        await fs.promises.rm(dest, { force: true, recursive: false }).catch((err) => onlyErrno(err, 'EISDIR', 'ERR_FS_EISDIR'));
        await pipeline(Readable.from(body), fs.createWriteStream(dest, { mode: header.mode }));
        await fs.promises.chmod(dest, header.mode);
        await fs.promises.utimes(dest, header.mtime, header.mtime);
        bytes += header.size;
        break;
      }
      case 'symlink':
        await fs.promises.rm(dest, { force: true });
        await fs.promises.symlink(header.linkname, dest);
        break;
      case 'link':
        await fs.promises.rm(dest, { force: true });
        await fs.promises.link(safeJoin(dir, rebaseEntry(header.linkname, rebase)), dest);
        break;
      default:
        for await (const _ of body) { /* skip */ }
    }
  }
  for (const [d, t] of dirTimes.reverse()) await fs.promises.utimes(d, t, t).catch((err) => onlyErrno(err, 'ENOENT'));
  return bytes;
}

async function fromContainer(ctx: CliContext, id: string, srcPath: string, dst: string, o: CpOpts): Promise<void> {
  let rebaseName: string | undefined;
  let src = srcPath;
  if (o.followLink) {
    // As docker's CLI: a failed stat only means "no link to follow"; the copy reports real errors.
    const st = await statPath(ctx, id, srcPath).catch(() => undefined);
    if (st && isSymlinkMode(st.mode)) {
      rebaseName = splitPathDirEntry(srcPath)[1];
      src = st.linkTarget.startsWith('/') ? st.linkTarget : path.posix.join(splitPathDirEntry(srcPath)[0], st.linkTarget);
    }
  }
  const { res } = await ctx.client().raw(`/containers/${id}/archive`, { query: { path: src } });
  if ((res.statusCode ?? 500) >= 400) {
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    let msg = Buffer.concat(chunks).toString('utf8');
    try { msg = (JSON.parse(msg) as { message: string }).message; } catch (err) { onlyJsonSyntax(err); /* plain text */ }
    throw new CliExit(1, `Error response from daemon: ${msg}`);
  }
  if (dst === '-') { await pipeline(res, ctx.out, { end: false }).catch(ignoreEpipe); return; }
  const stat = decodePathStat(res.headers['x-docker-container-path-stat'] as string | undefined);
  const srcInfo: CopyInfo = { path: src, exists: true, isDir: stat ? isDirMode(stat.mode) : false, rebaseName };
  let preRebase: { from: string; to: string } | undefined;
  if (rebaseName) preRebase = { from: splitPathDirEntry(src)[1], to: rebaseName };
  const dstInfo = hostInfo(dst);
  const plan = prepareArchiveCopy(srcInfo, dstInfo);
  const combined = preRebase && plan.rebase ? { from: preRebase.from, to: plan.rebase.to } : plan.rebase ?? preRebase;
  const bytes = await extract(res, plan.dstDir, combined);
  if (!o.quiet && ctx.err.isTTY) ctx.err.write(`Successfully copied ${humanSize(bytes, 3)} to ${dst}\n`);
}

function hostInfo(p: string): CopyInfo {
  let st: fs.Stats | undefined;
  try { st = fs.statSync(p); } catch { st = undefined; }
  if (!st) {
    const [parent] = splitPathDirEntry(p);
    if (!fs.existsSync(parent)) throw new CopyError(`stat ${parent}: no such file or directory`);
    return { path: p, exists: false, isDir: false };
  }
  return { path: p, exists: true, isDir: st.isDirectory() };
}

async function toContainer(ctx: CliContext, id: string, src: string, dstPath: string, o: CpOpts): Promise<void> {
  // As docker's CLI: a failed stat means "assume the parent exists"; the PUT reports real errors.
  let dstStat = await statPath(ctx, id, dstPath).catch(() => undefined);
  let resolved = dstPath;
  if (dstStat && isSymlinkMode(dstStat.mode)) {
    resolved = dstStat.linkTarget.startsWith('/') ? dstStat.linkTarget : path.posix.join(splitPathDirEntry(dstPath)[0], dstStat.linkTarget);
    dstStat = await statPath(ctx, id, resolved).catch(() => undefined);
  }
  const dstInfo: CopyInfo = { path: resolved, exists: !!dstStat, isDir: !!dstStat && isDirMode(dstStat.mode) };
  let body: Readable;
  let target: string;
  const counter = { bytes: 0 };
  if (src === '-') {
    if (!dstInfo.isDir) throw new CliExit(1, `destination "${id}:${dstPath}" must be a directory`);
    body = process.stdin;
    target = dstInfo.path;
  } else {
    let st: fs.Stats;
    try { st = o.followLink ? fs.statSync(src) : fs.lstatSync(src); } catch { throw new CliExit(1, `lstat ${path.resolve(src)}: no such file or directory`); }
    if (assertsDirectory(src) && !st.isDirectory()) throw new CliExit(1, `lstat ${src}: not a directory`);
    const [, base] = splitPathDirEntry(src);
    const srcInfo: CopyInfo = { path: src, exists: true, isDir: st.isDirectory() };
    const plan = prepareArchiveCopy(srcInfo, dstInfo);
    target = plan.dstDir;
    body = Readable.from(tarStream(hostEntries(src, base, plan.rebase, !!o.followLink, counter)));
  }
  const { res } = await ctx.client().raw(`/containers/${id}/archive`, { method: 'PUT', query: { path: target, noOverwriteDirNonDir: true, copyUIDGID: o.archive }, stream: body, contentType: 'application/x-tar' });
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  if ((res.statusCode ?? 500) >= 400) {
    let msg = Buffer.concat(chunks).toString('utf8');
    try { msg = (JSON.parse(msg) as { message: string }).message; } catch (err) { onlyJsonSyntax(err); /* plain text */ }
    throw new CliExit(1, `Error response from daemon: ${msg}`);
  }
  if (!o.quiet && ctx.err.isTTY && src !== '-') ctx.err.write(`Successfully copied ${humanSize(counter.bytes, 3)} to ${id}:${dstPath}\n`);
}

interface CpOpts { archive?: boolean; followLink?: boolean; quiet?: boolean }

export default function cp(ctx: CliContext): Command {
  return newCommand('cp').description('Copy files/folders between a container and the local filesystem')
    .usage('[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\twharf cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH')
    .argument('<src>').argument('<dest>')
    .flag('-a, --archive', 'Archive mode (copy all uid/gid information)')
    .flag('-L, --follow-link', 'Always follow symbol link in SRC_PATH')
    .flag('-q, --quiet', 'Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached')
    .action(async (srcArg: string, dstArg: string, o: CpOpts) => {
      const [srcCtr, srcPath] = splitCpArg(srcArg);
      const [dstCtr, dstPath] = splitCpArg(dstArg);
      if (srcCtr && dstCtr) throw new CliExit(1, 'copying between containers is not supported');
      if (!srcCtr && !dstCtr) throw new CliExit(1, 'must specify at least one container source');
      if ((srcCtr && !srcPath) || (dstCtr && !dstPath)) throw new CliExit(1, 'filepath: empty path');
      try {
        if (srcCtr) await fromContainer(ctx, srcCtr, srcPath, dstPath, o);
        else await toContainer(ctx, dstCtr!, srcPath, dstPath, o);
      } catch (e) {
        if (e instanceof CopyError) throw new CliExit(1, e.message);
        throw e;
      }
    });
}
