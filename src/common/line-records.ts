/**
 * Cutting the chunks a log file is read in into its `\n`-ended records, for both on-disk
 * formats (k8s-log.ts, json-log.ts). A record cut by a chunk's end is kept (copied: the chunk's
 * buffer is reused) and joined with the start of the next chunk.
 */
const NL = 0x0a;

export abstract class LineRecords<Out> {
  private rest: Buffer | undefined;

  /** One record: `buf[start..nl)`, with `buf[nl]` its '\n'. */
  protected abstract record(buf: Buffer, start: number, nl: number, out: Out): void;

  /** Parses every complete record in `chunk` (plus what was left over) into `out`. */
  feed(chunk: Buffer, out: Out): void {
    let start = 0;
    if (this.rest) {
      // Only the record cut at the last read's end is joined (not the whole chunk).
      const nl = chunk.indexOf(NL);
      if (nl < 0) {
        this.rest = Buffer.concat([this.rest, chunk]);
        return;
      }
      const first = Buffer.concat([this.rest, chunk.subarray(0, nl + 1)]);
      this.rest = undefined;
      this.record(first, 0, first.length - 1, out);
      start = nl + 1;
    }
    const len = chunk.length;
    while (start < len) {
      const nl = chunk.indexOf(NL, start);
      if (nl < 0) break;
      this.record(chunk, start, nl, out);
      start = nl + 1;
    }
    if (start < len) this.rest = Buffer.from(chunk.subarray(start));
  }

  /** Forgets a last record left without its '\n'. */
  protected dropRest(): void {
    this.rest = undefined;
  }
}
