/**
 * A SPDY/3.1 session over an upgraded HTTP connection, as Go's spdystream (kubelet, crictl)
 * speaks it: the client opens streams (SYN_STREAM with headers such as `streamType`), the
 * server answers each with SYN_REPLY, both sides send DATA and half-close with FIN; RST_STREAM
 * cancels a stream, GOAWAY ends the session, PINGs are echoed.
 *
 * Backpressure: there is no SPDY flow control on this path (spdystream has none), so a stream
 * whose reader is behind (its buffer past highWaterMark) pauses reading the whole connection
 * until it is read again; output waits for the socket's `drain`.
 */
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import {
  FLAG_FIN, FLAG_UNIDIRECTIONAL, FrameParser, FrameType, HeaderDecoder, HeaderEncoder, MAX_DATA_CHUNK, RST,
  dataFrame, goAway, ping, rstStream, synReply, synStream, type Frame, type HeaderList,
} from './framer.ts';

const STREAM_HWM = 1024 * 1024;
/** Streams open at once in one session (kubelet's clients use 2–5, port-forward 2 per connection). */
const MAX_STREAMS = 1000;

export class SpdyStream extends Duplex {
  /** Set once the peer answered our SYN_STREAM (client side). */
  replyHeaders: Map<string, string[]> | undefined;
  private localClosed = false;
  private remoteClosed = false;
  private wasReset = false;
  private replied!: () => void;
  readonly reply: Promise<void> = new Promise((r) => { this.replied = r; });

  constructor(private readonly session: SpdySession, readonly id: number, readonly headers: Map<string, string[]>) {
    super({ readableHighWaterMark: STREAM_HWM, allowHalfOpen: true });
  }

  /** The first value of a header (names are case-insensitive). */
  header(name: string): string | undefined { return this.headers.get(name.toLowerCase())?.[0]; }

  get isReset(): boolean { return this.wasReset; }

  /** Cancels the stream both ways (RST_STREAM). */
  reset(status: number = RST.CANCEL): void {
    if (this.wasReset) return;
    this.wasReset = true;
    this.session.sendRaw(rstStream(this.id, status));
    this.finish();
  }

  override _read(): void { this.session.readWanted(this); }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.wasReset || this.localClosed) { cb(); return; }
    let ok = true;
    for (let off = 0; off < chunk.length; off += MAX_DATA_CHUNK) {
      ok = this.session.sendRaw(dataFrame(this.id, 0, chunk.subarray(off, off + MAX_DATA_CHUNK)));
    }
    if (ok) cb();
    else this.session.whenDrained(() => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (!this.wasReset && !this.localClosed) {
      this.localClosed = true;
      this.session.sendRaw(dataFrame(this.id, FLAG_FIN, Buffer.alloc(0)));
    }
    this.maybeForget();
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // Dropped by its user before both sides finished: tell the peer.
    if (!this.wasReset && !(this.localClosed && this.remoteClosed) && this.session.isOpen) {
      this.wasReset = true;
      this.session.sendRaw(rstStream(this.id, RST.CANCEL));
    }
    this.session.forget(this.id);
    cb(err);
  }

  /** @internal peer data */
  onData(data: Buffer, fin: boolean): void {
    if (this.wasReset || this.remoteClosed) return;
    if (data.length && !this.push(data)) this.session.pauseFor(this);
    if (fin) this.onRemoteFin();
  }

  /** @internal */
  onRemoteFin(): void {
    if (this.remoteClosed) return;
    this.remoteClosed = true;
    this.push(null);
    this.maybeForget();
  }

  /** @internal peer's SYN_REPLY */
  onReply(h: Map<string, string[]>, fin: boolean): void {
    this.replyHeaders = h;
    this.replied();
    if (fin) this.onRemoteFin();
  }

  /**
   * @internal peer's RST_STREAM, or the connection gone: reading ends after what was already
   * received (still readable), writes are dropped from now on.
   */
  finish(): void {
    this.wasReset = true;
    if (!this.remoteClosed) { this.remoteClosed = true; this.push(null); }
    this.replied();
    if (!this.writableEnded) this.end();
    this.localClosed = true;
  }

  private maybeForget(): void {
    if (this.localClosed && this.remoteClosed) this.session.forget(this.id);
  }
}

