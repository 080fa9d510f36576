/**
 * Differential checks: the same scenario against wharf and against a reference docker daemon,
 * with the answers normalised and compared.
 *
 *   const d = await startDaemon(); await importBusybox(d);
 *   await differential(d, async (t) => {
 *     const c = await t.api('POST', `/containers/create?name=${t.name('kill')}`, { Image: 'bb', Cmd: ['sleep', '60'] });
 *     ...
 *     return { status: r.status, message: r.json.message };   // what must be the same on both
 *   });
 *
 * The reference is Debian's dockerd 20.10 on `WHARF_REFERENCE_DOCKER` (a unix socket path), else
 * `/tmp/refdocker/docker.sock` (`../shared/tools/reference-dockerd.sh start`), with a busybox
 * image `bb:latest`. Where none answers, the scenario runs on wharf alone and the test's own
 * assertions stand: the reference is never needed for a test to pass.
 * Normalisation: container/image/exec ids (64 and 12 hex), the names made by `t.name()`,
 * RFC 3339 timestamps and durations, so what is compared is shape, codes and wording.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { apiRequest, type ApiResponse, type TestDaemon } from './daemon.ts';

export interface Target {
  /** 'wharf' or 'docker'. */
  kind: 'wharf' | 'docker';
  sock: string;
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
  /** A name unique to this run (normalised to `<name:PREFIX>` in the comparison). */
  name(prefix: string): string;
}

const DEFAULT_REFERENCE = '/tmp/refdocker/docker.sock';

let referenceChecked: Promise<string | undefined> | undefined;

/** The reference daemon's socket when one answers `/_ping`, else undefined (checked once). */
export function referenceSocket(): Promise<string | undefined> {
  referenceChecked ??= (async () => {
    const sock = process.env.WHARF_REFERENCE_DOCKER ?? DEFAULT_REFERENCE;
    if (!fs.existsSync(sock)) return undefined;
    try {
      const r = await apiRequest(sock, 'GET', '/_ping');
      if (r.status !== 200) return undefined;
      const img = await apiRequest(sock, 'GET', '/images/bb:latest/json');
      return img.status === 200 ? sock : undefined;
    } catch { return undefined; }
  })();
  return referenceChecked;
}

function target(kind: Target['kind'], sock: string, names: Map<string, string>): Target {
  return {
    kind,
    sock,
    api: (method, p, body, headers) => apiRequest(sock, method, p, body, headers),
    name(prefix) {
      const n = `${prefix}-${crypto.randomBytes(4).toString('hex')}`;
      names.set(n, `<name:${prefix}>`);
      return n;
    },
  };
}

/** Replaces run-specific values (ids, names, times) so two daemons' answers compare. */
export function normalise(v: unknown, names: Map<string, string>): unknown {
  if (typeof v === 'string') {
    let s = v;
    for (const [n, repl] of names) s = s.split(n).join(repl);
    return s
      .replace(/sha256:[0-9a-f]{64}/g, '<digest>')
      .replace(/\b[0-9a-f]{64}\b/g, '<id>')
      .replace(/\b[0-9a-f]{12}\b/g, '<short-id>')
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)/g, '<time>');
  }
  if (Array.isArray(v)) return v.map((x) => normalise(x, names));
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, normalise(x, names)]));
  }
  return v;
}

/**
 * Runs `scenario` against wharf (`d`) and, when a reference docker answers, against it too,
 * then asserts that the normalised results are equal. Returns wharf's (unnormalised) result.
 */
export async function differential<T>(d: TestDaemon, scenario: (t: Target) => Promise<T>): Promise<T> {
  const wharfNames = new Map<string, string>();
  const wharf = await scenario(target('wharf', d.sock, wharfNames));
  const ref = await referenceSocket();
  if (ref) {
    const dockerNames = new Map<string, string>();
    const docker = await scenario(target('docker', ref, dockerNames));
    assert.deepEqual(normalise(wharf, wharfNames), normalise(docker, dockerNames), 'wharf and the reference docker answer differently');
  }
  return wharf;
}

/** The API version docker-py pins, which the differential cases use. */
export const V = '/v1.41';

/** Creates a busybox (`bb`) container running `sleep 30`, with `body` merged in; its id. */
export async function createBb(t: Target, name: string, body: Record<string, unknown> = {}): Promise<string> {
  const r = await t.api('POST', `${V}/containers/create?name=${name}`, { Image: 'bb', Cmd: ['sleep', '30'], ...body });
  assert.equal(r.status, 201, r.body);
  return r.json.Id as string;
}

/** Removes a container with its anonymous volumes, whatever its state. */
export async function removeForce(t: Target, id: string): Promise<void> {
  await t.api('DELETE', `${V}/containers/${id}?force=1&v=1`);
}
