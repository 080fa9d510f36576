// Bundles the two executables with esbuild. Native modules stay external.
// Code splitting keeps `wharf` fast: each CLI command is its own chunk, loaded on use.
// `wharfd` is one file with no lazy chunks: a long-running daemon must never load code from
// a dist/ that a later build replaced.
import { build } from 'esbuild';
import { renameSync, rmSync } from 'node:fs';

const external = ['better-sqlite3', 'koffi', 'node-unix-socket'];
// Build beside dist/ and swap it in, so processes started from dist/ never see a half build.
const out = new URL('../dist', import.meta.url);
const next = new URL(`../dist.next-${process.pid}`, import.meta.url);
const old = new URL(`../dist.old-${process.pid}`, import.meta.url);
rmSync(next, { recursive: true, force: true });
const common = {
  outdir: next.pathname,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  external,
  outExtension: { '.js': '.mjs' },
  banner: { js: "import { createRequire as __wharfCreateRequire } from 'node:module'; const require = __wharfCreateRequire(import.meta.url);" },
  logLevel: 'warning',
};
await build({ ...common, entryPoints: { wharf: 'src/cli/main.ts' }, splitting: true, chunkNames: 'chunks/[name]-[hash]' });
await build({ ...common, entryPoints: { wharfd: 'src/daemon/main.ts' }, splitting: false });

try { renameSync(out, old); } catch { /* first build */ }
renameSync(next, out);
rmSync(old, { recursive: true, force: true });
