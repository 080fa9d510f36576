/**
 * A container's volumes in use: created if missing, mounted by the volume driver, filled from
 * the image on first use (copy-up into an empty volume, unless `nocopy`), and given back when
 * the use ends. A start uses them for the whole run; `docker cp` against a stopped container
 * for the duration of the copy (as moby's archive code mounts them).
 *
 *   prepareVolumes(reg, rec, rootfs);   // MountPoints[].Source = each volume's directory
 *   …
 *   releaseVolumes(reg, rec);           // `unmount` events; driver unmount when last user
 */
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from '../../common/errors.ts';
import { resolveInRoot } from './mounts.ts';
import type { ContainerRecord } from './record.ts';
import type { ContainerRegistry } from './service.ts';
import { onlyErrno } from '../../common/cleanups.ts';

const NO_OWNERSHIP = ['EPERM', 'EOPNOTSUPP', 'EINVAL', 'ENOSYS'];

export function prepareVolumes(reg: ContainerRegistry, rec: ContainerRecord, rootfs: string): void {
  const { volumes } = reg.deps;
  for (const m of rec.MountPoints) {
    if (m.Type !== 'volume') continue;
    if (!volumes) throw new InvalidArgumentError('volumes are not available in this daemon');
    const v = volumes.ensure(m.Name!, { anonymous: !!m.Anonymous, containerId: rec.Id, destination: m.Destination, rw: m.RW, propagation: m.Propagation, labels: m.VolumeOptions?.Labels, driverOpts: m.VolumeOptions?.DriverOpts, driver: m.Driver });
    m.Source = v.mountpoint;
    if (m.Mode !== 'nocopy' && volumes.isEmpty(m.Name!)) copyUp(resolveInRoot(rootfs, m.Destination), v.mountpoint);
  }
}

export function releaseVolumes(reg: ContainerRegistry, rec: ContainerRecord): void {
  const { deps } = reg;
  for (const m of rec.MountPoints) {
    if (m.Type !== 'volume' || !m.Name) continue;
    try { deps.volumes?.unmount?.(m.Name, rec.Id); } catch (e) { deps.logger.warn(`unmount of volume ${m.Name}: ${(e as Error).message}`); }
  }
}

function copyUp(src: string, dst: string): void {
  let st: fs.Stats;
  try { st = fs.lstatSync(src); } catch { return; }
  if (!st.isDirectory()) return;
  fs.cpSync(src, dst, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true, force: false, errorOnExist: false });
  const top = fs.statSync(src);
  fs.chmodSync(dst, top.mode & 0o7777);
  fs.chownSync(dst, top.uid, top.gid);
  chownTree(src, dst);
}

function chownTree(src: string, dst: string): void {
  for (const e of fs.readdirSync(src, { withFileTypes: true })) {
    const s = path.join(src, e.name);
    const d = path.join(dst, e.name);
    const st = fs.lstatSync(s);
    // A volume filesystem without ownership or modes (EPERM/EOPNOTSUPP/EINVAL) keeps its own.
    try { fs.lchownSync(d, st.uid, st.gid); } catch (err) { onlyErrno(err, ...NO_OWNERSHIP); }
    // chown clears setuid/setgid: put the image's mode back.
    if (!st.isSymbolicLink()) try { fs.chmodSync(d, st.mode & 0o7777); } catch (err) { onlyErrno(err, ...NO_OWNERSHIP); }
    if (e.isDirectory()) chownTree(s, d);
  }
}
