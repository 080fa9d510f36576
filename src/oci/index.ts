/**
 * OCI layer: runtime-spec and image-spec types plus everything that turns a container's
 * settings into config.json (caps, seccomp, masked paths, devices, users, security opts).
 * Pure functions over the host facts; no I/O beyond reading /proc, /sys, /dev, the rootfs, CDI
 * spec directories and the NVIDIA driver's files (nvidia.ts runs the host's `ldconfig -p`).
 */
export * from './spec-types.ts';
export * from './capabilities.ts';
export * from './seccomp.ts';
export * from './defaults.ts';
export * from './user.ts';
export * from './security-opt.ts';
export * from './rlimits.ts';
export * from './spec-builder.ts';
export * from './cdi.ts';
export * from './nvidia.ts';
export * from './device-requests.ts';
