/**
 * The CRI streaming server (src/cri/streaming) over real sockets: SPDY/3.1 sessions opened
 * the way client-go's remotecommand and portforward clients open them, against a
 * StreamingServer backed by a small StreamRuntime (local processes, a local TCP server).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import http from 'node:http';
import zlib from 'node:zlib';
import { createHash, randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { StreamingServer, InvalidStreamRequestError, type StreamIO, type StreamRuntime } from '../../src/cri/streaming/index.ts';
import { RequestCache } from '../../src/cri/streaming/tokens.ts';
import { SPDY3_DICTIONARY } from '../../src/cri/streaming/spdy/dictionary.ts';
import { terminalSizes } from '../../src/cri/streaming/resize.ts';
import { openRemoteCommand, readAll, upgrade } from '../helpers/cri-stream-client.ts';
import { SpdySession } from '../../src/cri/streaming/spdy/session.ts';
import { crictlBinary, startFakeCri } from '../helpers/fake-cri.ts';

/** exec runs the command on the host; container "tty" reports resizes; attach upper-cases stdin. */
class LocalRuntime implements StreamRuntime {
  sizes: { width: number; height: number }[] = [];
  async exec(containerId: string, cmd: string[], io: StreamIO): Promise<number> {
    if (containerId === 'tty') {
      assert.equal(io.tty, true);
      for await (const s of io.resize!) {
        this.sizes.push(s);
        io.stdout!.write(`size ${s.width}x${s.height}\r\n`);
        if (this.sizes.length === 2) break;
      }
      return 0;
    }
    if (containerId === 'boom') throw new Error('no such container');
    const child = spawn(cmd[0]!, cmd.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.on('error', () => {}); // a process that exits before reading its input
    if (io.stdin) io.stdin.pipe(child.stdin); else child.stdin.end();
    if (io.stdout) child.stdout.pipe(io.stdout, { end: false }); else child.stdout.resume();
    if (io.stderr) child.stderr.pipe(io.stderr, { end: false }); else child.stderr.resume();
    return new Promise((resolve) => child.on('close', (code) => resolve(code ?? 255)));
  }
  async attach(_id: string, io: StreamIO): Promise<void> {
    for await (const chunk of io.stdin!) io.stdout!.write(String(chunk).toUpperCase());
  }
  portForward(_sandbox: string, port: number, stream: Duplex): Promise<void> {
    return new Promise((resolve, reject) => {
      const c = net.connect(port, '127.0.0.1');
      c.once('error', reject);
      c.once('connect', () => {
        stream.pipe(c);
        c.pipe(stream);
      });
      c.once('close', () => resolve());
    });
  }
}

const rt = new LocalRuntime();
const server = new StreamingServer(rt, { address: '127.0.0.1:0' });
let echo: net.Server;
let echoPort = 0;

before(async () => {
  await server.start();
  echo = net.createServer((c) => c.on('data', (d) => c.write(`echo:${d}`)).on('end', () => c.end()));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  echoPort = (echo.address() as net.AddressInfo).port;
});
after(async () => {
  await server.stop();
  echo.close();
});

const execReq = (cmd: string[], o: Partial<{ stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }> = {}, containerId = 'c1') =>
  ({ containerId, cmd, tty: false, stdin: false, stdout: true, stderr: true, ...o });

test('the SPDY/3 dictionary is the spec\'s', () => {
  assert.equal(SPDY3_DICTIONARY.length, 1423);
  assert.equal(createHash('sha256').update(SPDY3_DICTIONARY).digest('hex'), '51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02');
});

test('exec: stdout and stderr apart, exit 0 reported as Success (v4)', async () => {
  const url = server.execUrl(execReq(['sh', '-c', 'echo out; echo err >&2']));
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/exec\/[A-Za-z0-9_-]+$/);
  const s = await openRemoteCommand(url, { stdout: true, stderr: true });
  assert.equal(s.protocol, 'v4.channel.k8s.io');
  const r = await s.result();
  assert.equal(r.stdout, 'out\n');
  assert.equal(r.stderr, 'err\n');
  assert.deepEqual(JSON.parse(r.error), { metadata: {}, status: 'Success' });
});

