/** The RuntimeDriver contract suite against the engine's fake (test/fakes/runtime.ts). */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildRuntimeSpec } from '../../src/oci/index.ts';
import { FakeRuntime } from '../fakes/runtime.ts';
import { runtimeContract } from './runtime-contract.ts';

runtimeContract('fake', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-fakert-'));
  const prefix = crypto.randomBytes(4).toString('hex');
  let n = 0;
  return {
    rt: new FakeRuntime(),
    newId: () => `f${prefix}-${n++}`,
    spec: (id, args) => buildRuntimeSpec({ rootfs: dir, args, hostname: id.slice(0, 12) }),
    logPath: (id) => path.join(dir, `${id}.log`),
    cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
});
