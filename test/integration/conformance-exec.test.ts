/**
 * Exec as docker 20.10 answers docker-py's api_exec_test: a TTY exec runs on a real pty (lines
 * end in \r\n) whatever the start request's framing, a process that cannot start ends the exec
 * with 126, and detach keys (default or the create body's `detachKeys`) end the stream while
 * the process goes on.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { importBusybox } from '../helpers/images.ts';

let d: TestDaemon;
before(async () => {
  d = await startDaemon();
  await importBusybox(d);
  assert.equal((await d.api('POST', '/containers/create?name=ex', { Image: 'bb', Cmd: ['cat'], OpenStdin: true })).status, 201);
  assert.equal((await d.api('POST', '/containers/ex/start')).status, 204);
});
after(async () => { await d?.stop(); });

/** An upgraded `POST /exec/{id}/start`: the bytes after the response head, and the open socket. */
interface Hijacked { sock: net.Socket; head: string; data: () => Buffer; ended: Promise<void> }

function startHijacked(id: string, body: unknown): Promise<Hijacked> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(d.sock);
    const payload = JSON.stringify(body);
    let buf = Buffer.alloc(0);
    let head: string | undefined;
    let endedResolve!: () => void;
    const ended = new Promise<void>((r) => { endedResolve = r; });
    sock.on('connect', () => {
      sock.write(`POST /v1.41/exec/${id}/start HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`);
    });
    sock.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (head !== undefined) return;
      const i = buf.indexOf('\r\n\r\n');
      if (i < 0) return;
      head = buf.subarray(0, i).toString();
      buf = buf.subarray(i + 4);
      resolve({ sock, head, data: () => buf, ended });
    });
    sock.on('end', endedResolve);
    sock.on('close', endedResolve);
    sock.on('error', reject);
  });
}

/** stdcopy frames → [stream, payload] pairs. */
function frames(b: Buffer): [number, string][] {
  const out: [number, string][] = [];
  for (let off = 0; off + 8 <= b.length;) {
    const n = b.readUInt32BE(off + 4);
    out.push([b[off]!, b.subarray(off + 8, off + 8 + n).toString()]);
    off += 8 + n;
  }
  return out;
}

async function createExec(body: Record<string, unknown>): Promise<string> {
  const r = await d.api('POST', '/containers/ex/exec', body);
  assert.equal(r.status, 201, r.body);
  return r.json.Id;
}

const within = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`timed out: ${what}`)), ms).unref())]);

const SCRIPT = ['sh', '-c', 'echo hello out; sleep 0.3; echo hello err >&2'];

test('a TTY exec runs on a pty: \\r\\n line ends, one stdout stream; the start Tty only picks framing', async () => {
  const framed = await startHijacked(await createExec({ Cmd: SCRIPT, Tty: true, AttachStdout: true, AttachStderr: true }), { Tty: false });
  await within(framed.ended, 20_000, 'framed exec end');
  const f = frames(framed.data());
  assert.ok(f.every(([s]) => s === 1), 'a pty has one output stream');
  assert.equal(f.map(([, p]) => p).join(''), 'hello out\r\nhello err\r\n');

  const raw = await startHijacked(await createExec({ Cmd: SCRIPT, Tty: true, AttachStdout: true, AttachStderr: true }), { Tty: true });
  await within(raw.ended, 20_000, 'raw exec end');
  assert.equal(raw.data().toString(), 'hello out\r\nhello err\r\n');

  // Without Tty at create there is no pty, even if the start asks for raw output.
  const noPty = await startHijacked(await createExec({ Cmd: ['sh', '-c', 'tty; true'], AttachStdout: true }), { Tty: true });
  await within(noPty.ended, 20_000, 'no-pty exec end');
  assert.equal(noPty.data().toString(), 'not a tty\n');
});

test('an exec whose process cannot start ends with ExitCode 126 (missing, not executable, directory)', async () => {
  assert.equal((await d.cli(['exec', 'ex', 'sh', '-c', 'echo x > /tmp/notexec; mkdir -p /tmp/adir'])).code, 0);
  for (const cmd of ['no-such-binary', '/tmp/notexec', '/tmp/adir', '/no/such/path']) {
    const id = await createExec({ Cmd: [cmd], AttachStdout: true, AttachStderr: true });
    const h = await startHijacked(id, { Tty: false });
    await within(h.ended, 20_000, `start of ${cmd}`);
    const f = frames(h.data());
    assert.equal(f.length, 1, cmd);
    assert.equal(f[0]![0], 1, 'docker 20.10 writes the error as a stdout frame');
    assert.match(f[0]![1], /^OCI runtime exec failed: .*(executable file not found|permission denied|no such file or directory).*\r\n$/, cmd);
    const ins = (await d.api('GET', `/exec/${id}/json`)).json;
    assert.equal(ins.ExitCode, 126, cmd);
    assert.equal(ins.Running, false);
    assert.equal(ins.Pid, 0);
  }
  // Detached: the error is the answer (400), the exit code is the same.
  const id = await createExec({ Cmd: ['no-such-binary'], Tty: true });
  const r = await d.api('POST', `/exec/${id}/start`, { Detach: true });
  assert.equal(r.status, 400);
  assert.match(r.json.message, /executable file not found in \$PATH/);
  assert.equal((await d.api('GET', `/exec/${id}/json`)).json.ExitCode, 126);
  // The CLI reports it as the exit status.
  assert.equal((await d.cli(['exec', 'ex', 'no-such-binary'])).code, 126);
});

async function detachWith(create: Record<string, unknown>, keys: Buffer[]): Promise<string> {
  const id = await createExec({ Cmd: ['cat'], AttachStdin: true, AttachStdout: true, Tty: true, ...create });
  const h = await startHijacked(id, { Tty: true });
  h.sock.write('ping\n');
  await within((async () => { while (!h.data().toString().includes('ping\r\nping\r\n')) await new Promise((r) => setTimeout(r, 20)); })(), 10_000, 'echo');
  for (const k of keys) {
    h.sock.write(k);
    await new Promise((r) => setTimeout(r, 200));
  }
  await within(h.ended, 10_000, 'stream end after the detach keys');
  h.sock.destroy();
  const ins = (await d.api('GET', `/exec/${id}/json`)).json;
  assert.equal(ins.Running, true, 'the process goes on after a detach');
  assert.equal(ins.ExitCode, null);
  return ins.DetachKeys;
}

test('ctrl-p ctrl-q detaches a TTY exec: the stream ends, the process goes on', async () => {
  assert.equal(await detachWith({}, [Buffer.from([0x10]), Buffer.from([0x11])]), '');
});

test('detachKeys of the create body (any case, as docker-py sends it) detach the exec', async () => {
  // docker keeps the parsed bytes and shows them in base64: ctrl-p → 0x10 → "EA==".
  assert.equal(await detachWith({ detachKeys: 'ctrl-p' }, [Buffer.from([0x10])]), 'EA==');
  const events = await d.api('GET', `/events?since=0&until=${Math.ceil(Date.now() / 1000) + 1}&filters=${encodeURIComponent(JSON.stringify({ event: ['exec_detach'] }))}`);
  assert.equal(events.body.trim().split('\n').filter(Boolean).length, 2);
});

test('a bad detachKeys in the create body is refused with docker\'s words', async () => {
  const r = await d.api('POST', '/containers/ex/exec', { Cmd: ['cat'], detachKeys: 'ctrl-' });
  assert.equal(r.status, 400);
  assert.match(r.json.message, /^Invalid escape keys \(ctrl-\) provided$/);
});
