/**
 * Listeners the API server is reachable on: `unix://PATH`, `tcp://HOST:PORT` (TLS with client
 * certificates, or plain only when explicitly allowed) and `fd://` (systemd socket activation).
 * All feed the same http.Server through its 'connection' event.
 */
import net from 'node:net';
import tls from 'node:tls';
import fs from 'node:fs';
import path from 'node:path';
import type http from 'node:http';
import { Duplex } from 'node:stream';
import { InvalidArgumentError } from '../../common/errors.ts';
import { onlyErrno } from '../../common/cleanups.ts';

export interface TlsFiles { ca: string; cert: string; key: string; verify: boolean }

export interface ListenSpec {
  /** As given: unix:///run/wharf/wharf.sock, tcp://0.0.0.0:2376, fd://, fd://3 */
  address: string;
  tls?: TlsFiles;
  /** Allows tcp:// without TLS. */
  insecureTcp?: boolean;
  /** Socket group for unix sockets (0660 root:group when it exists). */
  group?: number;
}

export interface Listener { address: string; close(): Promise<void> }

export function parseHost(address: string): { proto: 'unix' | 'tcp' | 'fd'; addr: string } {
  const m = /^(unix|tcp|fd):\/\/(.*)$/.exec(address);
  if (!m) throw new InvalidArgumentError(`invalid bind address format: ${address}`);
  return { proto: m[1] as 'unix' | 'tcp' | 'fd', addr: m[2]! };
}

export async function listen(server: http.Server, spec: ListenSpec): Promise<Listener> {
  const { proto, addr } = parseHost(spec.address);
  if (proto === 'unix') return listenUnix(server, addr, spec.group);
  if (proto === 'fd') return listenFds(server, addr);
  return listenTcp(server, addr, spec);
}

/** Every accepted connection, so shutdown can end hijacked streams too (close() waits for them). */
const open = new Set<net.Socket>();

function feed(server: http.Server, socket: net.Socket): void {
  open.add(socket);
  socket.once('close', () => open.delete(socket));
  server.emit('connection', socket);
}

/** Closes a net.Server and destroys the connections it still has. */
function closeServer(ns: net.Server): Promise<void> {
  return new Promise((resolve) => {
    ns.close(() => resolve());
    for (const s of open) s.destroy();
  });
}

async function listenUnix(server: http.Server, sockPath: string, group: number | undefined): Promise<Listener> {
  fs.mkdirSync(path.dirname(sockPath), { recursive: true });
  try { fs.unlinkSync(sockPath); } catch (err) { onlyErrno(err, 'ENOENT'); /* not there */ }
  const ns = net.createServer({ allowHalfOpen: true }, (s) => feed(server, s));
  await new Promise<void>((resolve, reject) => {
    ns.once('error', reject);
    ns.listen(sockPath, () => resolve());
  });
  fs.chmodSync(sockPath, 0o660);
  if (group !== undefined) fs.chownSync(sockPath, 0, group);
  return {
    address: `unix://${sockPath}`,
    close: async () => { await closeServer(ns); try { fs.unlinkSync(sockPath); } catch (err) { onlyErrno(err, 'ENOENT'); /* gone */ } },
  };
}

async function listenFds(server: http.Server, which: string): Promise<Listener> {
  const count = Number(process.env.LISTEN_FDS ?? '0');
  const pid = Number(process.env.LISTEN_PID ?? '0');
  if (!count || (pid && pid !== process.pid)) throw new InvalidArgumentError('no sockets found via socket activation: make sure the service was started by systemd');
  const fds = which ? [Number(which)] : Array.from({ length: count }, (_, i) => 3 + i);
  const servers: net.Server[] = [];
  for (const fd of fds) {
    const ns = net.createServer({ allowHalfOpen: true }, (s) => feed(server, s));
    await new Promise<void>((resolve, reject) => { ns.once('error', reject); ns.listen({ fd }, () => resolve()); });
    servers.push(ns);
  }
  return { address: `fd://${which}`, close: async () => { await Promise.all(servers.map(closeServer)); } };
}

async function listenTcp(server: http.Server, hostPort: string, spec: ListenSpec): Promise<Listener> {
  const m = /^(.*):(\d+)$/.exec(hostPort);
  const host = m ? m[1]!.replace(/^\[|\]$/g, '') || '0.0.0.0' : hostPort || '0.0.0.0';
  const port = m ? Number(m[2]) : spec.tls ? 2376 : 2375;
  if (!spec.tls && !spec.insecureTcp) {
    throw new InvalidArgumentError(`refusing to listen on tcp://${hostPort} without TLS: use --tlsverify --tlscacert --tlscert --tlskey, or --insecure-tcp to accept an unauthenticated, unencrypted API (anyone who reaches it is root on this host)`);
  }
  let ns: net.Server;
  if (spec.tls) {
    // A tls.Server that never listens: it gets connections handed in below and does the
    // handshake and client-certificate checks (requestCert + rejectUnauthorized) itself.
    const tlsServer = tls.createServer({
      ca: fs.readFileSync(spec.tls.ca), cert: fs.readFileSync(spec.tls.cert), key: fs.readFileSync(spec.tls.key),
      minVersion: 'TLSv1.2', requestCert: spec.tls.verify, rejectUnauthorized: spec.tls.verify,
    }, (s) => feed(server, s as unknown as net.Socket));
    tlsServer.on('tlsClientError', (_err, s) => s.destroy());
    ns = net.createServer((raw) => {
      raw.on('error', () => raw.destroy());
      raw.once('data', (first: Buffer) => {
        if (first[0] !== 0x16) {
          // Plain HTTP sent to the TLS port: answer like Go's server does.
          raw.end('HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n');
          return;
        }
        // The first bytes were read to tell TLS from plain HTTP; a JS duplex replays them to
        // the TLS layer (a net.Socket handed over directly would be read from its handle).
        tlsServer.emit('connection', replaying(raw, first));
      });
    });
  } else {
    ns = net.createServer({ allowHalfOpen: true }, (s) => feed(server, s));
  }
  await new Promise<void>((resolve, reject) => { ns.once('error', reject); ns.listen(port, host, () => resolve()); });
  const a = ns.address() as net.AddressInfo;
  return { address: `tcp://${a.address}:${a.port}`, close: () => closeServer(ns) };
}

/** A duplex over `raw` whose readable side starts with `first`, then everything `raw` reads. */
function replaying(raw: net.Socket, first: Buffer): Duplex {
  const d = new Duplex({
    read() { raw.resume(); },
    write(chunk, _enc, cb) { raw.write(chunk, cb); },
    final(cb) { raw.end(); cb(); },
    destroy(err, cb) { raw.destroy(err ?? undefined); cb(err); },
  });
  d.push(first);
  raw.on('data', (c: Buffer) => { if (!d.push(c)) raw.pause(); });
  raw.on('end', () => d.push(null));
  raw.on('close', () => d.destroy());
  return d;
}
