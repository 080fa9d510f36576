/**
 * Embedded DNS wire handling and server, on loopback only: local names answered, AAAA empty,
 * everything else forwarded to an upstream (a fake one on 127.0.0.1 here), TCP framing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { answerIps, buildQuery, buildResponse, parseQuery, TYPE_AAAA } from '../../src/drivers/network/bridge/dns-message.ts';
import { EmbeddedDns } from '../../src/drivers/network/bridge/dns-server.ts';

test('query parse / response build round trip', () => {
  const q = buildQuery(0x1234, 'Web.Example');
  const parsed = parseQuery(q)!;
  assert.equal(parsed.id, 0x1234);
  assert.equal(parsed.name, 'web.example');
  assert.equal(parsed.qtype, 1);
  const resp = buildResponse(q, parsed, ['10.1.2.3', '10.1.2.4']);
  assert.equal(resp.readUInt16BE(0), 0x1234);
  assert.equal(resp.readUInt16BE(2) & 0x8000, 0x8000, 'QR set');
  assert.equal(resp.readUInt16BE(2) & 0x0100, 0x0100, 'RD echoed');
  assert.deepEqual(answerIps(resp), ['10.1.2.3', '10.1.2.4']);
  assert.equal(parseQuery(resp), undefined, 'a response is not a query');
  assert.equal(parseQuery(Buffer.alloc(5)), undefined);
});

function udpAsk(port: number, msg: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const t = setTimeout(() => { s.close(); reject(new Error('timeout')); }, 5000);
    s.on('message', (m) => { clearTimeout(t); s.close(); resolve(m); });
    s.send(msg, port, '127.0.0.1');
  });
}

function tcpAsk(port: number, msg: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    s.on('error', reject);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) { s.destroy(); resolve(buf.subarray(2)); }
    });
    const len = Buffer.alloc(2);
    len.writeUInt16BE(msg.length);
    s.write(Buffer.concat([len, msg]));
  });
}

test('server answers known names, forwards the rest to the upstream, over UDP and TCP', async () => {
  const upstream = dgram.createSocket('udp4');
  upstream.on('message', (m, r) => {
    const q = parseQuery(m)!;
    upstream.send(buildResponse(m, q, ['192.0.2.99']), r.port, r.address);
  });
  await new Promise<void>((r) => upstream.bind(0, '127.0.0.1', () => r()));
  const seen: string[] = [];
  const dns = new EmbeddedDns((client, name) => {
    seen.push(`${client} ${name}`);
    return name === 'web' ? ['10.0.0.7'] : undefined;
  }, [`127.0.0.1:${upstream.address().port}`]);
  try {
    const port = await dns.listen('127.0.0.1', 0);
    assert.deepEqual(answerIps(await udpAsk(port, buildQuery(1, 'web'))), ['10.0.0.7']);
    assert.deepEqual(answerIps(await udpAsk(port, buildQuery(2, 'WEB'))), ['10.0.0.7']);
    const aaaa = await udpAsk(port, buildQuery(3, 'web', TYPE_AAAA));
    assert.equal(aaaa.readUInt16BE(6), 0, 'AAAA of a local name: no answers');
    assert.equal(aaaa.readUInt16BE(2) & 0xf, 0, 'NOERROR');
    const fwd = await udpAsk(port, buildQuery(4, 'elsewhere.example'));
    assert.equal(fwd.readUInt16BE(0), 4);
    assert.deepEqual(answerIps(fwd), ['192.0.2.99']);
    assert.deepEqual(answerIps(await tcpAsk(port, buildQuery(5, 'web'))), ['10.0.0.7']);
    assert.ok(seen.includes('127.0.0.1 web'));
  } finally {
    await dns.close();
    upstream.close();
  }
});

test('no upstream answering → SERVFAIL', async () => {
  const dead = dgram.createSocket('udp4');
  await new Promise<void>((r) => dead.bind(0, '127.0.0.1', () => r()));
  const dns = new EmbeddedDns(() => undefined, [`127.0.0.1:${dead.address().port}`], 200);
  try {
    const port = await dns.listen('127.0.0.1', 0);
    const resp = await udpAsk(port, buildQuery(9, 'nowhere.example'));
    assert.equal(resp.readUInt16BE(2) & 0xf, 2);
  } finally {
    await dns.close();
    dead.close();
  }
});
