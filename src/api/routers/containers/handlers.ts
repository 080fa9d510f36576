import { PassThrough } from 'node:stream';
import { InvalidArgumentError } from '../../../common/errors.ts';
import { boolParam, intParam, type RouteContext } from '../../server/context.ts';
import { parseFilters } from '../../server/filters.ts';
import { parseUnixTime, type UnixTime } from '../../types/docker-time.ts';
import { StdStream } from '../../types/stdcopy.ts';
import { compareVersions } from '../../types/version.ts';
import { hijackedClient, responseLogSink, streamContentType } from './output.ts';
import type { ContainersBackend, ContainerToolsBackend, ExecBackend } from './backend.ts';

type H = (ctx: RouteContext) => Promise<void> | void;

/** Logs' `since`/`until`: unix seconds (with a fraction, to the nanosecond), as the API takes them. */
function timeParam(ctx: RouteContext, name: string): UnixTime | undefined {
  return parseUnixTime(ctx.query.get(name));
}

function positiveInt(ctx: RouteContext, name: string): number {
  const v = ctx.query.get(name) ?? '';
  if (!/^-?\d+$/.test(v)) throw new InvalidArgumentError(`strconv.Atoi: parsing "${v}": invalid syntax`);
  return Number(v);
}

export function containerHandlers(b: ContainersBackend, tools: ContainerToolsBackend) {
  const h: Record<string, H> = {
    list: (ctx) => ctx.json(200, b.list({ all: boolParam(ctx.query, 'all'), limit: intParam(ctx.query, 'limit'), size: boolParam(ctx.query, 'size'), filters: parseFilters(ctx.query.get('filters')) })),
    create: async (ctx) => ctx.json(201, await b.create(await ctx.jsonBody(), ctx.query.get('name'))),
    inspect: (ctx) => ctx.json(200, b.inspect(ctx.params.id!, boolParam(ctx.query, 'size'))),
    start: async (ctx) => { await b.start(ctx.params.id!); ctx.noContent(204); },
    stop: async (ctx) => { await b.stop(ctx.params.id!, intParam(ctx.query, 't'), ctx.query.get('signal')); ctx.noContent(204); },
    restart: async (ctx) => { await b.restart(ctx.params.id!, intParam(ctx.query, 't'), ctx.query.get('signal')); ctx.noContent(204); },
    kill: async (ctx) => { await b.kill(ctx.params.id!, ctx.query.get('signal')); ctx.noContent(204); },
    // Docker 25 (API 1.44) reworded the refusal to remove a running container.
    remove: async (ctx) => { await b.remove(ctx.params['*']!, { force: boolParam(ctx.query, 'force'), volumes: boolParam(ctx.query, 'v'), link: boolParam(ctx.query, 'link'), legacyMessage: compareVersions(ctx.apiVersion, '1.44') < 0 }); ctx.noContent(204); },
    rename: async (ctx) => { await b.rename(ctx.params.id!, ctx.query.get('name') ?? ''); ctx.noContent(204); },
    pause: async (ctx) => { await b.pause(ctx.params.id!); ctx.noContent(204); },
    unpause: async (ctx) => { await b.unpause(ctx.params.id!); ctx.noContent(204); },
    prune: async (ctx) => ctx.json(200, await b.prune(parseFilters(ctx.query.get('filters')))),
    top: async (ctx) => ctx.json(200, await b.top(ctx.params.id!, ctx.query.get('ps_args'))),
    resize: async (ctx) => {
      const hgt = positiveInt(ctx, 'h');
      const w = positiveInt(ctx, 'w');
      if (hgt < 0 || w < 0) throw new InvalidArgumentError('height and width must be positive');
      await b.resize(ctx.params.id!, hgt, w);
      ctx.text(200, '');
    },
    wait: async (ctx) => {
      // Validate and register before answering headers, so a bad condition is a 400.
      const p = b.wait(ctx.params.id!, ctx.query.get('condition'));
      const res = ctx.stream('application/json');
      const r = await p;
      res.end(JSON.stringify(r) + '\n');
    },
    attach: async (ctx) => {
      const id = ctx.params.id!;
      const rec = b.record(id);
      const q = { stdin: boolParam(ctx.query, 'stdin'), stdout: boolParam(ctx.query, 'stdout'), stderr: boolParam(ctx.query, 'stderr'), stream: boolParam(ctx.query, 'stream'), logs: boolParam(ctx.query, 'logs'), detachKeys: ctx.query.get('detachKeys') };
      const client = hijackedClient(ctx.hijack(streamContentType(rec.Config.Tty)), rec.Config.Tty);
      try {
        await b.attach(id, client, q);
      } finally {
        client.end();
      }
    },
    logs: async (ctx) => {
      const id = ctx.params.id!;
      const q = {
        stdout: boolParam(ctx.query, 'stdout'), stderr: boolParam(ctx.query, 'stderr'), follow: boolParam(ctx.query, 'follow'),
        tail: ctx.query.get('tail'), since: timeParam(ctx, 'since'), until: timeParam(ctx, 'until'), timestamps: boolParam(ctx.query, 'timestamps'), details: boolParam(ctx.query, 'details'),
      };
      if (!q.stdout && !q.stderr) throw new InvalidArgumentError('Bad parameters: you must choose at least one stream');
      const rec = b.record(id);
      b.checkLogsReadable(id);
      const res = ctx.stream(streamContentType(rec.Config.Tty));
      try {
        await b.logs(id, q, responseLogSink(res, rec.Config.Tty), ctx.signal);
      } finally {
        if (!res.writableEnded) res.end();
      }
    },
    stats: async (ctx) => {
      if (!tools.stats) throw new InvalidArgumentError('stats are not available');
      const stream = boolParam(ctx.query, 'stream', true);
      b.record(ctx.params.id!);
      const res = ctx.stream('application/json');
      try {
        await tools.stats(ctx.params.id!, stream, boolParam(ctx.query, 'one-shot'), res, ctx.signal);
      } finally {
        if (!res.writableEnded) res.end();
      }
    },
    changes: async (ctx) => {
      if (!tools.changes) throw new InvalidArgumentError('changes are not available');
      const list = await tools.changes(ctx.params.id!);
      // docker answers null, not [], when nothing changed
      ctx.json(200, list.length ? list : null);
    },
    export: async (ctx) => {
      if (!tools.exportRootfs) throw new InvalidArgumentError('export is not available');
      b.record(ctx.params.id!);
      const res = ctx.stream('application/x-tar');
      try { await tools.exportRootfs(ctx.params.id!, res); } finally { if (!res.writableEnded) res.end(); }
    },
    update: async (ctx) => {
      if (!tools.update) throw new InvalidArgumentError('update is not available');
      ctx.json(200, await tools.update(ctx.params.id!, await ctx.jsonBody()));
    },
    archiveHead: async (ctx) => {
      if (!tools.archiveStat) throw new InvalidArgumentError('archive is not available');
      const stat = await tools.archiveStat(ctx.params.id!, requirePath(ctx));
      ctx.text(200, '', { 'X-Docker-Container-Path-Stat': Buffer.from(JSON.stringify(stat)).toString('base64') });
    },
    archiveGet: async (ctx) => {
      if (!tools.archiveGet || !tools.archiveStat) throw new InvalidArgumentError('archive is not available');
      const p = requirePath(ctx);
      const stat = await tools.archiveStat(ctx.params.id!, p);
      const res = ctx.stream('application/x-tar', 200, { 'X-Docker-Container-Path-Stat': Buffer.from(JSON.stringify(stat)).toString('base64') });
      try { await tools.archiveGet(ctx.params.id!, p, res); } finally { if (!res.writableEnded) res.end(); }
    },
    archivePut: async (ctx) => {
      if (!tools.archivePut) throw new InvalidArgumentError('archive is not available');
      // A tar refused part way must not cut the client's upload (it would see EPIPE instead of
      // the 400: the answer closes a `Connection: close` request): the rest of the body is read
      // and dropped, and the answer goes once the upload ended. Piped, not iterated: stopping
      // a `req.iterator()` early destroys the request on Node 20 even with destroyOnReturn
      // false (the EPIPE a client saw now and then); a consumer that stops early only unpipes.
      const body = new PassThrough();
      const gone = () => { if (!ctx.req.complete) body.destroy(new Error('the client went away during the upload')); };
      ctx.req.once('close', gone);
      ctx.req.pipe(body);
      try {
        await tools.archivePut(ctx.params.id!, requirePath(ctx), body, { noOverwriteDirNonDir: boolParam(ctx.query, 'noOverwriteDirNonDir'), copyUIDGID: boolParam(ctx.query, 'copyUIDGID') });
      } catch (err) {
        ctx.req.unpipe(body);
        await drainRequest(ctx);
        throw err;
      } finally {
        ctx.req.off('close', gone);
      }
      ctx.text(200, '');
    },
    commit: async (ctx) => {
      if (!tools.commit) throw new InvalidArgumentError('commit is not available');
      const container = ctx.query.get('container') ?? '';
      const body = await ctx.jsonBody();
      const r = await tools.commit(container, {
        repo: ctx.query.get('repo') ?? undefined, tag: ctx.query.get('tag') ?? undefined, author: ctx.query.get('author') ?? undefined,
        comment: ctx.query.get('comment') ?? undefined, changes: ctx.query.getAll('changes'), pause: boolParam(ctx.query, 'pause', true),
      }, body ?? null);
      ctx.json(201, r);
    },
  };
  return h;
}

