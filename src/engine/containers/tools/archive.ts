/**
 * The archive endpoints over a container's filesystem view (docker cp):
 *   HEAD  /containers/{id}/archive?path=P  → statPath: {name,size,mode,mtime,linkTarget}
 *   GET   /containers/{id}/archive?path=P  → a tar of P named by its base name
 *   PUT   /containers/{id}/archive?path=D  → extract a tar into directory D
 * Paths resolve as moby's ResolvePath: the directory part with symlinks followed in the
 * container's scope, the last component not followed (unless the path ends in `/` or `/.`),
 * so `GET` of a symlink returns the link itself and the CLI's `-L` asks again for linkTarget.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError, NotFoundError } from '../../../common/errors.ts';
import { tarStream } from '../../../common/tar/index.ts';
import { extractArchive, type ExtractOptions } from './extract.ts';
import { goFileMode, walkEntries } from './fs-walk.ts';
import { cleanContainerPath, lstatOrUndefined, type ContainerFs, type ResolvedPath } from './path-resolve.ts';

export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

function endsWithDirMarker(p: string): boolean {
  return p.endsWith('/') || p.endsWith('/.') || p === '.';
}

/** Resolves a user path as docker's ResolvePath does, with the 404 docker gives. */
function resolveExisting(cfs: ContainerFs, p: string, containerId: string): { r: ResolvedPath; st: fs.Stats } {
  const r = cfs.resolve(p, endsWithDirMarker(p));
  const st = lstatOrUndefined(r.host);
  if (!st) throw new NotFoundError(`Could not find the file ${p} in container ${containerId}`);
  if (endsWithDirMarker(p) && !st.isDirectory()) throw new InvalidArgumentError(`not a directory: ${p}`);
  return { r, st };
}

export function statPath(cfs: ContainerFs, p: string, containerId: string): PathStat {
  const { r, st } = resolveExisting(cfs, p, containerId);
  let linkTarget = '';
  if (st.isSymbolicLink()) linkTarget = cfs.resolve(r.path, true).path;
  const abs = cleanContainerPath(p);
  return { name: abs === '/' ? '/' : path.posix.basename(abs), size: st.size, mode: goFileMode(st), mtime: st.mtime.toISOString(), linkTarget };
}

/** Streams the tar of `p` to `out` (the caller has answered the headers). */
export async function archiveGet(cfs: ContainerFs, p: string, containerId: string, out: NodeJS.WritableStream): Promise<void> {
  const { r } = resolveExisting(cfs, p, containerId);
  const abs = cleanContainerPath(p);
  const top = p.endsWith('/.') || p === '.' ? '.' : abs === '/' ? '/' : path.posix.basename(abs);
  await pipeline(Readable.from(tarStream(walkEntries(cfs, r.path, top))), out as NodeJS.WritableStream);
}

/** Extracts `body` into directory `p` (symlinks followed, the last one too). */
export async function archivePut(cfs: ContainerFs, p: string, containerId: string, body: AsyncIterable<Buffer | Uint8Array>, o: ExtractOptions): Promise<void> {
  const r = cfs.resolve(p, true);
  const st = lstatOrUndefined(r.host);
  if (!st) throw new NotFoundError(`Could not find the file ${p} in container ${containerId}`);
  if (!st.isDirectory()) throw new InvalidArgumentError('extraction point is not a directory');
  const writable = r.mount ? !r.mount.readOnly : !o.readonlyRootfs;
  if (!writable) throw new InvalidArgumentError(r.mount ? 'mounted volume is marked read-only' : 'container rootfs is marked read-only');
  await extractArchive(cfs, r.path, body, o);
}
