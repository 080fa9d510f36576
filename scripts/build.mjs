// Bundles the two executables with esbuild. Native modules stay external.
// Code splitting keeps `wharf` fast: each CLI command is its own chunk, loaded on use.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

const external = ['better-sqlite3', 'koffi', 'node-unix-socket'];
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { wharf: 'src/cli/main.ts', wharfd: 'src/daemon/main.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  external,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  banner: { js: "import { createRequire as __wharfCreateRequire } from 'node:module'; const require = __wharfCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
