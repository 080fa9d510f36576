/**
 * A container's device requests (`--gpus`, CDI devices) as container edits, with the errors a
 * client gets (400, docker's wording): checked at create (so a refused request leaves no
 * container behind) and resolved again at each start (the host may have changed).
 */
import { InvalidArgumentError } from '../../common/errors.ts';
import { CdiResolveError, DeviceRequestError, applyContainerEdits, resolveDeviceRequests, type ContainerEdits, type RuntimeSpec } from '../../oci/index.ts';
import type { ContainerRecord } from './record.ts';
import type { ContainersDeps } from './deps.ts';

function clientError(err: unknown): unknown {
  return err instanceof DeviceRequestError || err instanceof CdiResolveError ? new InvalidArgumentError((err as Error).message) : err;
}

/** The edits for `rec`'s requests; rootfs '' (create time) leaves out the ld cache hook. */
export function deviceEdits(reg: { deps: ContainersDeps }, rec: { HostConfig: Pick<ContainerRecord['HostConfig'], 'DeviceRequests'>; Config: { Env?: string[] | null } }, rootfs: string): ContainerEdits[] {
  const reqs = rec.HostConfig.DeviceRequests ?? [];
  if (!reqs.length) return [];
  try {
    return resolveDeviceRequests(reqs, { env: rec.Config.Env ?? [], rootfs, cdiSpecDirs: reg.deps.cdiSpecDirs });
  } catch (err) {
    throw clientError(err);
  }
}

/** Applies the edits to the container's OCI config (a CDI device node missing on the host: 400). */
export function applyDeviceEdits(spec: RuntimeSpec, edits: ContainerEdits[]): void {
  try {
    applyContainerEdits(spec, edits);
  } catch (err) {
    throw clientError(err);
  }
}
