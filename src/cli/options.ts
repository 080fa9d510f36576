/** Option parsing helpers shared by CLI commands. */

/** commander collector for repeatable flags (`-e A -e B`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `-f key=value` flags → the API's `filters` JSON, or undefined when none. */
export function filtersParam(filters: string[] | undefined): string | undefined {
  if (!filters || filters.length === 0) return undefined;
  const out: Record<string, string[]> = {};
  for (const f of filters) {
    const i = f.indexOf('=');
    const k = (i < 0 ? f : f.slice(0, i)).trim().toLowerCase();
    const v = i < 0 ? '' : f.slice(i + 1);
    (out[k] ??= []).push(v);
  }
  return JSON.stringify(out);
}