export interface SessionOptions {
  /** Called for each stream the peer opens; accept with session.reply(stream) or refuse with stream.reset(). */
  onStream?: (stream: SpdyStream) => void;
}

export class SpdySession extends EventEmitter {
  private readonly streams = new Map<number, SpdyStream>();
  private readonly parser = new FrameParser();
  private readonly encoder = new HeaderEncoder();
  private readonly decoder = new HeaderDecoder();
  private nextId: number;
  private lastPeerId = 0;
  private open = true;
  private goneAway = false;
  private inbound: Promise<void> = Promise.resolve();
  private readonly pausedBy = new Set<SpdyStream>();
  private closedResolve!: () => void;
  /** Resolves when the connection is gone. */
  readonly closed: Promise<void> = new Promise((r) => { this.closedResolve = r; });

  constructor(private readonly socket: Duplex, private readonly role: 'server' | 'client', private readonly opts: SessionOptions = {}) {
    super();
    this.nextId = role === 'client' ? 1 : 2;
    socket.on('data', (chunk: Buffer) => this.onBytes(chunk));
    // Frames already received are handled (in order) before the session goes.
    const gone = () => { this.inbound = this.inbound.then(() => this.teardown()); };
    socket.on('end', gone);
    socket.on('close', gone);
    socket.on('error', () => this.teardown());
  }

  get isOpen(): boolean { return this.open; }

  /** Client side: opens a stream with these headers; resolves once the peer replied. */
  async openStream(headers: HeaderList, opts: { fin?: boolean } = {}): Promise<SpdyStream> {
    if (!this.open || this.goneAway) throw new Error('SPDY session closed');
    const id = this.nextId;
    this.nextId += 2;
    const map = new Map<string, string[]>();
    for (const [k, v] of headers) map.set(k.toLowerCase(), [...(map.get(k.toLowerCase()) ?? []), v]);
    const s = new SpdyStream(this, id, map);
    this.streams.set(id, s);
    this.sendRaw(synStream(id, opts.fin ? FLAG_FIN : 0, this.encoder.encode(headers)));
    if (opts.fin) s.end();
    await s.reply;
    if (!s.replyHeaders) throw new Error(`stream ${id} was refused`);
    return s;
  }

  /** Sends a PING with this side's parity; the peer's echo is emitted as 'pong'. */
  ping(id: number): void { this.sendRaw(ping(id)); }

  /** Server side: accepts a stream the peer opened (SYN_REPLY). */
  reply(stream: SpdyStream, headers: HeaderList = []): void {
    this.sendRaw(synReply(stream.id, 0, this.encoder.encode(headers)));
  }

  /** Sends a frame; false when the socket's buffer is full (wait with whenDrained). */
  sendRaw(frame: Buffer): boolean {
    if (!this.open || this.socket.destroyed || this.socket.writableEnded) return true;
    return this.socket.write(frame);
  }

  whenDrained(fn: () => void): void {
    if (!this.open) { fn(); return; }
    const done = () => { this.socket.off('drain', done); this.off('close', done); fn(); };
    this.socket.on('drain', done);
    this.once('close', done);
  }

  /** Ends the session: GOAWAY, then the connection closes once written. */
  close(): void {
    if (!this.open) return;
    if (!this.goneAway) {
      this.goneAway = true;
      this.sendRaw(goAway(this.lastPeerId));
    }
    this.socket.end();
    // A peer that never closes its side: drop the connection after a grace period.
    setTimeout(() => this.socket.destroy(), 5000).unref();
  }

  /** Drops the connection now. */
  destroy(): void {
    this.socket.destroy();
    this.teardown();
  }

  /** @internal */
  pauseFor(s: SpdyStream): void {
    this.pausedBy.add(s);
    this.socket.pause();
  }

