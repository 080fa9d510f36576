/**
 * The CRI streaming server: the CRI's Exec, Attach and PortForward calls return a URL on
 * this server (`http://HOST:PORT/exec/TOKEN`, `/attach/TOKEN`, `/portforward/TOKEN`), which
 * kubelet, crictl or critest then open with client-go's remotecommand / portforward clients.
 * The request itself stays here, cached behind a single-use token that expires after a
 * minute (kubelet's cri/streaming behaviour); the URL carries nothing else.
 *
 * Transports: SPDY/3.1 upgrades (`Upgrade: SPDY/3.1`) with the subprotocols of
 * REMOTECOMMAND_PROTOCOLS and PORTFORWARD_PROTOCOLS, and WebSocket upgrades for exec/attach
 * (websocket.ts: `v4.channel.k8s.io`, `v5.channel.k8s.io`, …). A token is spent only by a
 * request that upgrades: a client that asks for a protocol we lack (and falls back to
 * another transport) can still use it.
 */
import http from 'node:http';
import type net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { StreamRuntime } from './contract.ts';
import { RequestCache } from './tokens.ts';
import { REMOTECOMMAND_PROTOCOLS, acceptSpdyRemoteCommand, runRemoteCommand, type RemoteCommand } from './remotecommand.ts';
import { PORTFORWARD_PROTOCOLS, serveSpdyPortForward } from './portforward.ts';
import { acceptWebSocketRemoteCommand, isWebSocketUpgrade, webSocketProtocol } from './websocket.ts';

export type { StreamIO, StreamRuntime, TerminalSize } from './contract.ts';
export { TooManyInFlightError } from './tokens.ts';

/** A request the CRI must refuse with INVALID_ARGUMENT (kubelet's validation messages). */
export class InvalidStreamRequestError extends Error {}

type Cached = RemoteCommand | { kind: 'portforward'; podSandboxId: string; ports: number[] };

export interface ExecUrlRequest { containerId: string; cmd: string[]; tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean }
export interface AttachUrlRequest { containerId: string; tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean }
export interface PortForwardUrlRequest { podSandboxId: string; ports: number[] }

const SPDY = 'spdy/3.1';
const IDLE_TIMEOUT_MS = 4 * 3600_000;

export class StreamingServer {
  private readonly cache = new RequestCache<Cached>();
  private server: http.Server | undefined;
  private base = '';
  private readonly sockets = new Set<Duplex>();

  constructor(private readonly runtime: StreamRuntime, private readonly opts: { address: string /* host:port, port 0 = any */ }) {}

