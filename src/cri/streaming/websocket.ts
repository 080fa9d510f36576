/**
 * exec/attach over WebSocket (RFC 6455), kubelet's wsstream channel protocols: each message
 * starts with its channel (0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize), raw in binary
 * messages (`channel.k8s.io`, `v4.channel.k8s.io`, `v5.channel.k8s.io`) or as an ASCII digit
 * then base64 in text messages (`base64.channel.k8s.io`, `v4.base64.channel.k8s.io`). v4 and v5
 * put a JSON Status on the error channel; v5 adds the close signal (channel 255, then the
 * channel the client closed: stdin EOF). No subprotocol means `channel.k8s.io`.
 */
import { createHash } from 'node:crypto';
import type http from 'node:http';
import { PassThrough, Writable, type Duplex } from 'node:stream';
import type { Channels, StreamOptions } from './remotecommand.ts';
import { encodeStatus } from './status.ts';

export const WEBSOCKET_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v4.base64.channel.k8s.io', 'channel.k8s.io', 'base64.channel.k8s.io'];

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MAX_MESSAGE = 16 * 1024 * 1024;
const CH = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

export function isWebSocketUpgrade(req: http.IncomingMessage): boolean {
  return String(req.headers.upgrade ?? '').toLowerCase() === 'websocket' && /(^|[\s,])upgrade($|[\s,])/i.test(String(req.headers.connection ?? ''));
}

/** The subprotocol to use (first of the client's we support; '' when it asked for none), or undefined. */
export function webSocketProtocol(req: http.IncomingMessage): string | undefined {
  const asked = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (!asked.length) return '';
  return asked.find((p) => WEBSOCKET_PROTOCOLS.includes(p));
}

