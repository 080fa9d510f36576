/**
 * kubelet's port-forward protocol over SPDY (`portforward.k8s.io`): for each forwarded
 * connection the client opens two streams with the same `requestID` header, `streamType:
 * error` and `streamType: data`, both naming the `port`. Once both are there the data stream
 * is handed to the runtime, which connects it to the port inside the pod's network
 * namespace; a failure is written as text on the error stream. Many such pairs share one
 * session, which lasts until the client closes it.
 */
import type { Duplex } from 'node:stream';
import type { StreamRuntime } from './contract.ts';
import { SpdySession, type SpdyStream } from './spdy/session.ts';
import { RST } from './spdy/framer.ts';
import { STREAM_CREATION_TIMEOUT_MS } from './remotecommand.ts';

export const PORTFORWARD_PROTOCOLS = ['portforward.k8s.io'];

interface Pair { data?: SpdyStream; error?: SpdyStream; timer: NodeJS.Timeout }

export function serveSpdyPortForward(runtime: StreamRuntime, podSandboxId: string, socket: Duplex, head: Buffer, timeoutMs = STREAM_CREATION_TIMEOUT_MS): SpdySession {
  const pairs = new Map<string, Pair>();
  const session = new SpdySession(socket, 'server', {
    onStream: (s) => {
      const portText = s.header('port') ?? '';
      const type = s.header('streamtype') ?? '';
      const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
      if (!(port >= 1 && port <= 65535) || (type !== 'data' && type !== 'error')) {
        // kubelet refuses such a stream (missing/invalid port or stream type).
        s.reset(RST.PROTOCOL_ERROR);
        return;
      }
      session.reply(s);
      // Older clients send no requestID: pair by stream id (error n, data n+2), as kubelet does.
      const id = s.header('requestid') ?? String(type === 'error' ? s.id : s.id - 2);
      let p = pairs.get(id);
      if (!p) {
        const timer = setTimeout(() => {
          const q = pairs.get(id);
          pairs.delete(id);
          if (q?.error) { q.error.end(`(conn=${podSandboxId}, request=${id}) timed out waiting for streams`); }
          q?.data?.reset();
        }, timeoutMs);
        timer.unref();
        p = { timer };
        pairs.set(id, p);
      }
      if (p[type]) {
        s.end(`error processing stream for request ${id}: ${type} stream already assigned`);
        return;
      }
      p[type] = s;
      if (type === 'error') s.resume(); // the client writes nothing there
      if (p.data && p.error) {
        clearTimeout(p.timer);
        pairs.delete(id);
        void forward(runtime, podSandboxId, port, p.data, p.error);
      }
    },
  });
  void session.closed.then(() => { for (const p of pairs.values()) clearTimeout(p.timer); pairs.clear(); });
  session.receive(head);
  return session;
}

async function forward(runtime: StreamRuntime, podSandboxId: string, port: number, data: SpdyStream, error: SpdyStream): Promise<void> {
  try {
    await runtime.portForward(podSandboxId, port, data);
  } catch (err) {
    if (!error.destroyed) error.write(`error forwarding port ${port} to pod ${podSandboxId}, uid : ${(err as Error).message ?? String(err)}`);
  }
  if (!data.destroyed && !data.writableEnded) data.end();
  if (!error.destroyed && !error.writableEnded) error.end();
}