  async start(): Promise<void> {
    if (this.server) return;
    const { host, port } = splitAddress(this.opts.address);
    const server = http.createServer((req, res) => this.onRequest(req, res));
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    server.on('connection', (s: Duplex) => { this.sockets.add(s); s.on('close', () => this.sockets.delete(s)); });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => { server.off('error', reject); resolve(); });
    });
    this.server = server;
    const a = server.address() as AddressInfo;
    // URLs name a reachable host: an unspecified bind address (all interfaces) is given as loopback.
    const urlHost = a.address === '0.0.0.0' ? '127.0.0.1' : a.address === '::' ? '::1' : a.address;
    this.base = `http://${urlHost.includes(':') ? `[${urlHost}]` : urlHost}:${a.port}`;
  }

  /** Stops listening and drops every session (their clients see the connection close). */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((r) => server.close(() => r()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  /** The server's base URL (`http://host:port`), once started. */
  get url(): string { return this.base; }

  execUrl(req: ExecUrlRequest): string {
    if (!req.containerId) throw new InvalidStreamRequestError('missing required container id');
    if (!Array.isArray(req.cmd) || req.cmd.length === 0) throw new InvalidStreamRequestError('cmd is required');
    validateStreams(req);
    return this.urlFor('exec', { kind: 'exec', containerId: req.containerId, cmd: [...req.cmd], tty: !!req.tty, stdin: !!req.stdin, stdout: !!req.stdout, stderr: !!req.stderr });
  }

  attachUrl(req: AttachUrlRequest): string {
    if (!req.containerId) throw new InvalidStreamRequestError('missing required container id');
    validateStreams(req);
    return this.urlFor('attach', { kind: 'attach', containerId: req.containerId, tty: !!req.tty, stdin: !!req.stdin, stdout: !!req.stdout, stderr: !!req.stderr });
  }

  portForwardUrl(req: PortForwardUrlRequest): string {
    if (!req.podSandboxId) throw new InvalidStreamRequestError('missing required pod_sandbox_id');
    for (const p of req.ports ?? []) {
      if (!Number.isInteger(p) || p < 1 || p > 65535) throw new InvalidStreamRequestError(`invalid port ${p}`);
    }
    return this.urlFor('portforward', { kind: 'portforward', podSandboxId: req.podSandboxId, ports: [...(req.ports ?? [])] });
  }

  private urlFor(path: string, c: Cached): string {
    if (!this.server) throw new Error('streaming server is not started');
    return `${this.base}/${path}/${this.cache.insert(c)}`;
  }

  /** The cached request behind a URL path, not yet spent; undefined: 404. */
  private lookup(url: string | undefined): { token: string; req: Cached } | undefined {
    const m = /^\/(exec|attach|portforward)\/([A-Za-z0-9_-]+)(?:\?.*)?$/.exec(url ?? '');
    if (!m) return undefined;
    const req = this.cache.peek(m[2]!);
    if (!req) return undefined;
    if (req.kind !== m[1]) { this.cache.consume(m[2]!); return undefined; }
    return { token: m[2]!, req };
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const found = this.lookup(req.url);
    if (!found) { plain(res, 404, '404 page not found\n'); return; }
    // Not an upgrade: kubelet answers with the handshake's or the upgrader's complaint.
    const protos = protocolsOf(req);
    if (!protos.length) { plain(res, 400, 'unable to upgrade: X-Stream-Protocol-Version is required\n'); return; }
    plain(res, 400, 'unable to upgrade: missing upgrade headers in request\n');
  }

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    // A session with no traffic either way for this long is dropped (kubelet's default idle timeout).
    (socket as net.Socket).setTimeout?.(IDLE_TIMEOUT_MS, () => socket.destroy());
    const found = this.lookup(req.url);
    if (!found) { rawResponse(socket, 404, '404 page not found\n'); return; }
    const { token, req: cached } = found;
    if (isWebSocketUpgrade(req)) {
      if (cached.kind === 'portforward') { rawResponse(socket, 400, 'port forwarding over WebSocket is not supported; use SPDY/3.1\n'); return; }
      const protocol = webSocketProtocol(req);
      if (protocol === undefined) { rawResponse(socket, 400, 'unable to upgrade: no supported WebSocket subprotocol\n'); return; }
      if (!this.cache.consume(token)) { rawResponse(socket, 404, '404 page not found\n'); return; }
      const ch = acceptWebSocketRemoteCommand(req, socket, head, protocol, cached);
      if (ch) void runRemoteCommand(this.runtime, cached, ch);
      return;
    }
    const supported = cached.kind === 'portforward' ? PORTFORWARD_PROTOCOLS : REMOTECOMMAND_PROTOCOLS;
    const client = protocolsOf(req);
    if (!client.length) { rawResponse(socket, 400, 'unable to upgrade: X-Stream-Protocol-Version is required\n'); return; }
    const protocol = client.find((p) => supported.includes(p));
    if (!protocol) {
      rawResponse(socket, 403, `unable to upgrade: unable to negotiate protocol: client supports [${client.join(' ')}], server accepts [${supported.join(' ')}]\n`,
        supported.map((p) => ['X-Accepted-Stream-Protocol-Versions', p] as [string, string]));
      return;
    }
    const connection = String(req.headers.connection ?? '').toLowerCase();
    const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
    if (!connection.includes('upgrade') || !upgrade.includes(SPDY)) {
      rawResponse(socket, 400, 'unable to upgrade: missing upgrade headers in request\n');
      return;
    }
    if (!this.cache.consume(token)) { rawResponse(socket, 404, '404 page not found\n'); return; }
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${protocol}\r\n\r\n`);
    if (cached.kind === 'portforward') {
      serveSpdyPortForward(this.runtime, cached.podSandboxId, socket, head);
      return;
    }
    acceptSpdyRemoteCommand(socket, head, protocol, cached).then(
      (ch) => runRemoteCommand(this.runtime, cached, ch),
      () => { /* the client did not open its streams: connection dropped */ },
    );
  }
}

function validateStreams(o: { tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean }): void {
  if (o.tty && o.stderr) throw new InvalidStreamRequestError('tty and stderr cannot both be true');
  if (!o.stdin && !o.stdout && !o.stderr) throw new InvalidStreamRequestError('one of stdin, stdout, or stderr must be set');
}

/** X-Stream-Protocol-Version values, comma-separated and/or repeated. */
function protocolsOf(req: http.IncomingMessage): string[] {
  const out: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i]!.toLowerCase() !== 'x-stream-protocol-version') continue;
    for (const p of req.rawHeaders[i + 1]!.split(',')) if (p.trim()) out.push(p.trim());
  }
  return out;
}

function plain(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  res.end(body);
}

function rawResponse(socket: Duplex, status: number, body: string, headers: [string, string][] = []): void {
  const extra = headers.map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

function splitAddress(address: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(address);
  if (!m) throw new InvalidStreamRequestError(`invalid streaming server address ${JSON.stringify(address)}: want host:port`);
  const port = Number(m[3]);
  if (port > 65535) throw new InvalidStreamRequestError(`invalid streaming server port ${port}`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}
