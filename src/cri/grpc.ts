/**
 * The CRI's gRPC plumbing: the real cri-api `api.proto` (v1.26, vendored in ./proto) loaded
 * with @grpc/proto-loader, a @grpc/grpc-js server on a unix socket, and one place that turns
 * the engine's errors into gRPC status codes.
 *
 * Fields keep the proto's snake_case names; int64 values travel as decimal strings (a
 * nanosecond timestamp does not fit a double), enums as their names.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { WharfError } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import { rewritingDuplex } from './h2-authority.ts';

/** Where api.proto is: beside this module under tsx, under src/ when running from dist/. */
function protoPath(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'proto', 'api.proto'), path.join(here, '..', 'src', 'cri', 'proto', 'api.proto')];
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new Error(`cri-api api.proto not found (looked in ${candidates.join(', ')})`);
  return found;
}

export interface CriServices {
  runtime: grpc.ServiceDefinition;
  image: grpc.ServiceDefinition;
}

export function loadCriServices(): CriServices {
  const def = protoLoader.loadSync(protoPath(), { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { runtime: { v1: Record<string, { service: grpc.ServiceDefinition }> } };
  return { runtime: pkg.runtime.v1.RuntimeService!.service, image: pkg.runtime.v1.ImageService!.service };
}

/** An error that carries its gRPC code (for answers the engine has no class for). */
export class GrpcError extends Error {
  constructor(readonly code: grpc.status, message: string) { super(message); }
}

export const unimplemented = (what: string) => new GrpcError(grpc.status.UNIMPLEMENTED, `${what} is not implemented by wharf`);

/** The engine's error classes (HTTP statuses) as gRPC codes. */
export function grpcCode(err: unknown): grpc.status {
  if (err instanceof GrpcError) return err.code;
  if (err instanceof WharfError) {
    switch (err.status) {
      case 400: return grpc.status.INVALID_ARGUMENT;
      case 401: return grpc.status.UNAUTHENTICATED;
      case 403: return grpc.status.PERMISSION_DENIED;
      case 404: return grpc.status.NOT_FOUND;
      case 409: return grpc.status.FAILED_PRECONDITION;
      case 501: return grpc.status.UNIMPLEMENTED;
      case 503: return grpc.status.UNAVAILABLE;
      default: return grpc.status.UNKNOWN;
    }
  }
  return grpc.status.UNKNOWN;
}

type Unary = (req: any) => Promise<unknown>;
type ServerStream = (req: any, call: grpc.ServerWritableStream<any, any>) => Promise<void>;
export type Handlers = Record<string, Unary | { stream: ServerStream }>;

/** grpc-js handlers for a service from async functions; a missing method answers UNIMPLEMENTED. */
function bindService(service: grpc.ServiceDefinition, handlers: Handlers, logger: Logger): grpc.UntypedServiceImplementation {
  const impl: grpc.UntypedServiceImplementation = {};
  for (const name of Object.keys(service)) {
    const h = handlers[name];
    const fail = (err: unknown) => {
      const code = grpcCode(err);
      if (code === grpc.status.UNKNOWN) logger.warn(`CRI ${name}: ${(err as Error).message}`);
      else logger.debug(`CRI ${name}: ${(err as Error).message}`);
      return { code, details: (err as Error).message ?? String(err) };
    };
    if (h && typeof h === 'object') {
      impl[name] = (call: grpc.ServerWritableStream<any, any>) => {
        h.stream(call.request, call).then(() => call.end(), (err) => { if (!call.cancelled) call.destroy(Object.assign(new Error(fail(err).details), fail(err))); });
      };
    } else {
      impl[name] = (call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>) => {
        if (!h) { cb(fail(unimplemented(name)) as grpc.ServiceError); return; }
        logger.debug(`CRI ${name}`);
        h(call.request).then((res) => cb(null, res ?? {}), (err) => cb(fail(err) as grpc.ServiceError));
      };
    }
  }
  return impl;
}

export interface CriGrpcServer {
  address: string;
  close(): Promise<void>;
}

/** Serves both services on `socketPath` (a stale socket file is replaced; mode 0660). */
export async function serveCri(socketPath: string, runtime: Handlers, image: Handlers, logger: Logger): Promise<CriGrpcServer> {
  const services = loadCriServices();
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 16 << 20, 'grpc.max_send_message_length': 64 << 20 });
  server.addService(services.runtime, bindService(services.runtime, runtime, logger));
  server.addService(services.image, bindService(services.image, image, logger));
  fs.mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o700 });
  try {
    if (fs.statSync(socketPath).isSocket()) fs.rmSync(socketPath);
  } catch { /* absent */ }
  // Our own listener: each connection's header blocks are rewritten (h2-authority.ts) on the way in.
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  const sockets = new Set<net.Socket>();
  const listener = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    injector.injectConnection(rewritingDuplex(socket));
  });
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(socketPath, () => { listener.off('error', reject); resolve(); });
  });
  fs.chmodSync(socketPath, 0o660);
  return {
    address: `unix://${socketPath}`,
    close: () => new Promise<void>((resolve) => {
      listener.close();
      const t = setTimeout(() => { server.forceShutdown(); for (const s of sockets) s.destroy(); resolve(); }, 2000);
      server.tryShutdown(() => { clearTimeout(t); for (const s of sockets) s.destroy(); resolve(); });
    }).finally(() => fs.rmSync(socketPath, { force: true })),
  };
}
