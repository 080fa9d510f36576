// Bundles the two executables with esbuild (native modules stay external), then writes the
// man pages (dist/man/wharf.1, wharf-run.1, …) from the CLI's command table.
// `wharfd` is one file with no lazy chunks: a long-running daemon must never load code from
// a dist/ that a later build replaced.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { renameSync, rmSync } from 'node:fs';

const external = ['better-sqlite3', 'koffi'];
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
// commander requires child_process at load for executable subcommands, which wharf never
// uses: a getter shim defers it (~6 ms of every CLI start).
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (a) => (/node_modules[\\/]commander[\\/]/.test(a.importer) ? { path: 'child_process', namespace: 'lazy-builtin' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, () => ({
      contents: "let m; module.exports = new Proxy({}, { get(_, k) { m ??= require('node:child_process'); return m[k]; } });",
      loader: 'js',
    }));
  },
};
// The CLI is one CommonJS file: modules a command reaches through import() initialise only
// when it runs, V8 compiles functions lazily, and boot.ts loads it through a code cache. import()
// becomes require() so nothing needs the ESM loader (~10 ms of every start on Node 20).
const cli = {
  ...common,
  format: 'cjs',
  outExtension: { '.js': '.cjs' },
  banner: {},
  supported: { 'dynamic-import': false },
  minifyWhitespace: true,
  minifySyntax: true,
  define: { 'import.meta.url': '__wharfImportMetaUrl' },
};
await build({ ...cli, entryPoints: { 'wharf-cli': 'src/cli/main.ts' }, plugins: [lazyChildProcess], banner: { js: "const __wharfImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" } });
await build({ ...cli, entryPoints: { wharf: 'src/cli/boot.ts' } });
await build({ ...common, entryPoints: { wharfd: 'src/daemon/main.ts' }, splitting: false });
// The json-file log monitor: one small process per exec root that outlives the daemon (log-monitor.ts).
await build({ ...common, entryPoints: { 'wharf-logmon': 'src/drivers/runtime/runc/log-monitor-main.ts' }, splitting: false });
// Man pages from the CLI's own command table (the hidden `__man` command of the fresh bundle).
const man = spawnSync(process.execPath, [new URL('wharf-cli.cjs', `${next.href}/`).pathname, '__man', new URL('man', `${next.href}/`).pathname], { stdio: ['ignore', 'inherit', 'inherit'] });
if (man.status !== 0) throw new Error(`man pages: wharf __man exited ${man.status ?? man.signal}`);

try { renameSync(out, old); } catch { /* first build */ }
renameSync(next, out);
rmSync(old, { recursive: true, force: true });
