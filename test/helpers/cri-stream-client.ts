/**
 * A client for the CRI streaming server, speaking what client-go's remotecommand and
 * portforward speak: an HTTP upgrade to SPDY/3.1 with X-Stream-Protocol-Version, then streams
 * opened by the client with a `streamType` header (plus `port`/`requestID` for port-forward).
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { SpdySession, type SpdyStream } from '../../src/cri/streaming/spdy/session.ts';

export interface Upgraded { status: number; headers: http.IncomingHttpHeaders; body: string; socket?: Duplex; head?: Buffer }

/** Sends the upgrade request; resolves with the 101 and its socket, or the refusal and its body. */
export function upgrade(url: string, protocols: string[], extra: Record<string, string | string[]> = {}, method = 'POST'): Promise<Upgraded> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', ...extra };
    if (protocols.length) headers['X-Stream-Protocol-Version'] = protocols;
    const req = http.request(url, { method, headers });
    req.on('upgrade', (res, socket, head) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '', socket, head }));
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

export function readAll(s: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    s.on('data', (c: Buffer) => { out += c.toString(); });
    s.on('end', () => resolve(out));
    s.on('close', () => resolve(out));
    s.on('error', reject);
  });
}

export interface ExecSession {
  session: SpdySession;
  protocol: string;
  error: SpdyStream;
  stdin?: SpdyStream;
  stdout?: SpdyStream;
  stderr?: SpdyStream;
  resize?: SpdyStream;
  /** stdout, stderr and the error stream's text, once all ended. */
  result(): Promise<{ stdout: string; stderr: string; error: string }>;
}

/** Opens an exec/attach session the way client-go does (error, stdin, stdout, stderr, resize). */
export async function openRemoteCommand(url: string, o: { stdin?: boolean; stdout?: boolean; stderr?: boolean; tty?: boolean }, protocols = ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io']): Promise<ExecSession> {
  const up = await upgrade(url, protocols);
  if (up.status !== 101 || !up.socket) throw new Error(`upgrade refused: ${up.status} ${up.body}`);
  const protocol = String(up.headers['x-stream-protocol-version'] ?? '');
  const session = new SpdySession(up.socket, 'client');
  session.receive(up.head ?? Buffer.alloc(0));
  const open = (type: string) => session.openStream([['streamType', type]]);
  const error = await open('error');
  error.end(); // the client never writes on the error stream
  const s: ExecSession = {
    session, protocol, error,
    stdin: o.stdin ? await open('stdin') : undefined,
    stdout: o.stdout ? await open('stdout') : undefined,
    stderr: o.stderr && !o.tty ? await open('stderr') : undefined,
    resize: o.tty && (protocol === 'v4.channel.k8s.io' || protocol === 'v3.channel.k8s.io') ? await open('resize') : undefined,
    result: async () => {
      const [stdout, stderr, err] = await Promise.all([
        s.stdout ? readAll(s.stdout) : '', s.stderr ? readAll(s.stderr) : '', readAll(error),
      ]);
      return { stdout, stderr, error: err };
    },
  };
  s.stdout?.end();
  s.stderr?.end();
  return s;
}
