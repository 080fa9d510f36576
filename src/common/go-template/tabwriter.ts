/**
 * Go's text/tabwriter, as docker uses it for tables: tab-terminated cells, columns aligned
 * per block of consecutive lines that have a cell in that column (a line with fewer cells
 * ends the block), column width = max(minwidth, widest cell + padding), widths counted in
 * runes, the text after a line's last tab left unpadded. Docker's setting is
 * `tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)`, the defaults here.
 */

export interface TabwriterOptions {
  minwidth?: number;
  tabwidth?: number;
  padding?: number;
  padchar?: string;
  alignRight?: boolean;
  /** Print a `|` between columns (tabwriter.Debug). */
  debug?: boolean;
}

interface Cell { text: string; width: number }

/** Aligns `text` (lines separated by `\n`, cells by `\t`); newlines are kept as they are. */
export function tabwriteText(text: string, opts: TabwriterOptions = {}): string {
  const o = {
    minwidth: opts.minwidth ?? 10,
    tabwidth: opts.tabwidth ?? 1,
    padding: opts.padding ?? 3,
    padchar: opts.padchar ?? ' ',
    alignRight: (opts.alignRight ?? false) && opts.padchar !== '\t',
    debug: opts.debug ?? false,
  };
  const lines: Cell[][] = text.split('\n').map((l) =>
    l.split('\t').map((t) => ({ text: t, width: [...t].length })),
  );
  const out: string[] = [];
  const widths: number[] = [];

  const padding = (textw: number, cellw: number): string => {
    if (o.padchar === '\t') {
      if (o.tabwidth === 0) return '';
      const w = Math.ceil(cellw / o.tabwidth) * o.tabwidth;
      return '\t'.repeat(Math.ceil((w - textw) / o.tabwidth));
    }
    return o.padchar.repeat(Math.max(cellw - textw, 0));
  };

  const writeLines = (line0: number, line1: number): void => {
    for (let i = line0; i < line1; i++) {
      lines[i]!.forEach((c, j) => {
        if (j > 0 && o.debug) out.push('|');
        const cellw = j < widths.length ? widths[j]! : null;
        if (c.text === '') {
          if (cellw !== null) out.push(padding(0, cellw));
        } else if (cellw === null) {
          out.push(c.text);
        } else if (o.alignRight) {
          out.push(padding(c.width, cellw), c.text);
        } else {
          out.push(c.text, padding(c.width, cellw));
        }
      });
      if (i + 1 < lines.length) out.push('\n');
    }
  };

  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    for (let cur = line0; cur < line1; cur++) {
      if (column >= lines[cur]!.length - 1) continue;
      writeLines(line0, cur);
      line0 = cur;
      let width = o.minwidth;
      for (; cur < line1; cur++) {
        const line = lines[cur]!;
        if (column >= line.length - 1) break;
        width = Math.max(width, line[column]!.width + o.padding);
      }
      widths.push(width);
      format(line0, cur);
      widths.pop();
      line0 = cur;
    }
    writeLines(line0, line1);
  };

  format(0, lines.length);
  return out.join('');
}

/** Aligns `lines` (cells separated by `\t`) and returns them, each ending in `\n`. */
export function tabwrite(lines: string[], opts: TabwriterOptions = {}): string {
  return tabwriteText(lines.map((l) => `${l}\n`).join(''), opts);
}
