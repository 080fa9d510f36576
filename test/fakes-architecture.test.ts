/**
 * test/fakes stand in for drivers: they may use driver contracts, common, oci, the store and
 * the engine (the composition in engine.ts), never a real driver implementation (a fake that
 * delegates to runc or overlay2 would need root again) nor the daemon.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO } from './helpers/daemon.ts';

test('fakes import contracts, never driver implementations', () => {
  const dir = path.join(REPO, 'test', 'fakes');
  const bad: string[] = [];
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.ts'))) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    for (const m of text.matchAll(/from\s+['"]([^'"]+)['"]/g)) {
      const to = path.relative(path.join(REPO, 'src'), path.resolve(dir, m[1]!)).split(path.sep).join('/');
      if (to.startsWith('..')) continue; // node: modules and the fakes themselves
      const driverImpl = to.startsWith('drivers/') && !/^drivers\/[^/]+\/contract\.ts$/.test(to);
      if (driverImpl || to.startsWith('daemon/') || to.startsWith('api/server/') || to.startsWith('api/routers/')) bad.push(`${f} → ${to}`);
    }
  }
  assert.deepEqual(bad, []);
});
