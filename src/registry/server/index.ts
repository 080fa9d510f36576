/**
 * The registry server's public surface: `createRegistryServer` for embedding and tests,
 * `runRegistry(argv)` for `wharf registry serve --addr HOST:PORT --root DIR [--htpasswd FILE]`.
 */
export { createRegistryServer, type RegistryServer, type RegistryServerOptions } from './server.ts';
export { htpasswdLine } from './htpasswd.ts';
export { runRegistry, parseRegistryArgs, type RegistryServeArgs } from './serve-command.ts';
