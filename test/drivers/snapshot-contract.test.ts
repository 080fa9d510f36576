/** The SnapshotDriver contract suite against overlay2, vfs (root) and the engine's fake. */
import { Overlay2Driver } from '../../src/drivers/snapshot/overlay2/driver.ts';
import { VfsDriver } from '../../src/drivers/snapshot/vfs/driver.ts';
import { FakeSnapshots } from '../fakes/snapshot.ts';
import { snapshotContract } from './snapshot-contract.ts';

snapshotContract('fake', (root) => new FakeSnapshots(root));
if (process.getuid?.() === 0) {
  snapshotContract('vfs', (root) => new VfsDriver({ root }));
  snapshotContract('overlay2', (root) => new Overlay2Driver({ root }));
}
