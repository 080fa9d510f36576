/**
 * The embedded DNS of user-defined networks. Containers query 127.0.0.11:53 (their
 * resolv.conf); a DNAT inside the container's netns sends that to `<gateway>:<port>` where this
 * server listens (UDP and TCP) in the daemon. Names of containers on the querying container's
 * networks (container name, aliases, short id) get A records; everything else is forwarded
 * unchanged over UDP to the host's resolvers (loopback ones included: the daemon runs on the
 * host). The querying container is recognised by its source address.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { SystemError } from '../../../common/errors.ts';
import { buildResponse, parseQuery, TYPE_A, TYPE_AAAA } from './dns-message.ts';

/**
 * Answers `name` for a client at `clientIp`: IPv4 and IPv6 addresses, A and AAAA answers take
 * their family (an empty list = no data, never
 * forwarded), or undefined to forward.
 */
export type Lookup = (clientIp: string, name: string) => string[] | undefined;

/** Upstream servers for a client (its `--dns`), or undefined for the defaults. */
export type UpstreamsFor = (clientIp: string) => string[] | undefined;

interface Listener {
  udp: dgram.Socket;
  tcp: net.Server;
}

export class EmbeddedDns {
  private readonly listeners = new Map<string, Listener>();

  /** `upstreams`: IPv4 addresses, optionally `ip:port`. */
  constructor(
    private readonly lookup: Lookup,
    private readonly upstreams: string[],
    private readonly forwardTimeoutMs = 2000,
    private readonly upstreamsFor: UpstreamsFor = () => undefined,
  ) {}

  /** Listens on ip:port (0 = any free port usable for both UDP and TCP); returns the port. */
  async listen(ip: string, port: number): Promise<number> {
    await this.unlisten(ip);
    for (let attempt = 0; attempt < 20; attempt++) {
      const udp = dgram.createSocket({ type: 'udp4' });
      const p = await new Promise<number>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind({ address: ip, port, exclusive: true }, () => resolve(udp.address().port));
      }).catch((e: Error) => { udp.close(); throw new SystemError(`embedded DNS: bind ${ip}:${port}/udp: ${e.message}`, { cause: e }); });
      const tcp = net.createServer((s) => this.serveTcp(s));
      const ok = await new Promise<boolean>((resolve) => {
        tcp.once('error', () => resolve(false));
        tcp.listen({ host: ip, port: p, exclusive: true }, () => resolve(true));
      });
      if (!ok) {
        udp.close();
        if (port !== 0) throw new SystemError(`embedded DNS: bind ${ip}:${port}/tcp: address in use`);
        continue;
      }
      udp.on('message', (msg, rinfo) => {
        void this.answer(msg, rinfo.address).then((resp) => { if (resp) udp.send(resp, rinfo.port, rinfo.address); });
      });
      udp.removeAllListeners('error');
      udp.on('error', () => { /* keep serving */ });
      udp.unref();
      tcp.unref();
      this.listeners.set(ip, { udp, tcp });
      return p;
    }
    throw new SystemError(`embedded DNS: no port free on ${ip} for both UDP and TCP`);
  }

  async unlisten(ip: string): Promise<void> {
    const l = this.listeners.get(ip);
    if (!l) return;
    this.listeners.delete(ip);
    await Promise.all([new Promise<void>((r) => l.udp.close(() => r())), new Promise<void>((r) => l.tcp.close(() => r()))]);
  }

  async close(): Promise<void> {
    await Promise.all([...this.listeners.keys()].map((ip) => this.unlisten(ip)));
  }

  private async answer(msg: Buffer, clientIp: string): Promise<Buffer | undefined> {
    const q = parseQuery(msg);
    if (q && q.qclass === 1 && (q.qtype === TYPE_A || q.qtype === TYPE_AAAA)) {
      const ips = this.lookup(clientIp, q.name);
      if (ips) return buildResponse(msg, q, ips.filter((ip) => ip.includes(':') === (q.qtype === TYPE_AAAA)));
    }
    const fwd = await this.forward(msg, this.upstreamsFor(clientIp) ?? this.upstreams);
    if (fwd) return fwd;
    return q ? buildResponse(msg, q, [], 2) : undefined;
  }

  private async forward(msg: Buffer, upstreams: string[]): Promise<Buffer | undefined> {
    for (const upstream of upstreams) {
      const [server, port] = upstream.includes(':') ? [upstream.split(':')[0]!, Number(upstream.split(':')[1])] : [upstream, 53];
      const resp = await new Promise<Buffer | undefined>((resolve) => {
        const s = dgram.createSocket('udp4');
        const timer = setTimeout(() => { s.close(); resolve(undefined); }, this.forwardTimeoutMs);
        s.on('error', () => { clearTimeout(timer); s.close(); resolve(undefined); });
        s.on('message', (m) => {
          if (m.length >= 2 && m.readUInt16BE(0) === msg.readUInt16BE(0)) { clearTimeout(timer); s.close(); resolve(m); }
        });
        s.send(msg, port, server);
      });
      if (resp) return resp;
    }
    return undefined;
  }

  private serveTcp(sock: net.Socket): void {
    let buf = Buffer.alloc(0);
    sock.setTimeout(10_000, () => sock.destroy());
    sock.on('error', () => sock.destroy());
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        void this.answer(Buffer.from(msg), sock.remoteAddress?.replace(/^::ffff:/, '') ?? '').then((resp) => {
          if (resp && !sock.destroyed) {
            const len = Buffer.alloc(2);
            len.writeUInt16BE(resp.length);
            sock.write(Buffer.concat([len, resp]));
          }
        });
      }
    });
  }
}
