/** Engine API versions this daemon speaks, and the `/v1.NN` prefix rules. */
export const API_VERSION = '1.47';
export const MIN_API_VERSION = '1.24';

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/**
 * Fields of image summaries and inspect that depend on the API version (the images and
 * system df routers give them to the engine): `<none>:<none>`/`<none>@<none>` for an image
 * without references before 1.43, `VirtualSize` before 1.44.
 */
export function imageShape(apiVersion: string): { nonePlaceholders: boolean; withVirtualSize: boolean } {
  return { nonePlaceholders: compareVersions(apiVersion, '1.43') < 0, withVirtualSize: compareVersions(apiVersion, '1.44') < 0 };
}

const prefix = /^\/v(\d+(?:\.\d+)*)(\/.*)$/;

/** Splits `/v1.41/containers/json` into ("1.41", "/containers/json"). */
export function splitVersion(path: string): { version: string | undefined; rest: string } {
  const m = prefix.exec(path);
  if (!m) return { version: undefined, rest: path };
  return { version: m[1], rest: m[2]! };
}