/** Reads what is left of the request body and drops it; resolves when it ended or the client left. */
function drainRequest(ctx: RouteContext): Promise<void> {
  const req = ctx.req;
  if (req.complete || req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    req.once('end', resolve);
    req.once('close', resolve);
    req.resume();
  });
}

function requirePath(ctx: RouteContext): string {
  const p = ctx.query.get('path');
  if (!p) throw new InvalidArgumentError('bad parameter: path cannot be empty');
  if (p.includes('\0')) throw new InvalidArgumentError('bad parameter: path contains a NUL byte');
  return p;
}

export function execHandlers(b: ExecBackend) {
  const h: Record<string, H> = {
    create: async (ctx) => ctx.json(201, b.create(ctx.params.id!, await ctx.jsonBody<Record<string, unknown>>())),
    inspect: (ctx) => ctx.json(200, b.inspect(ctx.params.id!)),
    resize: async (ctx) => { await b.resize(ctx.params.id!, positiveInt(ctx, 'h'), positiveInt(ctx, 'w')); ctx.text(200, ''); },
    start: async (ctx) => {
      const body = (await ctx.jsonBody<{ Detach?: boolean; Tty?: boolean; ConsoleSize?: [number, number] }>()) ?? {};
      const info = b.inspect(ctx.params.id!) as { ProcessConfig: { tty: boolean } };
      if (body.Detach) {
        await b.start(ctx.params.id!, { detach: true, consoleSize: body.ConsoleSize });
        ctx.text(200, '', { 'Content-Type': 'application/json' });
        return;
      }
      const tty = body.Tty ?? info.ProcessConfig.tty;
      // The start request's Tty (else the exec's) picks the framing only.
      const client = hijackedClient(ctx.hijack(streamContentType(tty)), tty);
      try {
        await b.start(ctx.params.id!, { detach: false, consoleSize: body.ConsoleSize }, client);
      } catch (err) {
        // Errors after the upgrade travel in the stream as docker 20.10 writes them: raw text on a
        // TTY, else a stdout frame (clients print it and then read the exec's exit code, 126).
        client.write(StdStream.Stdout, Buffer.from(`${(err as Error).message}\r\n`));
      } finally {
        client.end();
      }
    },
  };
  return h;
}
