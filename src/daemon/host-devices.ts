/**
 * `info`'s view of the host's devices: the CDI spec directories and the devices their specs
 * define (docker's DiscoveredDevices), and the GPUs of the NVIDIA driver with its version.
 */
import { loadCdiRegistry, probeNvidiaCached } from '../oci/index.ts';
import type { HostDevices } from '../engine/system/index.ts';

export function hostDevices(cdiSpecDirs: string[]): HostDevices {
  const reg = loadCdiRegistry(cdiSpecDirs);
  let nv;
  try {
    nv = probeNvidiaCached();
  } catch {
    nv = undefined;
  }
  return {
    cdiSpecDirs: cdiSpecDirs.slice(),
    discovered: [...reg.devices.keys()].sort().map((ID) => ({ Source: 'cdi', ID })),
    gpus: (nv?.gpus ?? []).map((g) => ({ Vendor: 'nvidia', Index: g.index, Name: g.name ?? '', UUID: g.uuid ?? '', BusId: g.busId ?? '', Path: g.path })),
    gpuDriverVersion: nv?.driverVersion ?? '',
  };
}
