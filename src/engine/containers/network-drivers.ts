/**
 * The containers engine's view of the network drivers: one sandbox provider makes every
 * container's netns, published ports and /etc files (deps.sandboxes), and the drivers by name
 * own the networks (deps.networks). A network is found across all drivers (full id, then exact
 * name, then a unique id prefix), and a container's connect/disconnect on it go to the driver
 * its NetworkInfo names.
 */
import { NotFoundError } from '../../common/errors.ts';
import type { NetworkDriver, NetworkInfo } from '../../drivers/network/contract.ts';

/** The network drivers by name (the composition root's DriverRegistry). */
export interface NetworkDrivers {
  find(name: string): NetworkDriver | undefined;
  /** Every driver in use (their networks are the daemon's networks). */
  instances(): NetworkDriver[];
}

/** Every network of every driver. */
export function allNetworks(drivers: NetworkDrivers | undefined): NetworkInfo[] {
  return drivers?.instances().flatMap((d) => d.listNetworks()) ?? [];
}

/** A network by full id, name or unique id prefix, whichever driver owns it. */
export function findNetwork(drivers: NetworkDrivers | undefined, ref: string): NetworkInfo | undefined {
  const hits = (drivers?.instances() ?? []).map((d) => d.getNetwork(ref)).filter((n): n is NetworkInfo => n !== undefined);
  return hits.find((n) => n.id === ref) ?? hits.find((n) => n.name === ref) ?? (hits.length === 1 ? hits[0] : undefined);
}

/** The driver that owns `info` (the one its record names). */
export function driverOf(drivers: NetworkDrivers | undefined, info: NetworkInfo): NetworkDriver {
  const d = drivers?.find(info.driver);
  if (!d) throw new NotFoundError(`plugin "${info.driver}" not found`);
  return d;
}
