/** Name of the filesystem a directory lives on (`info` "Backing Filesystem"). */
import fs from 'node:fs';

const names: Record<number, string> = {
  0xef53: 'extfs', 0x58465342: 'xfs', 0x01021994: 'tmpfs', 0x9123683e: 'btrfs', 0x794c7630: 'overlayfs',
  0x2fc12fc1: 'zfs', 0x6969: 'nfs', 0xf2f52010: 'f2fs',
};

export function backingFs(dir: string): string {
  try {
    const t = fs.statfsSync(dir).type;
    return names[t] ?? `0x${t.toString(16)}`;
  } catch {
    return 'unknown';
  }
}
