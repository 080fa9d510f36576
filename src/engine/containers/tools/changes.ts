/**
 * `docker diff` as docker shows it. Docker keeps the files the engine itself puts into every
 * container in an "init" layer under the container's own layer (moby daemon/initlayer:
 * /etc/hosts, /etc/hostname, /etc/resolv.conf, /etc/mtab, /.dockerenv, the /dev, /proc and /sys
 * mount points), so a fresh container's diff shows only what its process changed. We have no
 * init layer: runc creates missing mount points in the container's own layer. This drops them,
 * and a directory that only holds them (`/etc` copied up or created for `/etc/hostname`):
 *
 *   [C /etc, A /etc/hostname, A /etc/hosts, A /etc/resolv.conf, A /test]  →  [A /test]
 *   [C /etc, A /etc/foo, A /etc/hosts]                                   →  [C /etc, A /etc/foo]
 *
 * Volume and bind mount points stay, as in docker (they are in the container's layer there too).
 * Known difference: a `chmod /etc` alone is hidden when runc also created a file in /etc.
 */
export interface Change {
  Path: string;
  Kind: 0 | 1 | 2;
}

const ENGINE_PATHS = new Set([
  '/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/etc/mtab', '/.dockerenv',
  '/dev', '/dev/pts', '/dev/shm', '/dev/console', '/proc', '/sys',
]);

function isUnder(p: string, dir: string): boolean {
  return p.startsWith(`${dir}/`);
}

export function withoutEnginePaths(changes: Change[]): Change[] {
  const dropped = changes.filter((c) => ENGINE_PATHS.has(c.Path)).map((c) => c.Path);
  if (dropped.length === 0) return changes;
  let kept = changes.filter((c) => !ENGINE_PATHS.has(c.Path));
  // Deepest first, so a parent sees whether its children were dropped.
  const holders = kept
    .filter((c) => c.Kind !== 2 && dropped.some((d) => isUnder(d, c.Path)))
    .sort((a, b) => b.Path.length - a.Path.length);
  for (const h of holders) {
    if (!kept.some((c) => isUnder(c.Path, h.Path))) kept = kept.filter((c) => c !== h);
  }
  return kept;
}
