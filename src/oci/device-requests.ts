/**
 * HostConfig.DeviceRequests → container edits, with moby's driver selection: a request naming
 * driver `cdi` resolves its DeviceIDs from the CDI specs on the host; a request with no driver
 * (or `nvidia`) whose capabilities match the nvidia set (`gpu`, `nvidia`, `compute`, …) is
 * served from the host's NVIDIA driver directly (nvidia.ts), honouring NVIDIA_VISIBLE_DEVICES
 * and NVIDIA_DRIVER_CAPABILITIES as the NVIDIA container toolkit does.
 */
import { DEFAULT_CDI_SPEC_DIRS, loadCdiRegistry, resolveCdiDevices, type CdiRegistry, type ContainerEdits } from './cdi.ts';
import { ALL_NVIDIA_CAPABILITIES, driverCapabilities, nvidiaEdits, probeNvidiaCached, selectGpus, type NvidiaHost } from './nvidia.ts';

export interface DeviceRequest {
  Driver?: string;
  Count?: number;
  DeviceIDs?: string[] | null;
  Capabilities?: string[][] | null;
  Options?: Record<string, string> | null;
}

export interface DeviceRequestHost {
  /** The container's env (image env merged with its own). */
  env: readonly string[];
  /** The container's rootfs (for the ld cache hook); '' at create time. */
  rootfs: string;
  /** Where CDI specs are read (undefined: /etc/cdi, /var/run/cdi; empty: CDI is off). */
  cdiSpecDirs?: readonly string[];
  /** Injectable host probes (tests). */
  nvidia?: () => NvidiaHost | undefined;
  cdi?: (dirs: readonly string[]) => CdiRegistry;
}

/** A request no driver can serve, or devices that are not there (the message says which). */
export class DeviceRequestError extends Error {}

const NVIDIA_CAPSET = new Set(['gpu', 'nvidia', ...ALL_NVIDIA_CAPABILITIES]);

/** Go's %v of a [][]string: `[[gpu compute]]`. */
function goCaps(c: string[][] | null | undefined): string {
  return `[${(c ?? []).map((l) => `[${l.join(' ')}]`).join(' ')}]`;
}

/** moby capabilities.Set.Match: the first AND-list wholly inside the driver's set. */
function matchCaps(c: string[][] | null | undefined): string[] | undefined {
  return (c ?? []).find((l) => l.length > 0 && l.every((x) => NVIDIA_CAPSET.has(x)));
}

function envOf(env: readonly string[], key: string): string | undefined {
  let v: string | undefined;
  for (const e of env) if (e.startsWith(`${key}=`)) v = e.slice(key.length + 1);
  return v;
}

export function isCdiRequest(r: DeviceRequest): boolean {
  return r.Driver === 'cdi';
}

/**
 * The edits for a container's device requests, in request order. Throws DeviceRequestError
 * with docker's meaning: no driver for the request, no GPU on this host, unknown devices.
 */
export function resolveDeviceRequests(reqs: readonly DeviceRequest[] | null | undefined, host: DeviceRequestHost): ContainerEdits[] {
  const out: ContainerEdits[] = [];
  let nvidia: NvidiaHost | undefined | null = null;
  let cdi: CdiRegistry | undefined;
  for (const r of reqs ?? []) {
    if (isCdiRequest(r)) {
      const ids = r.DeviceIDs ?? [];
      // An explicit empty cdi-spec-dirs turns CDI off: no cdi driver, as in docker.
      if (host.cdiSpecDirs && !host.cdiSpecDirs.length) throw new DeviceRequestError(`could not select device driver "cdi" with capabilities: ${goCaps(r.Capabilities)} (CDI is off: the daemon's cdi-spec-dirs is empty)`);
      if (!ids.length) throw new DeviceRequestError('CDI device injection failed: no CDI device names in the request (DeviceIDs)');
      cdi ??= (host.cdi ?? loadCdiRegistry)(host.cdiSpecDirs ?? DEFAULT_CDI_SPEC_DIRS);
      try {
        out.push(...resolveCdiDevices(cdi, ids));
      } catch (err) {
        throw new DeviceRequestError((err as Error).message);
      }
      continue;
    }
    const driver = r.Driver ?? '';
    const selected = driver === '' || driver === 'nvidia' ? matchCaps(r.Capabilities) : undefined;
    const refuse = (why: string) => new DeviceRequestError(`could not select device driver "${driver}" with capabilities: ${goCaps(r.Capabilities)}${why}`);
    if (!selected) throw refuse('');
    if (nvidia === null) nvidia = (host.nvidia ?? probeNvidiaCached)();
    if (!nvidia) throw refuse(': no GPU devices found on this host (no NVIDIA driver is loaded)');
    const count = r.Count ?? 0;
    const ids = r.DeviceIDs ?? [];
    if (count !== 0 && ids.length) throw new DeviceRequestError('cannot set both Count and DeviceIDs on device request');
    // What docker hands the toolkit, and the toolkit's reading of it (image env otherwise).
    const env: string[] = [];
    let visible: string | undefined;
    if (ids.length) visible = ids.join(',');
    else if (count > 0) visible = Array.from({ length: count }, (_, i) => String(i)).join(',');
    else if (count < 0) visible = 'all';
    if (visible !== undefined) env.push(`NVIDIA_VISIBLE_DEVICES=${visible}`);
    const reqCaps = selected.filter((c) => (ALL_NVIDIA_CAPABILITIES as readonly string[]).includes(c));
    if (reqCaps.length) env.push(`NVIDIA_DRIVER_CAPABILITIES=${reqCaps.join(',')}`);
    visible ??= envOf(host.env, 'NVIDIA_VISIBLE_DEVICES') ?? '';
    const capsText = reqCaps.length ? reqCaps.join(',') : envOf(host.env, 'NVIDIA_DRIVER_CAPABILITIES');
    if (visible !== 'void' && visible !== '' && visible !== 'none' && nvidia.gpus.length === 0) throw refuse(': no GPU devices found on this host');
    let gpus;
    let caps;
    try {
      gpus = selectGpus(nvidia, visible);
      caps = driverCapabilities(capsText);
    } catch (err) {
      throw new DeviceRequestError((err as Error).message);
    }
    if (visible === 'void' || visible === '') {
      if (env.length) out.push({ env });
      continue;
    }
    const edits = nvidiaEdits(nvidia, gpus, caps, host.rootfs);
    if (env.length) edits.env = env;
    if (!host.rootfs) delete edits.hooks;
    out.push(edits);
  }
  return out;
}
