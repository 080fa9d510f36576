/**
 * Host-port reservations for published ports. The daemon binds (and for TCP listens on) the
 * host address/port itself, like docker ≥ 25 does: the bind is the authoritative "is this port
 * free?" check (another program or another container holding it → EADDRINUSE), and holding the
 * socket keeps anyone else from taking the port while the DNAT rule points it at the
 * container. Traffic never reaches these sockets: nat PREROUTING/OUTPUT rewrite it first.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { SystemError } from '../../../common/errors.ts';

export interface PortHold {
  hostIp: string;
  port: number;
  proto: 'tcp' | 'udp';
  close(): Promise<void>;
}

export function allocatedError(hostIp: string, port: number): SystemError {
  return new SystemError(`Bind for ${hostIp}:${port} failed: port is already allocated`);
}

/** Binds `hostIp:port/proto` (port 0 = kernel's pick); rejects with docker's text when taken. */
export function holdPort(hostIp: string, port: number, proto: 'tcp' | 'udp'): Promise<PortHold> {
  const ip = hostIp === '' ? '0.0.0.0' : hostIp;
  return proto === 'tcp' ? holdTcp(ip, port) : holdUdp(ip, port);
}

function holdTcp(ip: string, port: number): Promise<PortHold> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((sock) => sock.destroy());
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? allocatedError(ip, port) : new SystemError(`Bind for ${ip}:${port} failed: ${err.message}`, { cause: err }));
    });
    server.listen({ host: ip, port, exclusive: true, backlog: 1 }, () => {
      server.unref();
      const actual = (server.address() as net.AddressInfo).port;
      resolve({ hostIp: ip, port: actual, proto: 'tcp', close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

function holdUdp(ip: string, port: number): Promise<PortHold> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket({ type: 'udp4' });
    sock.once('error', (err: NodeJS.ErrnoException) => {
      sock.close();
      reject(err.code === 'EADDRINUSE' ? allocatedError(ip, port) : new SystemError(`Bind for ${ip}:${port} failed: ${err.message}`, { cause: err }));
    });
    sock.bind({ address: ip, port, exclusive: true }, () => {
      sock.unref();
      resolve({ hostIp: ip, port: sock.address().port, proto: 'udp', close: () => new Promise((r) => sock.close(() => r())) });
    });
  });
}
