/** The VolumeDriver contract suite against local (its tmpfs mounts as root) and the unit tests' fake. */
import { LocalVolumeDriver } from '../../src/drivers/volume/local/driver.ts';
import { isMountPoint } from '../../src/common/native/mount.ts';
import { FakeVolumeDriver } from '../fakes/volume-driver.ts';
import { volumeContract } from './volume-contract.ts';

volumeContract('fake', (root) => {
  const driver = new FakeVolumeDriver(root);
  return { driver, registeredAs: 'fake', mountable: { opts: { device: 'x' }, isMounted: (n) => driver.mounted.has(n) } };
});
volumeContract('local', (root) => {
  const driver = new LocalVolumeDriver(root);
  const mountable = process.getuid?.() === 0
    ? { opts: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' }, isMounted: (n: string) => isMountPoint(driver.dataDir(n)) }
    : undefined;
  return { driver, registeredAs: 'local', mountable };
});
