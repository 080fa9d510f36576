/**
 * The steps `run`, `create`, `start -a` and `attach` share: create with pull-on-404, pull with
 * progress, and the attach → wait → start → stream → exit-status sequence docker's CLI does.
 */
import fs from 'node:fs';
import type { ContainerCreateRequest } from '../api/types/container.ts';
import type { Client } from '../client/client.ts';
import { ApiError } from '../client/client.ts';
import { parseNormalizedNamed, familiarString, withDefaultTag } from '../common/reference.ts';
import { authHeaders } from './auth.ts';
import { CliExit, type CliContext } from './context.ts';
import { displayJsonStream } from './progress.ts';
import { monitorTtySize, proxySignals, pumpHijacked } from './stream.ts';

/** `busybox` → `busybox:latest` as docker prints it in "Unable to find image". */
export function displayRef(image: string): string {
  try { return familiarString(withDefaultTag(parseNormalizedNamed(image))); } catch { return image; }
}

export async function pullImage(ctx: CliContext, image: string, opts: { platform?: string; quiet?: boolean; all?: boolean; out?: NodeJS.WriteStream }): Promise<void> {
  let fromImage = image;
  let tag: string | undefined;
  const at = image.indexOf('@');
  if (at < 0) {
    const colon = image.lastIndexOf(':');
    if (colon > image.lastIndexOf('/')) { fromImage = image.slice(0, colon); tag = image.slice(colon + 1); }
    else if (!opts.all) tag = 'latest';
  }
  const res = await ctx.client().stream('/images/create', {
    method: 'POST', query: { fromImage, tag, platform: opts.platform }, headers: authHeaders(image, ctx.config()),
  });
  await displayJsonStream(res, opts.out ?? ctx.err, { quiet: opts.quiet });
}

/** POST /containers/create, pulling on "No such image" per --pull. Returns the id. */
export async function createContainer(ctx: CliContext, body: ContainerCreateRequest, o: { name?: string; platform?: string; pull?: string; quiet?: boolean; cidfile?: string }): Promise<string> {
  const image = String(body.Image);
  if (o.cidfile && fs.existsSync(o.cidfile)) throw new CliExit(125, `wharf: container ID file found, make sure the other container isn't running or delete ${o.cidfile}`);
  const pull = o.pull ?? 'missing';
  if (!['always', 'missing', 'never'].includes(pull)) throw new CliExit(125, `wharf: invalid pull option: '${pull}': must be one of "always", "missing" or "never"`);
  if (pull === 'always') await pullImage(ctx, image, { platform: o.platform, quiet: o.quiet });
  const create = () => ctx.client().containerCreate(body, { name: o.name, platform: o.platform });
  let res: { Id: string; Warnings?: string[] };
  try {
    res = await create();
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 404 || !/No such image/i.test(e.message) || pull !== 'missing') throw e;
    ctx.err.write(`Unable to find image '${displayRef(image)}' locally\n`);
    await pullImage(ctx, image, { platform: o.platform, quiet: o.quiet });
    res = await create();
  }
  for (const w of res.Warnings ?? []) ctx.err.write(`WARNING: ${w}\n`);
  if (o.cidfile) fs.writeFileSync(o.cidfile, res.Id);
  return res.Id;
}

/** docker's exit status for a failed start: 126/127 for exec problems, else 125. */
export function startErrorCode(message: string): number {
  if (/executable file not found|no such file or directory|system cannot find the file specified/.test(message)) return 127;
  if (/permission denied|is a directory/.test(message)) return 126;
  return 125;
}

export interface AttachedRun {
  id: string;
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  detachKeys?: string;
  sigProxy: boolean;
  autoRemove: boolean;
  /** Start the container (run, start -a) or not (attach). */
  start: boolean;
}

/** attach (hijacked) → wait → start → stream → exit status. */
export async function runAttached(ctx: CliContext, r: AttachedRun): Promise<number> {
  const client = ctx.client();
  let session: Awaited<ReturnType<Client['hijack']>> | undefined;
  if (r.stdin || r.stdout || r.stderr) {
    session = await client.hijack(`/containers/${r.id}/attach`, {
      method: 'POST', query: { stream: true, stdin: r.stdin, stdout: r.stdout, stderr: r.stderr, detachKeys: r.detachKeys },
    });
  }
  const waited = client.json<{ StatusCode: number; Error?: { Message: string } | null }>(`/containers/${r.id}/wait`, {
    method: 'POST', query: { condition: r.start ? (r.autoRemove ? 'removed' : 'next-exit') : 'next-exit' },
  });
  // Awaited (and its failure reported) below; this only keeps an early failure from being unhandled.
  waited.catch(() => {});
  if (r.start) {
    try {
      await client.json(`/containers/${r.id}/start`, { method: 'POST' });
    } catch (e) {
      session?.socket.destroy();
      if (e instanceof ApiError) throw new CliExit(startErrorCode(e.message), `wharf: Error response from daemon: ${e.message}`);
      throw e;
    }
  }
  const stopResize = r.tty ? monitorTtySize(ctx.out, (h, w) => client.json(`/containers/${r.id}/resize`, { method: 'POST', query: { h, w } })) : () => {};
  const stopSignals = r.sigProxy && !r.tty ? proxySignals(client, r.id) : () => {};
  let detached = false;
  try {
    if (session) {
      const how = await pumpHijacked(session.socket, session.head, { stdin: process.stdin, out: ctx.out, err: ctx.err }, { tty: r.tty, stdin: r.stdin, detachKeys: r.detachKeys });
      if (how === 'detached') { detached = true; return 0; }
    }
    const status = await waited;
    if (status.Error?.Message) ctx.err.write(`${status.Error.Message}\n`);
    return status.StatusCode;
  } finally {
    stopResize();
    stopSignals();
    // Detached: the wait request is still open; leave like docker does.
    if (detached) setImmediate(() => process.exit(0));
  }
}
