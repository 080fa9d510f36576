/**
 * docker's `label` filter (moby's filters.Args.MatchKVList): an expression is `key`, true when
 * the key is set (to anything), or `key=value`, true when it is set to exactly that value.
 * One copy for every list that filters by label (containers, images, networks, volumes, events)
 * and every prune (`label` and `label!`: containers, images, networks, volumes).
 */
export function labelMatches(expr: string, labels: Readonly<Record<string, string>> | null | undefined): boolean {
  if (!labels) return false;
  const i = expr.indexOf('=');
  const key = i < 0 ? expr : expr.slice(0, i);
  if (!Object.prototype.hasOwnProperty.call(labels, key)) return false;
  return i < 0 || labels[key] === expr.slice(i + 1);
}

/** Every expression holds (an empty or absent list matches everything). */
export function labelsMatch(wanted: readonly string[] | undefined, labels: Readonly<Record<string, string>> | null | undefined): boolean {
  return !wanted || wanted.every((w) => labelMatches(w, labels));
}

/**
 * A prune's `label` and `label!` filters: every `label` expression holds and no `label!` one does.
 * (moby's matchLabels keeps an object only when all `label!` expressions hold at once; wharf's
 * prunes have always kept it when any one holds, and still do.)
 */
export function pruneLabelsMatch(filters: { readonly label?: readonly string[]; readonly 'label!'?: readonly string[] }, labels: Readonly<Record<string, string>> | null | undefined): boolean {
  return labelsMatch(filters.label, labels) && !(filters['label!'] ?? []).some((l) => labelMatches(l, labels));
}
