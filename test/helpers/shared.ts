/**
 * `../shared/` (specs, tools, conformance suites) lies beside the repository's checkout,
 * wherever that is. A git worktree is elsewhere: its `.git` file names the main
 * repository's git dir, and shared/ lies beside that checkout.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function mainCheckout(repo: string): string {
  const dotGit = path.join(repo, '.git');
  let st: fs.Stats;
  try { st = fs.statSync(dotGit); } catch { return repo; }
  if (st.isDirectory()) return repo;
  const m = /^gitdir:\s*(.+)$/m.exec(fs.readFileSync(dotGit, 'utf8'));
  if (!m) return repo;
  const gitDir = path.resolve(repo, m[1]!.trim());
  let common = gitDir;
  try { common = path.resolve(gitDir, fs.readFileSync(path.join(gitDir, 'commondir'), 'utf8').trim()); } catch { /* not a worktree */ }
  return path.dirname(common);
}

/** The path of `rel` under ../shared: beside this checkout, else beside the main checkout of a worktree. */
export function sharedPath(...rel: string[]): string {
  const here = path.join(REPO, '..', 'shared', ...rel);
  if (fs.existsSync(here)) return here;
  const main = path.join(mainCheckout(REPO), '..', 'shared', ...rel);
  return fs.existsSync(main) ? main : here;
}
