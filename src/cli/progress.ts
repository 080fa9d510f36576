/**
 * Renders the JSON message streams of pull/push/load/import/build like docker's
 * jsonmessage.DisplayJSONMessagesStream: on a terminal one line per layer id, redrawn in
 * place with progress bars; otherwise plain status lines, progress updates left out.
 */
import readline from 'node:readline';
import type { Readable } from 'node:stream';
import { progressBar } from '../api/types/json-progress.ts';

export interface JsonMessage {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  stream?: string;
  error?: string;
  errorDetail?: { code?: number; message?: string };
  aux?: unknown;
  from?: string;
}

/** A `{"error": …}` message in the stream. */
export class JsonMessageError extends Error {}

export class ProgressRenderer {
  #ids = new Map<string, number>();
  readonly auxes: unknown[] = [];

  constructor(private readonly write: (s: string) => void, private readonly terminal: boolean, private readonly width = 120) {}

  /** Renders one message; throws JsonMessageError for `error` messages. */
  render(m: JsonMessage): void {
    if (m.error || m.errorDetail?.message) throw new JsonMessageError(m.errorDetail?.message ?? m.error!);
    if (m.aux !== undefined) { this.auxes.push(m.aux); return; }
    const hasProgress = !!m.progress || !!m.progressDetail && ((m.progressDetail.current ?? 0) > 0 || (m.progressDetail.total ?? 0) > 0);
    let diff = 0;
    if (m.id && hasProgress) {
      let line = this.#ids.get(m.id);
      if (line === undefined) {
        line = this.#ids.size;
        this.#ids.set(m.id, line);
        if (this.terminal) this.write('\n');
      }
      diff = this.#ids.size - line;
      if (this.terminal) this.write(`\x1b[${diff}A`);
    } else {
      this.#ids.clear();
    }
    this.display(m, hasProgress);
    if (m.id && this.terminal && diff) this.write(`\x1b[${diff}B`);
  }

  private display(m: JsonMessage, hasProgress: boolean): void {
    let endl = '';
    if (this.terminal && !m.stream && hasProgress) {
      this.write('\x1b[2K\r');
      endl = '\r';
    } else if (hasProgress && !this.terminal) {
      return; // no progress bars off a terminal
    }
    const prefix = m.id ? `${m.id}: ` : '';
    if (hasProgress && this.terminal) {
      const bar = m.progressDetail && (m.progressDetail.total || m.progressDetail.current) ? progressBar(m.progressDetail.current ?? 0, m.progressDetail.total ?? 0, this.width) : m.progress ?? '';
      this.write(`${prefix}${m.status ?? ''} ${bar}${endl}`);
    } else if (m.stream !== undefined) {
      this.write(`${prefix}${m.stream}${endl}`);
    } else {
      this.write(`${prefix}${m.status ?? ''}${endl}\n`);
    }
  }
}

/** Reads a JSON-lines response and renders it; resolves with the aux payloads. */
export async function displayJsonStream(src: Readable, out: NodeJS.WriteStream, opts: { quiet?: boolean; terminal?: boolean; onQuietStream?: (s: string) => void } = {}): Promise<unknown[]> {
  const terminal = opts.terminal ?? !!out.isTTY;
  const r = new ProgressRenderer((s) => { if (!opts.quiet) out.write(s); }, terminal, out.columns ?? 120);
  const rl = readline.createInterface({ input: src, crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line.trim()) continue;
    let m: JsonMessage;
    try { m = JSON.parse(line) as JsonMessage; } catch { continue; }
    if (opts.quiet && !m.error && !m.errorDetail) {
      if (m.aux !== undefined) r.auxes.push(m.aux);
      else if (m.stream !== undefined) opts.onQuietStream?.(m.stream);
      continue;
    }
    r.render(m);
  }
  return r.auxes;
}
