/**
 * On-disk primitives both snapshot drivers share: directory names for chain ids and
 * snapshot keys, small metadata files, and build-in-a-temp-dir-then-rename for atomicity.
 * Temp dirs are `<root>/.tmp-*` and are removed at driver start (leftovers of a crash).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConflictError, InvalidArgumentError } from '../../../common/errors.ts';

const HEX64 = /^[0-9a-f]{64}$/;
const KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Directory name of a layer: the hex of `sha256:<hex>`. */
export function layerDirName(chainId: string): string {
  const hex = chainId.startsWith('sha256:') ? chainId.slice(7) : '';
  if (!HEX64.test(hex)) throw new InvalidArgumentError(`invalid chain id ${JSON.stringify(chainId)}`);
  return hex;
}

/** Directory name of a container snapshot: the key itself, validated. */
export function snapshotDirName(key: string): string {
  if (!KEY.test(key) || key === 'l') {
    throw new InvalidArgumentError(`invalid snapshot key ${JSON.stringify(key)}`);
  }
  return key;
}

export function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/**
 * Removes leftovers of interrupted work and of removals that failed (`<root>/.tmp-*`). One that
 * cannot go (an immutable file, a busy mount) never stops the driver: it is returned, for the
 * daemon to log, and tried again at the next start.
 */
export function cleanTemp(root: string): { path: string; error: string }[] {
  const failed: { path: string; error: string }[] = [];
  for (const name of fs.readdirSync(root)) {
    if (!name.startsWith('.tmp-')) continue;
    const p = path.join(root, name);
    try {
      fs.rmSync(p, { recursive: true, force: true });
    } catch (err) {
      failed.push({ path: p, error: (err as Error).message });
    }
  }
  return failed;
}

/** Builds a directory in `<root>/.tmp-*` with `build`, then renames it to `final`; nothing is left on failure. */
export async function buildAtomically(root: string, final: string, build: (tmp: string) => Promise<void> | void): Promise<void> {
  if (fs.existsSync(final)) throw new ConflictError(`${path.basename(final)} already exists`);
  const tmp = fs.mkdtempSync(path.join(root, '.tmp-'));
  try {
    fs.chmodSync(tmp, 0o700);
    await build(tmp);
    try {
      fs.renameSync(tmp, final);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') throw new ConflictError(`${path.basename(final)} already exists`);
      throw err;
    }
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Removes a directory tree so that it disappears at once (rename first, then delete). */
export async function removeAtomically(root: string, dir: string): Promise<void> {
  if (!fs.existsSync(dir)) return;
  const tmp = path.join(root, `.tmp-rm-${path.basename(dir)}-${process.pid}-${Date.now()}`);
  fs.renameSync(dir, tmp);
  try {
    // Off the event loop: a tree of files removed synchronously held every API request up.
    await fs.promises.rm(tmp, { recursive: true, force: true });
  } catch (err) {
    // The object is gone from the store's view; what is left to delete is `tmp`.
    throw Object.assign(err as Error, { leftover: tmp });
  }
}