test('exec: a non-zero exit is a NonZeroExitCode status with the ExitCode cause', async () => {
  const s = await openRemoteCommand(server.execUrl(execReq(['sh', '-c', 'echo bye; exit 3'])), { stdout: true, stderr: true });
  const r = await s.result();
  assert.equal(r.stdout, 'bye\n');
  const st = JSON.parse(r.error);
  assert.equal(st.status, 'Failure');
  assert.equal(st.reason, 'NonZeroExitCode');
  assert.deepEqual(st.details.causes, [{ reason: 'ExitCode', message: '3' }]);
});

test('exec: older protocols get the failure as text, success as nothing', async () => {
  const fail = await openRemoteCommand(server.execUrl(execReq(['sh', '-c', 'exit 2'])), { stdout: true, stderr: true }, ['v3.channel.k8s.io']);
  assert.equal(fail.protocol, 'v3.channel.k8s.io');
  assert.match((await fail.result()).error, /non-zero exit code/);
  const ok = await openRemoteCommand(server.execUrl(execReq(['true'])), { stdout: true, stderr: true }, ['v2.channel.k8s.io']);
  assert.equal((await ok.result()).error, '');
});

test('exec: a runtime error is an InternalError status', async () => {
  const s = await openRemoteCommand(server.execUrl(execReq(['x'], {}, 'boom')), { stdout: true, stderr: true });
  const st = JSON.parse((await s.result()).error);
  assert.equal(st.reason, 'InternalError');
  assert.equal(st.code, 500);
  assert.match(st.message, /no such container/);
});

test('exec: stdin reaches the process, its end closes the process\'s stdin', async () => {
  const s = await openRemoteCommand(server.execUrl(execReq(['cat'], { stdin: true, stderr: false })), { stdin: true, stdout: true });
  const big = randomBytes(300 * 1024).toString('hex'); // several frames, more than a pipe holds
  s.stdin!.write('hello ');
  s.stdin!.end(big);
  const r = await s.result();
  assert.equal(r.stdout.length, 6 + big.length);
  assert.ok(r.stdout === 'hello ' + big);
  assert.equal(JSON.parse(r.error).status, 'Success');
});

test('exec with a tty: no stderr stream, resize events reach the runtime', async () => {
  rt.sizes = [];
  const s = await openRemoteCommand(server.execUrl(execReq(['sh'], { tty: true, stdin: true, stderr: false }, 'tty')), { stdin: true, stdout: true, tty: true });
  assert.ok(s.resize, 'v4 opens a resize stream');
  assert.equal(s.stderr, undefined);
  s.resize!.write(JSON.stringify({ Width: 80, Height: 24 }) + '\n');
  s.resize!.write(JSON.stringify({ Width: 132, Height: 43 }) + '\n');
  const r = await s.result();
  assert.equal(r.stdout, 'size 80x24\r\nsize 132x43\r\n');
  assert.deepEqual(rt.sizes, [{ width: 80, height: 24 }, { width: 132, height: 43 }]);
  s.session.destroy();
});

