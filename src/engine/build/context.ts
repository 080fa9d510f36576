/**
 * The build context: the uploaded tar (plain, gzip, bzip2 or xz) extracted into a private
 * directory, and the lookups COPY/ADD make in it. Sources are confined to the context:
 * `../x` and symlinks that lead out (absolute targets, climbing `..`) are refused with
 * docker's "forbidden path outside the build context" (SECURITY-CHECKS 15); a symlink
 * inside a copied directory is copied as a link.
 *
 * On disk: `<data-root>/build/<build-id>/context/` (removed after the build; leftovers of a
 * killed daemon are removed at the next start).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { InvalidArgumentError } from '../../common/errors.ts';
import { TarReader } from '../../common/tar/index.ts';
import { decompress } from './archive.ts';
import { extractTarInto, OutsideRootError, resolveInRoot } from './scoped-fs.ts';

export interface ContextSource {
  /** The path as matched, relative to the context (`a/b.txt`). */
  rel: string;
  /** Host path (resolved in scope). */
  host: string;
}

const GLOB = /[*?[]/;

/** filepath.Match for one pattern against a slash path (`*` does not cross `/`). */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) throw new InvalidArgumentError(`syntax error in pattern: ${pattern}`);
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^') || cls.startsWith('!')) cls = '^' + cls.slice(1);
      re += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (c === '\\' && i + 1 < pattern.length) re += pattern[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * A COPY/ADD source as context paths, the one rule for both contexts (the received one and a
 * stage's or image's root for `--from`): confined to the context, a wildcard pattern matched
 * against every path `walk` lists (none is an error), else the cleaned path itself.
 */
export function sourcePaths(src: string, cmd: string, walk: () => string[]): { clean: string; rels: string[]; glob: boolean } {
  const clean = path.posix.normalize(src.replace(/^\/+/, '') || '.');
  if (clean === '..' || clean.startsWith('../')) throw new InvalidArgumentError(`forbidden path outside the build context: ${src} ()`);
  if (!GLOB.test(clean)) return { clean, rels: [clean], glob: false };
  const re = globToRegExp(clean);
  const rels = walk().filter((rel) => re.test(rel));
  if (rels.length === 0) throw new InvalidArgumentError(`${cmd} failed: no source files were specified`);
  return { clean, rels, glob: true };
}

export class BuildContext {
  /** `strict`: symlinks that lead out are errors (the context); otherwise they resolve in scope (an image rootfs). */
  private constructor(readonly root: string, private readonly strict = true) {}

  /** Extracts the request body under `dir` (created). An empty body is an empty context. */
  static async extract(dir: string, body: Readable): Promise<BuildContext> {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { stream } = await decompress(body);
    await extractTarInto(dir, '/', new TarReader(terminated(stream)), { owner: { uid: 0, gid: 0 }, strict: true });
    return new BuildContext(dir);
  }

  static at(dir: string, strict = true): BuildContext {
    return new BuildContext(dir, strict);
  }

  /** The Dockerfile's text (`name` relative to the context). */
  readDockerfile(name: string): string {
    const text = this.readFile(name);
    if (text === undefined) throw new InvalidArgumentError(`Cannot locate specified Dockerfile: ${name}`);
    return text;
  }

  private readFile(name: string): string | undefined {
    try {
      return fs.readFileSync(resolveInRoot(this.root, name, { strict: true }), 'utf8');
    } catch {
      return undefined;
    }
  }

  /** Sources of a COPY/ADD: one path or a wildcard pattern, confined to the context. */
  sources(src: string, cmd: string): ContextSource[] {
    const { clean, rels, glob } = sourcePaths(src, cmd, () => this.walk());
    if (glob) return rels.map((rel) => ({ rel, host: this.resolve(rel, src) }));
    const host = this.resolve(clean, src);
    if (!fs.existsSync(host) && !isLink(host)) {
      throw new InvalidArgumentError(`${cmd} failed: file not found in build context or excluded by .dockerignore: stat ${clean}: file does not exist`);
    }
    return [{ rel: clean, host }];
  }

  private resolve(rel: string, src: string): string {
    try {
      return resolveInRoot(this.root, rel, { strict: this.strict });
    } catch (err) {
      if (err instanceof OutsideRootError) throw new InvalidArgumentError(`forbidden path outside the build context: ${src} ()`);
      throw err;
    }
  }

  /** Every path in the context (relative, slash-separated), parents before children. */
  private walk(): string[] {
    const out: string[] = [];
    const rec = (dir: string, prefix: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const rel = prefix ? `${prefix}/${e.name}` : e.name;
        out.push(rel);
        if (e.isDirectory()) rec(path.join(dir, e.name), rel);
      }
    };
    rec(this.root, '');
    return out;
  }
}

/**
 * The docker CLI (classic builder, `-f` outside the context) sends the context without the
 * last entry's padding and without the end-of-archive blocks; Go's tar reader takes that as
 * a clean end. Pad the stream to a block boundary and add the end marker so ours does too.
 */
async function* terminated(src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let n = 0;
  for await (const c of src) { n += c.length; yield c; }
  yield Buffer.alloc((512 - (n % 512)) % 512 + 1024);
}

/** Feeds a file's bytes to `h` in 1 MiB reads (no whole-file buffer). */
function hashFile(h: ReturnType<typeof createHash>, file: string): void {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
}

function isLink(p: string): boolean {
  try { return fs.lstatSync(p).isSymbolicLink(); } catch { return false; }
}

/**
 * Content hash of a host file or tree for the layer cache (names, modes, link targets and
 * bytes; not times or owners — docker's `file:<hex>` / `dir:<hex>`).
 */
export function hashTree(host: string): { kind: 'file' | 'dir'; hex: string } {
  const h = createHash('sha256');
  const st = fs.lstatSync(host);
  const visit = (p: string, rel: string) => {
    const s = fs.lstatSync(p);
    h.update(`${rel}\0${s.mode.toString(8)}\0`);
    if (s.isSymbolicLink()) h.update(`L${fs.readlinkSync(p)}\0`);
    else if (s.isFile()) { h.update(`F${s.size}\0`); hashFile(h, p); }
    else if (s.isDirectory()) for (const e of fs.readdirSync(p).sort()) visit(path.join(p, e), `${rel}/${e}`);
  };
  visit(host, '.');
  return { kind: st.isDirectory() ? 'dir' : 'file', hex: h.digest('hex') };
}
