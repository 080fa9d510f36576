/**
 * The dependency rule of docs/ARCHITECTURE.md, enforced by reading every import specifier
 * under src/ (static and dynamic). Imports point down only:
 *   cli → client → api/types → oci → common
 *   api/server → api/types (and below); api/routers/X → own folder + api/server + api/types (and below)
 *   engine/X → own folder, store, registry/client, driver contracts, other services' index.ts, api/types (and below)
 *   store → driver contracts, api/types (and below)
 *   drivers/K → own kind's folder, oci, common
 *   registry/{client,server} → registry, api/types (and below)
 *   cri → own room (cri/), services' index.ts (engine/X/index.ts), api/types (and below)
 *   daemon → anything (the composition root)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO } from './helpers/daemon.ts';

const SRC = path.join(REPO, 'src');

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  const re = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of text.matchAll(re)) out.push((m[1] ?? m[2])!);
  return out.filter((s) => s.startsWith('.'));
}

const below = ['api/types/', 'oci/', 'common/'];
const startsWithAny = (p: string, prefixes: string[]) => prefixes.some((x) => p.startsWith(x));

/** Whether a file at `from` (relative to src/, posix) may import `to`. */
export function allowed(from: string, to: string): boolean {
  const top = from.split('/')[0]!;
  if (top === 'daemon') return true;
  if (top === 'common') return to.startsWith('common/');
  if (top === 'oci') return startsWithAny(to, ['oci/', 'common/']);
  if (from.startsWith('api/types/')) return startsWithAny(to, below);
  if (from.startsWith('api/server/')) return startsWithAny(to, ['api/server/', ...below]);
  if (from.startsWith('api/routers/')) {
    const own = from.split('/').slice(0, 3).join('/') + '/';
    return startsWithAny(to, [own, 'api/server/', ...below]);
  }
  if (top === 'client') return startsWithAny(to, ['client/', ...below]);
  if (top === 'cli') return startsWithAny(to, ['cli/', 'client/', 'registry/server/', ...below]);
  if (top === 'registry') return startsWithAny(to, ['registry/', ...below]);
  if (top === 'drivers') {
    const own = from.split('/').slice(0, 2).join('/') + '/';
    return startsWithAny(to, [own, 'oci/', 'common/']);
  }
  if (top === 'cri') return /^engine\/[^/]+\/index\.ts$/.test(to) || startsWithAny(to, ['cri/', ...below]);
  const contract = /^drivers\/[^/]+\/contract\.ts$/.test(to);
  if (top === 'store') return contract || startsWithAny(to, ['store/', ...below]);
  if (top === 'engine') {
    const own = from.split('/').slice(0, 2).join('/') + '/';
    const otherIndex = /^engine\/[^/]+\/index\.ts$/.test(to);
    return contract || otherIndex || startsWithAny(to, [own, 'store/', 'registry/client/', ...below]);
  }
  return false;
}

test('imports follow the dependency rule', () => {
  const violations: string[] = [];
  for (const file of walk(SRC)) {
    const from = path.relative(SRC, file).split(path.sep).join('/');
    for (const spec of importsOf(file)) {
      const to = path.relative(SRC, path.resolve(path.dirname(file), spec)).split(path.sep).join('/');
      if (to.startsWith('..')) { violations.push(`${from} imports outside src: ${spec}`); continue; }
      if (!allowed(from, to)) violations.push(`${from} → ${to}`);
    }
  }
  assert.deepEqual(violations, []);
});

test('the rule itself: examples', () => {
  assert.ok(allowed('cli/commands/ps.ts', 'client/client.ts'));
  assert.ok(!allowed('client/client.ts', 'cli/main.ts'));
  assert.ok(allowed('engine/containers/index.ts', 'drivers/runtime/contract.ts'));
  assert.ok(!allowed('engine/containers/index.ts', 'drivers/runtime/runc/driver.ts'));
  assert.ok(!allowed('api/routers/images/handlers.ts', 'engine/images/index.ts'));
  assert.ok(!allowed('api/routers/images/handlers.ts', 'api/routers/containers/backend.ts'));
  assert.ok(!allowed('drivers/snapshot/vfs/driver.ts', 'drivers/runtime/contract.ts'));
  assert.ok(allowed('daemon/daemon.ts', 'drivers/snapshot/overlay2/driver.ts'));
  assert.ok(allowed('cri/sandbox.ts', 'engine/containers/index.ts'));
  assert.ok(!allowed('cri/sandbox.ts', 'engine/containers/lifecycle.ts'));
  assert.ok(!allowed('cri/grpc.ts', 'api/server/server.ts'));
  assert.ok(!allowed('engine/containers/index.ts', 'cri/index.ts'));
});