test('attach: stdin in, stdout out, Success once the runtime returns', async () => {
  const url = server.attachUrl({ containerId: 'c1', tty: false, stdin: true, stdout: true, stderr: false });
  assert.match(url, /\/attach\//);
  const s = await openRemoteCommand(url, { stdin: true, stdout: true });
  s.stdin!.end('shout');
  const r = await s.result();
  assert.equal(r.stdout, 'SHOUT');
  assert.equal(JSON.parse(r.error).status, 'Success');
});

test('port-forward: data both ways for concurrent requests over one session', async () => {
  const url = server.portForwardUrl({ podSandboxId: 'pod1', ports: [echoPort] });
  const up = await upgrade(url, ['portforward.k8s.io']);
  assert.equal(up.status, 101);
  assert.equal(up.headers['x-stream-protocol-version'], 'portforward.k8s.io');
  const session = new SpdySession(up.socket!, 'client');
  session.receive(up.head!);
  const one = async (id: string, msg: string) => {
    const err = await session.openStream([['streamType', 'error'], ['port', String(echoPort)], ['requestID', id]]);
    err.end();
    const data = await session.openStream([['streamType', 'data'], ['port', String(echoPort)], ['requestID', id]]);
    const got = readAll(data);
    data.end(msg);
    return { data: await got, error: await readAll(err) };
  };
  const [a, b] = await Promise.all([one('0', 'ping-a'), one('1', 'ping-b')]);
  assert.deepEqual(a, { data: 'echo:ping-a', error: '' });
  assert.deepEqual(b, { data: 'echo:ping-b', error: '' });
  // A closed port: the reason comes back on the error stream.
  const closed = net.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const deadPort = (closed.address() as net.AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  const err = await session.openStream([['streamType', 'error'], ['port', String(deadPort)], ['requestID', '2']]);
  err.end();
  const data = await session.openStream([['streamType', 'data'], ['port', String(deadPort)], ['requestID', '2']]);
  data.resume();
  assert.match(await readAll(err), new RegExp(`error forwarding port ${deadPort} to pod pod1, uid : .*ECONNREFUSED`));
  session.destroy();
});

test('tokens are single-use; unknown and mismatched tokens are 404', async () => {
  const url = server.execUrl(execReq(['true']));
  const s = await openRemoteCommand(url, { stdout: true, stderr: true });
  await s.result();
  const again = await upgrade(url, ['v4.channel.k8s.io']);
  assert.equal(again.status, 404);
  assert.equal(again.body, '404 page not found\n');
  assert.equal((await upgrade(`${server.url}/exec/nosuchtoken`, ['v4.channel.k8s.io'])).status, 404);
  assert.equal((await upgrade(`${server.url}/nothing/here`, ['v4.channel.k8s.io'])).status, 404);
  // An exec token on the attach path is spent and refused.
  const tok = server.execUrl(execReq(['true'])).split('/').pop()!;
  assert.equal((await upgrade(`${server.url}/attach/${tok}`, ['v4.channel.k8s.io'])).status, 404);
  assert.equal((await upgrade(`${server.url}/exec/${tok}`, ['v4.channel.k8s.io'])).status, 404);
});

test('a refused handshake leaves the token usable (a client can fall back)', async () => {
  const url = server.execUrl(execReq(['echo', 'hi'], { stderr: false }));
  const none = await upgrade(url, []);
  assert.equal(none.status, 400);
  assert.match(none.body, /X-Stream-Protocol-Version is required/);
  const wrong = await upgrade(url, ['v9.channel.k8s.io']);
  assert.equal(wrong.status, 403);
  assert.match(String(wrong.headers['x-accepted-stream-protocol-versions']), /v4\.channel\.k8s\.io/);
  const plain = await new Promise<number>((resolve) => http.get(url, (res) => { res.resume(); resolve(res.statusCode ?? 0); }));
  assert.equal(plain, 400);
  const s = await openRemoteCommand(url, { stdout: true });
  assert.equal((await s.result()).stdout, 'hi\n');
});

test('tokens expire after their TTL', () => {
  let now = 1000;
  const c = new RequestCache<string>(60_000, 2, () => now);
  const a = c.insert('a');
  const b = c.insert('b');
  assert.throws(() => c.insert('c'), /in-flight/);
  assert.equal(c.peek(a), 'a');
  now += 60_001;
  assert.equal(c.consume(a), undefined);
  c.insert('d'); // expired entries make room
  assert.equal(c.consume(b), undefined);
});

test('requests kubelet would refuse are refused when the URL is asked for', () => {
  assert.throws(() => server.execUrl(execReq(['sh'], { tty: true, stderr: true })), InvalidStreamRequestError);
  assert.throws(() => server.execUrl(execReq(['sh'], { stdout: false, stderr: false })), /one of stdin, stdout, or stderr/);
  assert.throws(() => server.execUrl(execReq([])), InvalidStreamRequestError);
  assert.throws(() => server.portForwardUrl({ podSandboxId: 'p', ports: [70000] }), InvalidStreamRequestError);
});

test('the resize decoder takes JSON values however they are split', async () => {
  async function* chunks() { yield '{"Width":1,'; yield '"Height":2}{"width"'; yield ':3,"height":4}\n'; }
  const got = [];
  for await (const s of terminalSizes(chunks())) got.push(s);
  assert.deepEqual(got, [{ width: 1, height: 2 }, { width: 3, height: 4 }]);
});

/** A WebSocket client frame (masked, as clients must). */
function wsFrame(opcode: number, payload: Buffer): Buffer {
  const mask = randomBytes(4);
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i & 3]!));
  const head = payload.length < 126 ? Buffer.from([0x80 | opcode, 0x80 | payload.length]) : Buffer.from([0x80 | opcode, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  return Buffer.concat([head, mask, body]);
}

test('exec over WebSocket (v5.channel.k8s.io): channels, stdin close signal, status', async () => {
  const url = server.execUrl(execReq(['cat'], { stdin: true }));
  const key = randomBytes(16).toString('base64');
  const { socket, head, res } = await new Promise<{ socket: Duplex; head: Buffer; res: http.IncomingMessage }>((resolve, reject) => {
    const req = http.request(url, { headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Key': key, 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Protocol': 'v5.channel.k8s.io, v4.channel.k8s.io' } });
    req.on('upgrade', (r, s, h) => resolve({ socket: s, head: h, res: r }));
    req.on('response', (r) => reject(new Error(`status ${r.statusCode}`)));
    req.end();
  });
  assert.equal(res.headers['sec-websocket-protocol'], 'v5.channel.k8s.io');
  assert.equal(res.headers['sec-websocket-accept'], createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64'));
  const out: Record<number, string> = {};
  let buf = head;
  const done = new Promise<void>((resolve) => {
    const parse = () => {
      while (buf.length >= 2) {
        let len = buf[1]! & 0x7f;
        let off = 2;
        if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); off = 4; }
        if (buf.length < off + len) return;
        const op = buf[0]! & 0x0f;
        const p = buf.subarray(off, off + len);
        buf = buf.subarray(off + len);
        if (op === 8) { resolve(); return; }
        if (p.length) out[p[0]!] = (out[p[0]!] ?? '') + p.subarray(1).toString();
      }
    };
    parse();
    socket.on('data', (c: Buffer) => { buf = Buffer.concat([buf, c]); parse(); });
    socket.on('close', () => resolve());
  });
  socket.write(wsFrame(2, Buffer.concat([Buffer.from([0]), Buffer.from('over websocket')])));
  socket.write(wsFrame(2, Buffer.from([255, 0]))); // v5: stdin closed
  await done;
  socket.destroy();
  assert.equal(out[1], 'over websocket');
  assert.deepEqual(JSON.parse(out[3]!), { metadata: {}, status: 'Success' });
});

