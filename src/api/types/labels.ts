/**
 * docker's `label` filter (moby's filters.Args.MatchKVList): an expression is `key`, true when
 * the key is set (to anything), or `key=value`, true when it is set to exactly that value.
 * One copy for every list that filters by label: containers, images, networks, volumes, events.
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