  /** @internal */
  readWanted(s: SpdyStream): void {
    if (this.pausedBy.delete(s) && this.pausedBy.size === 0 && this.open) this.socket.resume();
  }

  /** @internal */
  forget(id: number): void {
    const s = this.streams.get(id);
    if (s) this.readWanted(s);
    this.streams.delete(id);
  }

  /** Feeds bytes that arrived before the session took the socket (the upgrade's `head`). */
  receive(chunk: Buffer): void { if (chunk.length) this.onBytes(chunk); }

  private onBytes(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.parser.push(chunk);
    } catch (err) {
      this.emit('protocolError', err);
      this.sendRaw(goAway(this.lastPeerId, 1));
      this.destroy();
      return;
    }
    for (const f of frames) {
      // Header blocks decode asynchronously: frames are handled strictly in order.
      this.inbound = this.inbound.then(() => this.handle(f)).catch((err: unknown) => {
        this.emit('protocolError', err);
        this.destroy();
      });
    }
  }

  private async handle(f: Frame): Promise<void> {
    if (!this.open) return;
    if (f.kind === 'data') {
      const s = this.streams.get(f.streamId);
      if (!s) { if (f.streamId) this.sendRaw(rstStream(f.streamId, RST.INVALID_STREAM)); return; }
      s.onData(f.data, (f.flags & FLAG_FIN) !== 0);
      return;
    }
    const p = f.payload;
    switch (f.type) {
      case FrameType.SynStream: {
        if (p.length < 10) throw new Error('short SYN_STREAM');
        const id = p.readUInt32BE(0) & 0x7fffffff;
        const headers = await this.decoder.decode(p.subarray(10));
        const peerParity = this.role === 'server' ? 1 : 0;
        if (id === 0 || id % 2 !== peerParity || id <= this.lastPeerId || this.goneAway) {
          this.sendRaw(rstStream(id, this.goneAway ? RST.REFUSED_STREAM : RST.PROTOCOL_ERROR));
          return;
        }
        this.lastPeerId = id;
        if (this.streams.size >= MAX_STREAMS) {
          this.sendRaw(rstStream(id, RST.REFUSED_STREAM));
          return;
        }
        const s = new SpdyStream(this, id, headers);
        this.streams.set(id, s);
        if (f.flags & FLAG_UNIDIRECTIONAL) s.end();
        if (f.flags & FLAG_FIN) s.onRemoteFin();
        if (this.opts.onStream) this.opts.onStream(s);
        else s.reset(RST.REFUSED_STREAM);
        return;
      }
      case FrameType.SynReply: {
        const id = p.readUInt32BE(0) & 0x7fffffff;
        const headers = await this.decoder.decode(p.subarray(4));
        this.streams.get(id)?.onReply(headers, (f.flags & FLAG_FIN) !== 0);
        return;
      }
      case FrameType.Headers: {
        await this.decoder.decode(p.subarray(4)); // keeps the zlib stream in step
        if (f.flags & FLAG_FIN) this.streams.get(p.readUInt32BE(0) & 0x7fffffff)?.onRemoteFin();
        return;
      }
      case FrameType.RstStream: {
        const id = p.readUInt32BE(0) & 0x7fffffff;
        const s = this.streams.get(id);
        this.streams.delete(id);
        s?.finish();
        return;
      }
      case FrameType.Ping: {
        const id = p.readUInt32BE(0);
        // Echo the peer's pings (their parity is not ours); ours coming back need nothing.
        if (id % 2 !== this.nextId % 2) this.sendRaw(ping(id));
        else this.emit('pong', id);
        return;
      }
      case FrameType.GoAway:
        this.goneAway = true;
        this.emit('goaway');
        return;
      default:
        return; // SETTINGS, WINDOW_UPDATE, NOOP: nothing to do
    }
  }

  private teardown(): void {
    if (!this.open) return;
    this.open = false;
    for (const s of [...this.streams.values()]) s.finish();
    this.streams.clear();
    this.decoder.close();
    this.socket.destroy();
    this.emit('close');
    this.closedResolve();
  }
}
