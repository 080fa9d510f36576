/** Go's httpproxy rules for HTTP(S)_PROXY / NO_PROXY (src/registry/client/proxy.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskProxyCredentials, parseProxyUrl, proxyFromEnv, ProxyResolver } from '../../src/registry/client/proxy.ts';

const P = 'http://proxy.example:3128';
const via = (noProxy: string, url: string) => new ProxyResolver({ httpProxy: P, httpsProxy: P, noProxy }).proxyFor(url)?.href;

test('environment: upper case first, then lower case', () => {
  assert.deepEqual(proxyFromEnv({ HTTP_PROXY: 'a:1', http_proxy: 'b:1', https_proxy: 'c:1', no_proxy: 'x' }), { httpProxy: 'a:1', httpsProxy: 'c:1', noProxy: 'x' });
  assert.deepEqual(proxyFromEnv({}), { httpProxy: '', httpsProxy: '', noProxy: '' });
});

test('scheme picks the proxy; a value without a scheme is http://', () => {
  const r = new ProxyResolver({ httpProxy: 'plain:8080', httpsProxy: '' });
  assert.equal(r.proxyFor('http://reg.example/v2/')?.href, 'http://plain:8080/');
  assert.equal(r.proxyFor('https://reg.example/v2/'), undefined);
  assert.equal(parseProxyUrl('https://u:p@px:1').protocol, 'https:');
});

test('localhost and loopback are never proxied (Go)', () => {
  for (const u of ['http://localhost:5000/', 'http://127.0.0.1:5000/', 'http://127.8.9.1/', 'https://[::1]:5000/']) assert.equal(via('', u), undefined, u);
  assert.equal(via('', 'http://10.1.2.3:5000/'), 'http://proxy.example:3128/');
});

test('NO_PROXY: host, .domain, *.domain, suffix, CIDR, IP, host:port, *', () => {
  const reg = 'https://registry.corp.example/v2/';
  assert.equal(via('corp.example', reg), undefined); // suffix: host and subdomains
  assert.equal(via('corp.example', 'https://corp.example/'), undefined);
  assert.equal(via('.corp.example', 'https://corp.example/'), P + '/'); // .domain: subdomains only
  assert.equal(via('.corp.example', reg), undefined);
  assert.equal(via('*.corp.example', reg), undefined);
  assert.equal(via('orp.example', reg), P + '/'); // not a label boundary
  assert.equal(via('registry.corp.example:443', reg), undefined);
  assert.equal(via('registry.corp.example:5000', reg), P + '/');
  assert.equal(via('10.0.0.0/8', 'http://10.20.30.40:5000/'), undefined);
  assert.equal(via('10.0.0.0/8', 'http://11.0.0.1:5000/'), P + '/');
  assert.equal(via('10.1.2.3', 'http://10.1.2.3:5000/'), undefined);
  assert.equal(via('10.1.2.3:5001', 'http://10.1.2.3:5000/'), P + '/');
  assert.equal(via('fd00::/8', 'https://[fd00::5]/'), undefined);
  assert.equal(via(' A.Example , b.example', 'https://x.a.example/'), undefined); // trimmed, case-insensitive
  assert.equal(via('*', reg), undefined);
});

test('credentials are masked for display', () => {
  assert.equal(maskProxyCredentials('http://user:secret@px:3128'), 'http://xxxxx:xxxxx@px:3128');
  assert.equal(maskProxyCredentials('http://px:3128'), 'http://px:3128');
});

test('CONNECT failures read like Go\'s: refused CONNECT, unreachable or silent proxy', async () => {
  const net = await import('node:net');
  const { createHttpRequester } = await import('../../src/registry/client/transport.ts');
  const listen = (onConn: (c: import('node:net').Socket) => void) => new Promise<import('node:net').Server>((r) => { const s = net.createServer(onConn); s.listen(0, '127.0.0.1', () => r(s)); });
  const portOf = (s: import('node:net').Server) => (s.address() as import('node:net').AddressInfo).port;
  const msg = async (httpsProxy: string, timeoutMs?: number) => {
    try {
      await createHttpRequester(new ProxyResolver({ httpsProxy }))({ url: 'https://reg.example.invalid/v2/', timeoutMs });
      return 'no error';
    } catch (e) {
      return (e as Error).message;
    }
  };
  const forbidden = await listen((c) => c.end('HTTP/1.1 403 Forbidden\r\n\r\n'));
  const silent = await listen(() => {});
  try {
    assert.equal(await msg(`127.0.0.1:${portOf(forbidden)}`), 'Get "https://reg.example.invalid/v2/": Forbidden');
    assert.equal(await msg(`http://127.0.0.1:${portOf(silent)}`, 300), 'Get "https://reg.example.invalid/v2/": proxyconnect tcp: i/o timeout');
    assert.match(await msg('http://127.0.0.1:1'), /^Get "https:\/\/reg\.example\.invalid\/v2\/": proxyconnect tcp: connect ECONNREFUSED 127\.0\.0\.1:1$/);
  } finally {
    forbidden.close();
    silent.close();
  }
});