/**
 * crictl v1.26.1 (kubelet's own Go client code: client-go remotecommand and portforward over
 * moby/spdystream) against this server, through a CRI stub that only hands out the URLs.
 * Needs crictl (shared tools) and the CRI server's :authority rewriter (src/cri/h2-authority.ts).
 */
test('crictl exec, attach and port-forward against the streaming server', async (t) => {
  const crictl = crictlBinary();
  const rewriter = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../src/cri/h2-authority.ts');
  if (!crictl || !fs.existsSync(rewriter)) { t.skip('needs crictl and src/cri/h2-authority.ts'); return; }
  const { rewritingDuplex } = (await import(rewriter)) as { rewritingDuplex: (s: net.Socket) => Duplex };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cri-streaming-'));
  const cri = await startFakeCri(server, dir, rewritingDuplex);
  const run = (args: string[], input?: string) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const p = spawn(crictl, ['--runtime-endpoint', cri.endpoint, '--timeout', '10s', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c) => { stdout += c; });
    p.stderr.on('data', (c) => { stderr += c; });
    p.stdin.end(input);
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
  try {
    const r = await run(['exec', 'c1', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.stdout, 'out\n');
    assert.match(r.stderr, /^err\n/);
    assert.match(r.stderr, /command terminated with exit code 3/);
    const ok = await run(['exec', 'c1', 'true']);
    assert.equal(ok.code, 0, ok.stderr);
    const cat = await run(['exec', '-i', 'c1', 'cat'], 'through stdin\n');
    assert.equal(cat.stdout, 'through stdin\n');
    assert.equal(cat.code, 0, cat.stderr);
    const att = await run(['attach', '-i', 'c1'], 'attached\n');
    assert.equal(att.stdout, 'ATTACHED\n');

    // port-forward: a free local port, then three connections through it to the echo server.
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const local = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const pf = spawn(crictl, ['--runtime-endpoint', cri.endpoint, 'port-forward', 'pod1', `${local}:${echoPort}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      await new Promise<void>((resolve, reject) => {
        pf.stdout.on('data', (c) => { if (String(c).includes('Forwarding from')) resolve(); });
        pf.on('close', () => reject(new Error('crictl port-forward exited')));
      });
      for (const msg of ['one', 'two', 'three']) {
        const got = await new Promise<string>((resolve, reject) => {
          const c = net.connect(local, '127.0.0.1', () => c.end(msg));
          let d = '';
          c.on('data', (x) => { d += x; });
          c.on('close', () => resolve(d));
          c.on('error', reject);
        });
        assert.equal(got, `echo:${msg}`);
      }
    } finally {
      pf.kill();
    }
  } finally {
    await cri.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a header block that inflates past the limit ends the session', async () => {
  const url = server.execUrl(execReq(['true']));
  const up = await upgrade(url, ['v4.channel.k8s.io']);
  assert.equal(up.status, 101);
  // count 1, name "x", a 1 MiB value of zeros: a few KiB compressed.
  const value = Buffer.alloc(1024 * 1024);
  const raw = Buffer.alloc(4 + 4 + 1 + 4);
  raw.writeUInt32BE(1, 0); raw.writeUInt32BE(1, 4); raw.write('x', 8); raw.writeUInt32BE(value.length, 9);
  const block = zlib.deflateSync(Buffer.concat([raw, value]), { dictionary: SPDY3_DICTIONARY, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  const frame = Buffer.alloc(18);
  frame.writeUInt16BE(0x8003, 0); frame.writeUInt16BE(1, 2); frame.writeUIntBE(10 + block.length, 5, 3); frame.writeUInt32BE(1, 8);
  up.socket!.write(Buffer.concat([frame, block]));
  await new Promise<void>((resolve) => { up.socket!.resume(); up.socket!.on('close', () => resolve()); });
});

test('PINGs are echoed; base64.channel.k8s.io over WebSocket', async () => {
  const up = await upgrade(server.portForwardUrl({ podSandboxId: 'pod1', ports: [] }), ['portforward.k8s.io']);
  const session = new SpdySession(up.socket!, 'client');
  session.receive(up.head!);
  const pong = new Promise<number>((r) => session.once('pong', r));
  session.ping(7);
  assert.equal(await pong, 7);
  session.destroy();

  const url = server.execUrl(execReq(['sh', '-c', 'echo b64; echo e >&2']));
  const key = randomBytes(16).toString('base64');
  const { socket, head } = await new Promise<{ socket: Duplex; head: Buffer }>((resolve, reject) => {
    const req = http.request(url, { headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Key': key, 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Protocol': 'base64.channel.k8s.io' } });
    req.on('upgrade', (_r, s, h) => resolve({ socket: s, head: h }));
    req.on('response', (r) => reject(new Error(`status ${r.statusCode}`)));
    req.end();
  });
  let buf = head;
  const msgs: string[] = [];
  await new Promise<void>((resolve) => {
    const parse = () => {
      while (buf.length >= 2 && buf.length >= 2 + (buf[1]! & 0x7f)) {
        const len = buf[1]! & 0x7f;
        const op = buf[0]! & 0x0f;
        const p = buf.subarray(2, 2 + len).toString();
        buf = buf.subarray(2 + len);
        if (op === 8) { resolve(); return; }
        msgs.push(p);
      }
    };
    parse();
    socket.on('data', (c: Buffer) => { buf = Buffer.concat([buf, c]); parse(); });
    socket.on('close', () => resolve());
  });
  socket.destroy();
  const decoded = msgs.filter((m) => m.length > 1).map((m) => [m[0], Buffer.from(m.slice(1), 'base64').toString()]);
  assert.deepEqual(decoded.sort(), [['1', 'b64\n'], ['2', 'e\n']]);
});
