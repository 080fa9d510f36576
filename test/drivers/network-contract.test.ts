/**
 * The NetworkDriver contract suite against the engine's fakes (the sandbox provider and a second
 * driver of networks only) and, as root, the bridge driver on a private bridge, chain prefix,
 * subnets and temp state (removed again, as in network-bridge.test.ts).
 */
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BridgeNetworkDriver } from '../../src/drivers/network/bridge/driver.ts';
import { FakeNetwork } from '../fakes/network.ts';
import { networkContract } from './network-contract.ts';

let fakeNext = 0;
networkContract('fake', async () => ({
  driver: new FakeNetwork(),
  freeSubnet: () => `10.201.${fakeNext++}.0/24`,
  cleanup: async () => undefined,
}));

// A driver of networks only (as macvlan would be), joining the sandboxes of another.
networkContract('fake second driver', async () => ({
  driver: new FakeNetwork({ name: 'fakevlan', sandboxes: false }),
  sandboxes: new FakeNetwork(),
  freeSubnet: () => `10.202.${fakeNext++}.0/24`,
  cleanup: async () => undefined,
}));

/** A random 10.X.Y.0/24 that no host route covers and this run has not handed out. */
const handed = new Set<string>();
function freeSubnet(): string {
  const routes = execFileSync('ip', ['-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' });
  for (;;) {
    const x = 200 + crypto.randomInt(50);
    const s = `10.${x}.${crypto.randomInt(256)}.0/24`;
    if (!routes.includes(`10.${x}.`) && !handed.has(s)) { handed.add(s); return s; }
  }
}

if (process.getuid?.() === 0) {
  networkContract('bridge', async () => {
    const tag = crypto.randomBytes(3).toString('hex');
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-netc-'));
    const driver = new BridgeNetworkDriver({
      stateDir: path.join(tmp, 'state'), execRoot: path.join(tmp, 'run'), bridgeName: `wc${tag}0`,
      bip: freeSubnet().replace(/0\/24$/, '1/24'), chainPrefix: `WC${tag.toUpperCase()}`,
    });
    await driver.init();
    return {
      driver, freeSubnet,
      cleanup: async () => {
        await driver.uninstall().catch((e: Error) => console.error('uninstall', e));
        fs.rmSync(tmp, { recursive: true, force: true });
      },
    };
  });
}