/** Completes the handshake and returns the session's channels (undefined: refused, answered). */
export function acceptWebSocketRemoteCommand(req: http.IncomingMessage, socket: Duplex, head: Buffer, protocol: string, o: StreamOptions): Channels | undefined {
  const key = String(req.headers['sec-websocket-key'] ?? '');
  if (!key || req.headers['sec-websocket-version'] !== '13') {
    socket.end('HTTP/1.1 400 Bad Request\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    return undefined;
  }
  const accept = createHash('sha1').update(key + GUID).digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n${protocol ? `Sec-WebSocket-Protocol: ${protocol}\r\n` : ''}\r\n`);
  const base64 = protocol.includes('base64');
  const ws = new WebSocketConn(socket);

  const stdin = o.stdin ? new PassThrough() : undefined;
  const resize = o.tty ? new PassThrough() : undefined;
  const inputs: Record<number, PassThrough | undefined> = { [CH.stdin]: stdin, [CH.resize]: resize };
  const send = (ch: number, data: Buffer): boolean => (base64
    ? ws.send(Buffer.from(String.fromCharCode(48 + ch) + data.toString('base64')), 1)
    : ws.send(Buffer.concat([Buffer.from([ch]), data]), 2));
  const output = (ch: number) => new Writable({
    write(chunk: Buffer, _e, cb) {
      if (ws.isClosed) { cb(); return; }
      if (send(ch, chunk)) cb(); else ws.whenDrained(() => cb());
    },
  });
  ws.onMessage = (msg) => {
    if (!msg.length) return;
    let ch = msg[0]!;
    let data = msg.subarray(1);
    if (base64) {
      ch -= 48;
      data = Buffer.from(data.toString('latin1'), 'base64');
    }
    if (ch === CH.close && protocol === 'v5.channel.k8s.io') {
      inputs[data[0] ?? -1]?.end();
      return;
    }
    const sink = inputs[ch];
    if (sink && !sink.writableEnded && !sink.write(data)) ws.pause(() => sink.once('drain', () => ws.resume()));
  };
  ws.onClose = () => { stdin?.end(); resize?.end(); };
  ws.receive(head);

  const stdout = o.stdout ? output(CH.stdout) : undefined;
  const stderr = o.stderr && !o.tty ? output(CH.stderr) : undefined;
  // kubelet tells the client the session is up with an empty message on the lowest writable channel.
  send(o.stdout ? CH.stdout : o.stderr && !o.tty ? CH.stderr : CH.error, Buffer.alloc(0));
  return {
    stdin, stdout, stderr, resize,
    writeStatus: async (s) => {
      const bytes = encodeStatus(protocol, s);
      if (bytes.length && !ws.isClosed) send(CH.error, bytes);
    },
    close: () => ws.close(1000),
    closed: ws.closed,
  };
}

/** A minimal RFC 6455 server connection: masked frames in, unmasked out, fragments joined. */
class WebSocketConn {
  onMessage: (msg: Buffer) => void = () => {};
  onClose: () => void = () => {};
  private buf: Buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private fragmentsLen = 0;
  private done = false;
  private closeSent = false;
  private resolveClosed!: () => void;
  readonly closed: Promise<void> = new Promise((r) => { this.resolveClosed = r; });

  constructor(private readonly socket: Duplex) {
    socket.on('data', (c: Buffer) => this.onBytes(c));
    socket.on('close', () => this.finish());
    socket.on('end', () => this.finish());
    socket.on('error', () => this.finish());
  }

  get isClosed(): boolean { return this.done; }

  /** Bytes that came with the upgrade request (a client that did not wait for the 101). */
  receive(head: Buffer): void { if (head.length) this.onBytes(head); }

  send(payload: Buffer, opcode: number): boolean {
    if (this.done || this.closeSent) return true;
    return this.socket.write(frame(opcode, payload));
  }

  whenDrained(fn: () => void): void {
    if (this.done) { fn(); return; }
    const go = () => { this.socket.off('drain', go); this.socket.off('close', go); fn(); };
    this.socket.on('drain', go);
    this.socket.on('close', go);
  }

  pause(resumeWhen: (resume: () => void) => void): void {
    this.socket.pause();
    resumeWhen(() => this.resume());
  }

  resume(): void { if (!this.done) this.socket.resume(); }

  close(code: number): void {
    if (this.done) return;
    if (!this.closeSent) {
      this.closeSent = true;
      const p = Buffer.alloc(2);
      p.writeUInt16BE(code);
      this.socket.write(frame(8, p));
    }
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 5000).unref();
  }

  private onBytes(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (!this.done) {
      if (this.buf.length < 2) return;
      const b0 = this.buf[0]!;
      const b1 = this.buf[1]!;
      let len = b1 & 0x7f;
      let off = 2;
      if (len === 126) { if (this.buf.length < 4) return; len = this.buf.readUInt16BE(2); off = 4; }
      else if (len === 127) {
        if (this.buf.length < 10) return;
        const big = this.buf.readBigUInt64BE(2);
        if (big > BigInt(MAX_MESSAGE)) { this.fail(1009); return; }
        len = Number(big);
        off = 10;
      }
      const masked = (b1 & 0x80) !== 0;
      if (!masked) { this.fail(1002); return; } // clients must mask
      if (len > MAX_MESSAGE) { this.fail(1009); return; }
      if (this.buf.length < off + 4 + len) return;
      const mask = this.buf.subarray(off, off + 4);
      const payload = Buffer.from(this.buf.subarray(off + 4, off + 4 + len));
      for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i & 3]!;
      this.buf = this.buf.subarray(off + 4 + len);
      this.onFrame((b0 & 0x80) !== 0, b0 & 0x0f, payload);
    }
  }

  private onFrame(fin: boolean, opcode: number, payload: Buffer): void {
    switch (opcode) {
      case 0: case 1: case 2: {
        this.fragments.push(payload);
        this.fragmentsLen += payload.length;
        if (this.fragmentsLen > MAX_MESSAGE) { this.fail(1009); return; }
        if (!fin) return;
        const msg = Buffer.concat(this.fragments);
        this.fragments = [];
        this.fragmentsLen = 0;
        this.onMessage(msg);
        return;
      }
      case 8: // close: answer and end
        this.close(payload.length >= 2 ? payload.readUInt16BE(0) : 1000);
        this.finish();
        return;
      case 9: // ping → pong
        if (!this.closeSent) this.socket.write(frame(10, payload));
        return;
      default:
        return; // pong, reserved
    }
  }

  private fail(code: number): void {
    this.close(code);
    this.finish();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.onClose();
    this.resolveClosed();
  }
}

function frame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  const head = len < 126 ? Buffer.alloc(2) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  head[0] = 0x80 | opcode;
  if (len < 126) head[1] = len;
  else if (len < 65536) { head[1] = 126; head.writeUInt16BE(len, 2); }
  else { head[1] = 127; head.writeBigUInt64BE(BigInt(len), 2); }
  return Buffer.concat([head, payload]);
}
