/**
 * `.dockerignore` as docker reads and matches it (moby builder/dockerignore ReadAll and
 * pkg/fileutils PatternMatcher, docker 20.10), shared by the build client (what goes into
 * the context) and the classic builder (which drops the Dockerfile and .dockerignore
 * themselves from the context when they are excluded).
 *
 *   const pm = new PatternMatcher(readDockerignore('*.log\n!keep.log\n**\/tmp\n'));
 *   pm.matches('a.log');        // true  (excluded)
 *   pm.matches('keep.log');     // false (the later exception wins)
 *   pm.matches('x/tmp/z');      // true  (a pattern matching a parent directory excludes it)
 *
 * Rules: lines starting with `#` are comments, blank lines are skipped, patterns are cleaned
 * like Go's filepath.Clean (`./a/` = `a`, `a/../b` = `b`) and a leading `/` is dropped; `!`
 * makes an exception; the last matching pattern decides. `*` and `?` do not cross `/`, `**`
 * matches any number of directories (`**\/` also none), `\` escapes the next character. The
 * pattern `.` matches nothing (the context root is never excluded).
 */

/** Go's filepath.Clean for slash paths. */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length && out.at(-1) !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const s = out.join('/');
  return rooted ? '/' + s : s || '.';
}

/** The exclude patterns of a .dockerignore file, in order (`!` kept in front of exceptions). */
export function readDockerignore(text: string): string[] {
  const out: string[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    let line = i === 0 ? raw.replace(/^\uFEFF/, '') : raw;
    if (line.startsWith('#')) continue;
    line = line.trim();
    if (line === '') continue;
    const invert = line.startsWith('!');
    if (invert) line = line.slice(1).trim();
    if (line.length > 0) {
      line = cleanPath(line);
      if (line.length > 1 && line.startsWith('/')) line = line.slice(1);
    }
    out.push(invert ? '!' + line : line);
  }
  return out;
}

const REGEX_SPECIAL = /[\\^$.*+?()[\]{}|/-]/;

/**
 * One pattern as moby compiles it to a regular expression (anchored at both ends). Like
 * moby, characters other than `*`, `?`, `.`, `$` and `\` go into the expression as they are
 * (`[a-z]` is a class).
 */
function compile(pattern: string): RegExp {
  let re = '^';
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '*') {
      if (chars[i + 1] === '*') {
        i++;
        if (chars[i + 1] === '/') i++;
        re += i + 1 >= chars.length ? '.*' : '(.*/)?';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '.' || c === '$') re += '\\' + c;
    else if (c === '\\') {
      if (i + 1 < chars.length) {
        const n = chars[++i]!;
        re += REGEX_SPECIAL.test(n) ? '\\' + n : n;
      } else re += '\\\\';
    } else re += c;
  }
  return new RegExp(re + '$');
}

export class IgnorePattern {
  readonly exclusion: boolean;
  /** The cleaned pattern without `!`. */
  readonly cleaned: string;
  readonly dirs: string[];
  private readonly re: RegExp;

  constructor(raw: string) {
    let p = cleanPath(raw.trim());
    this.exclusion = p.startsWith('!');
    if (this.exclusion) {
      if (p.length === 1) throw new Error('illegal exclusion pattern: "!"');
      p = p.slice(1);
    }
    this.cleaned = p;
    this.dirs = p.split('/');
    try {
      this.re = compile(p);
    } catch {
      throw new Error('syntax error in pattern');
    }
  }

  match(path: string): boolean {
    return this.re.test(path);
  }
}

export class PatternMatcher {
  readonly patterns: IgnorePattern[];

  /** Throws on a malformed pattern (`!` alone, an unbalanced `[`). */
  constructor(patterns: readonly string[]) {
    this.patterns = patterns.filter((p) => p.trim() !== '').map((p) => new IgnorePattern(p));
  }

  /** Whether some pattern is an exception (`!…`). */
  get exclusions(): boolean {
    return this.patterns.some((p) => p.exclusion);
  }

  /** Whether the context-relative slash path is excluded (a match on a parent directory counts). */
  matches(file: string): boolean {
    file = cleanPath(file);
    if (file === '.') return false;
    const slash = file.lastIndexOf('/');
    const parent = slash < 0 ? '.' : file.slice(0, slash) || '/';
    const parentDirs = parent.split('/');
    let matched = false;
    for (const p of this.patterns) {
      let hit = p.match(file);
      if (!hit && parent !== '.' && p.dirs.length <= parentDirs.length) {
        hit = p.match(parentDirs.slice(0, p.dirs.length).join('/'));
      }
      if (hit) matched = !p.exclusion;
    }
    return matched;
  }

  /**
   * For an excluded directory: whether its walk must go on because an exception may
   * re-include something under it (docker's TarWithOptions).
   */
  mayIncludeUnder(dir: string): boolean {
    const prefix = dir + '/';
    return this.patterns.some((p) => p.exclusion && (p.cleaned + '/').startsWith(prefix));
  }
}

/** fileutils.Matches: whether `file` is excluded by `patterns` (false on a malformed pattern list). */
export function matchesDockerignore(file: string, patterns: readonly string[]): boolean {
  let pm: PatternMatcher;
  try { pm = new PatternMatcher(patterns); } catch { return false; }
  return pm.matches(file);
}
