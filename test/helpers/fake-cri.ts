/**
 * A CRI RuntimeService with only Version, Exec, Attach and PortForward (runtime.v1), each
 * answering with a URL from a StreamingServer: enough for crictl's exec, attach and
 * port-forward to reach the streaming server with kubelet's own Go client code.
 */
import fs from 'node:fs';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { StreamingServer } from '../../src/cri/streaming/index.ts';
import { sharedPath } from '../helpers/shared.ts';

const PROTO = `syntax = "proto3";
package runtime.v1;
service RuntimeService {
  rpc Version(VersionRequest) returns (VersionResponse) {}
  rpc Exec(ExecRequest) returns (ExecResponse) {}
  rpc Attach(AttachRequest) returns (AttachResponse) {}
  rpc PortForward(PortForwardRequest) returns (PortForwardResponse) {}
}
message VersionRequest { string version = 1; }
message VersionResponse { string version = 1; string runtime_name = 2; string runtime_version = 3; string runtime_api_version = 4; }
message ExecRequest { string container_id = 1; repeated string cmd = 2; bool tty = 3; bool stdin = 4; bool stdout = 5; bool stderr = 6; }
message ExecResponse { string url = 1; }
message AttachRequest { string container_id = 1; bool stdin = 2; bool tty = 3; bool stdout = 4; bool stderr = 5; }
message AttachResponse { string url = 1; }
message PortForwardRequest { string pod_sandbox_id = 1; repeated int32 port = 2; }
message PortForwardResponse { string url = 1; }
`;

type Unary = (call: { request: Record<string, unknown> }, cb: (err: grpc.ServiceError | null, res?: unknown) => void) => void;

/**
 * `wrapConnection` rewrites each accepted unix connection before gRPC sees it: Go gRPC clients
 * of crictl v1.26's era send the socket's path as HTTP/2 `:authority`, which Node's HTTP/2
 * server refuses, so crictl needs the CRI server's rewriter (src/cri/h2-authority.ts).
 */
export async function startFakeCri(streaming: StreamingServer, dir: string, wrapConnection?: (s: net.Socket) => Duplex): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const protoFile = path.join(dir, 'fake-cri.proto');
  fs.writeFileSync(protoFile, PROTO);
  const def = protoLoader.loadSync(protoFile, { keepCase: false, longs: Number, defaults: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { runtime: { v1: { RuntimeService: { service: grpc.ServiceDefinition } } } };
  const wrap = (fn: (r: Record<string, unknown>) => unknown): Unary => (call, cb) => {
    try { cb(null, fn(call.request)); } catch (err) { cb({ code: grpc.status.INVALID_ARGUMENT, details: (err as Error).message } as grpc.ServiceError); }
  };
  const server = new grpc.Server();
  server.addService(pkg.runtime.v1.RuntimeService.service, {
    Version: wrap(() => ({ version: '0.1.0', runtimeName: 'fake', runtimeVersion: '0', runtimeApiVersion: 'v1' })),
    Exec: wrap((r) => ({ url: streaming.execUrl({ containerId: String(r.containerId), cmd: r.cmd as string[], tty: !!r.tty, stdin: !!r.stdin, stdout: !!r.stdout, stderr: !!r.stderr }) })),
    Attach: wrap((r) => ({ url: streaming.attachUrl({ containerId: String(r.containerId), tty: !!r.tty, stdin: !!r.stdin, stdout: !!r.stdout, stderr: !!r.stderr }) })),
    PortForward: wrap((r) => ({ url: streaming.portForwardUrl({ podSandboxId: String(r.podSandboxId), ports: r.port as number[] }) })),
  });
  const sock = path.join(dir, 'cri.sock');
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  const sockets = new Set<net.Socket>();
  const listener = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    injector.injectConnection(wrapConnection ? wrapConnection(s) : s);
  });
  await new Promise<void>((resolve, reject) => listener.once('error', reject).listen(sock, () => resolve()));
  return {
    endpoint: `unix://${sock}`,
    stop: async () => {
      listener.close();
      for (const s of sockets) s.destroy();
      server.forceShutdown();
    },
  };
}

/** crictl v1.26.1 from the shared tools, unpacked once; undefined when not available here. */
export function crictlBinary(): string | undefined {
  const src = sharedPath('tools', 'cri-tools', 'crictl.xz');
  const dst = path.join(os.tmpdir(), 'wharf-test-crictl-v1.26.1');
  if (fs.existsSync(dst)) return dst;
  if (!fs.existsSync(src)) return undefined;
  try {
    const bin = execFileSync('xz', ['-dc', src], { maxBuffer: 256 * 1024 * 1024 });
    fs.writeFileSync(`${dst}.tmp`, bin, { mode: 0o755 });
    fs.renameSync(`${dst}.tmp`, dst);
    return dst;
  } catch {
    return undefined;
  }
}
