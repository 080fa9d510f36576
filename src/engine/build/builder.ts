/**
 * One classic build (`POST /build`): stages in order (up to `--target`), FROM with ONBUILD
 * triggers, a dispatcher per instruction, commits of every step as an untagged intermediate
 * image whose parent is the previous step (so `docker history` shows each step), the layer
 * cache (image-cache.ts: a child of the current image made by the same step, or `--cache-from`), and
 * the classic builder's output lines. Tags are applied only after the last step succeeded,
 * so a failed or killed build never leaves a tagged partial image (SECURITY-CHECKS 25).
 */
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../../common/errors.ts';
import { familiarString, parseNormalizedNamed, referenceString, withDefaultTag } from '../../common/reference.ts';
import type { ContainerConfig, ImagesService } from '../images/index.ts';
import { DISPATCHERS } from './dispatch.ts';
import { ImageCache } from './image-cache.ts';
import type { ReceivedContext } from './received-context.ts';
import { parseDockerfile, parseInstruction, splitStages, type Instruction } from './parser.ts';
import { DEFAULT_SHELL, PREDEFINED_ARGS, type StageState, type StepHost } from './state.ts';
import { processWord, rawWords, type Env } from './substitute.ts';
import type { BuildDeps, BuildRequest } from './types.ts';

const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

export class Builder implements StepHost {
  readonly escape: string;
  readonly workDir: string;
  private readonly metaArgs = new Map<string, string | undefined>();
  private readonly usedArgs = new Set<string>();
  private readonly stages: StageState[] = [];
  private readonly images: ImagesService;
  private readonly cache: ImageCache;
  private step = 0;
  private total = 0;

  constructor(private readonly deps: BuildDeps, private readonly req: BuildRequest, buildDir: string, readonly context: ReceivedContext, escape = '\\') {
    this.images = deps.images;
    this.cache = new ImageCache(deps.images, req.cacheFrom, deps.logger);
    this.workDir = buildDir;
    this.escape = escape;
  }

  say(text: string): void {
    this.req.out({ stream: text });
  }

  /**
   * Fault injection for crash tests (SECURITY-CHECKS 25): when the file named by
   * WHARF_BUILD_FAULT_FILE holds this point's name, it is removed (one shot) and the daemon
   * dies on the spot. Points: after-run (RUN exited, before its commit), files-written (COPY/ADD/
   * WORKDIR snapshot still mounted), step-committed, before-tag.
   */
  private fault(point: string): void {
    const file = process.env.WHARF_BUILD_FAULT_FILE;
    if (!file) return;
    let want: string;
    try { want = fs.readFileSync(file, 'utf8').trim(); } catch { return; }
    if (want !== point) return;
    fs.rmSync(file, { force: true });
    process.kill(process.pid, 'SIGKILL');
  }

  buildArg(name: string): string | undefined {
    const args = this.req.buildArgs;
    if (!Object.prototype.hasOwnProperty.call(args, name)) return undefined;
    this.usedArgs.add(name);
    const v = args[name];
    return v ?? undefined;
  }

  metaArg(name: string): string | undefined {
    return this.metaArgs.get(name);
  }

  env(st: StageState): Env {
    const e: Env = {};
    for (const [k, v] of st.args) if (v !== undefined) e[k] = v;
    for (const kv of st.config.Env ?? []) {
      const i = kv.indexOf('=');
      if (i > 0) e[kv.slice(0, i)] = kv.slice(i + 1);
    }
    return e;
  }

  /** Runs the whole build; returns the final image id (tagged). */
  async run(): Promise<string> {
    const { context } = this;
    const dockerfile = context.locateDockerfile(this.req.dockerfile || 'Dockerfile');
    const df = parseDockerfile(dockerfile.text);
    (this as { escape: string }).escape = df.escape;
    const { metaArgs, stages } = splitStages(df, dockerfile.name);
    context.removeIgnoredBuildFiles(dockerfile.name);
    for (const inst of metaArgs) this.declareMetaArgs(inst);
    let last = stages.length - 1;
    if (this.req.target) {
      last = stages.findIndex((s) => stageName(s[0]!) === this.req.target!.toLowerCase());
      if (last < 0) throw new InvalidArgumentError(`failed to reach build target ${this.req.target} in Dockerfile`);
    }
    const plan = stages.slice(0, last + 1);
    if (Object.keys(this.req.labels).length) {
      const pairs = Object.entries(this.req.labels).map(([k, v]) => `${JSON.stringify(k)}=${JSON.stringify(v)}`);
      plan.at(-1)!.push(parseInstruction(`LABEL ${pairs.join(' ')}`));
    }
    this.total = metaArgs.length + plan.reduce((n, s) => n + s.length, 0);
    for (const inst of metaArgs) this.say(`Step ${++this.step}/${this.total} : ${inst.original}\n`);
    let st: StageState | undefined;
    for (const [i, insts] of plan.entries()) {
      st = await this.from(i, insts[0]!);
      for (const inst of insts.slice(1)) {
        this.checkAborted();
        await this.announce(`Step ${++this.step}/${this.total} : ${inst.original}\n`);
        await this.dispatch(st, inst);
      }
    }
    const unused = Object.keys(this.req.buildArgs).filter((k) => !this.usedArgs.has(k) && !PREDEFINED_ARGS.has(k));
    if (unused.length) this.say(`[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n`);
    if (!st?.image) throw new InvalidArgumentError('No image was generated. Is your Dockerfile empty?');
    this.fault('before-tag');
    const id = st.image;
    this.req.out({ aux: { ID: id } }, true);
    this.say(`Successfully built ${short(id)}\n`);
    for (const t of this.req.tags) {
      const ref = this.images.graph.parseTarget(t);
      this.images.graph.tag(id, ref);
      this.say(`Successfully tagged ${familiarString(ref)}\n`);
    }
    if (this.req.quiet) this.req.out({ stream: `${id}\n` }, true);
    return id;
  }

  /**
   * A step's first line, then a turn of the event loop: the response socket is uncorked on
   * the next tick, which a step that works synchronously until its first I/O (a COPY of
   * thousands of files) would otherwise hold back until it ended.
   */
  private async announce(text: string): Promise<void> {
    this.say(text);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  private checkAborted(): void {
    if (this.req.signal?.aborted) throw new InvalidArgumentError('build canceled: the client went away');
  }

  private metaEnv(): Env {
    const e: Env = {};
    for (const [k, v] of this.metaArgs) if (v !== undefined) e[k] = v;
    return e;
  }

  private declareMetaArgs(inst: Instruction): void {
    for (const w of rawWords(inst.args, this.escape)) {
      const eq = w.indexOf('=');
      const name = eq < 0 ? w : w.slice(0, eq);
      const dflt = eq < 0 ? undefined : processWord(w.slice(eq + 1), this.metaEnv(), this.escape);
      this.metaArgs.set(name, this.buildArg(name) ?? dflt);
    }
  }

  /** FROM: the base (stage name, image, or scratch), then its ONBUILD triggers. */
  private async from(index: number, inst: Instruction): Promise<StageState> {
    await this.announce(`Step ${++this.step}/${this.total} : ${inst.original}\n`);
    const words = inst.args.trim().split(/\s+/);
    if (words.length !== 1 && !(words.length === 3 && words[1]!.toLowerCase() === 'as')) {
      throw new InvalidArgumentError('FROM requires either one or three arguments');
    }
    const base = processWord(words[0]!, this.metaEnv(), this.escape);
    if (!base) throw new InvalidArgumentError('base name (' + words[0] + ') should not be blank');
    const st: StageState = { index, name: words[2]?.toLowerCase(), config: {}, args: new Map(), shell: [...DEFAULT_SHELL], cmdSet: false };
    const stage = this.stages.find((s) => s.name === base.toLowerCase());
    if (base.toLowerCase() === 'scratch') {
      this.stages.push(st);
      return st;
    }
    const id = stage?.image ?? await this.baseImage(base);
    const cfg = this.images.resolve(id).config;
    st.image = id;
    st.config = structuredClone(cfg.config ?? {}) as ContainerConfig;
    if (cfg.config?.Shell?.length) st.shell = [...cfg.config.Shell];
    const triggers = st.config.OnBuild ?? [];
    st.config.OnBuild = null;
    this.stages.push(st);
    this.say(` ---> ${short(id)}\n`);
    if (triggers.length) {
      this.say(`# Executing ${triggers.length} build trigger${triggers.length > 1 ? 's' : ''}\n`);
      for (const t of triggers) await this.dispatch(st, parseInstruction(t, inst.line));
    }
    return st;
  }

  private async baseImage(ref: string): Promise<string> {
    if (!this.req.pull) {
      try { return this.images.lookup(ref); } catch (err) { if (!(err instanceof NotFoundError)) throw err; }
    }
    if (!this.deps.pull) {
      if (this.req.pull) return this.images.lookup(ref);
      throw new NotFoundError(`pull access denied for ${ref.split(':')[0]}, repository does not exist or may require 'docker login'`);
    }
    const named = withDefaultTag(parseNormalizedNamed(ref));
    const full = referenceString(named);
    const cfg = this.req.registryConfig ?? {};
    const auth = (named.domain === 'docker.io' ? cfg['https://index.docker.io/v1/'] ?? cfg['docker.io'] : cfg[named.domain]) as Record<string, unknown> | undefined;
    await this.deps.pull(full, auth, (msg) => this.req.out(msg));
    return this.images.lookup(full);
  }

  async dispatch(st: StageState, inst: Instruction): Promise<void> {
    const d = DISPATCHERS[inst.cmd];
    if (!d) throw new InvalidArgumentError(`Dockerfile parse error line ${inst.line}: unknown instruction: ${inst.cmd}`);
    if (inst.cmd === 'FROM') throw new InvalidArgumentError('FROM is not allowed here');
    await d(this, st, inst);
  }

  /** The layer cache: a hit becomes the step's image ("Using cache"). */
  private async useCache(st: StageState, createdBy: string): Promise<boolean> {
    if (this.req.noCache) return false;
    const hit = await this.cache.get(st.image, st.config, st.author, createdBy);
    if (!hit) return false;
    this.say(' ---> Using cache\n');
    this.say(` ---> ${short(hit)}\n`);
    st.image = hit;
    return true;
  }

  private done(st: StageState, id: string): void {
    st.image = id;
    this.fault('step-committed');
    this.say(` ---> ${short(id)}\n`);
  }

  async commitMeta(st: StageState, createdBy: string): Promise<void> {
    if (await this.useCache(st, createdBy)) return;
    const id = await this.images.createImage({ parent: st.image, config: structuredClone(st.config), createdBy, author: st.author });
    this.done(st, id);
  }

  async commitFiles(st: StageState, createdBy: string, fn: (rootfs: string) => Promise<boolean | void>): Promise<void> {
    if (await this.useCache(st, createdBy)) return;
    const { snapshots } = this.deps;
    const key = `build-${randomBytes(16).toString('hex')}`;
    const top = st.image ? this.images.resolve(st.image).topChainId ?? undefined : undefined;
    await snapshots.prepare(key, top);
    try {
      const root = await snapshots.mount(key);
      let changed: boolean | void;
      try {
        changed = await fn(root);
        this.fault('files-written');
      } finally {
        await snapshots.unmount(key);
      }
      const layer = changed === false ? undefined : snapshots.diff(key);
      const id = await this.images.createImage({ parent: st.image, layer, config: structuredClone(st.config), createdBy, author: st.author });
      this.done(st, id);
    } finally {
      await snapshots.remove(key).catch((e: Error) => this.deps.logger.warn(`build snapshot ${key}: ${e.message}`));
    }
  }

  async commitRun(st: StageState, createdBy: string, cmd: string[], env: string[]): Promise<void> {
    if (await this.useCache(st, createdBy)) return;
    if (!st.image) throw new InvalidArgumentError(`The command '${cmd.join(' ')}' returned a non-zero code: 127`);
    const { containers } = this.deps;
    let running: string | undefined;
    const onAbort = () => {
      if (running) void containers.kill(running, 'SIGKILL').catch((e: Error) => { if (!isConflictOrGone(e)) this.deps.logger.warn(`cancelled build: SIGKILL of step container ${running}: ${e.message}`); });
    };
    this.req.signal?.addEventListener('abort', onAbort, { once: true });
    let result: { id: string; exitCode: number };
    try {
      result = await containers.runToCompletion({
        image: st.image, cmd, env: [...(st.config.Env ?? []), ...env], workingDir: st.config.WorkingDir, user: st.config.User,
        networkMode: this.req.networkMode, extraHosts: this.req.extraHosts,
        onCreated: (id) => { running = id; this.say(` ---> Running in ${short(id)}\n`); if (this.req.signal?.aborted) onAbort(); },
        onOutput: (s, data) => this.say(s === 'stderr' ? `\x1b[91m${data.toString('utf8')}\x1b[0m` : data.toString('utf8')),
      });
    } finally {
      this.req.signal?.removeEventListener('abort', onAbort);
    }
    const { id: cid, exitCode } = result;
    if (this.req.signal?.aborted) {
      await containers.remove(cid, { force: true, volumes: true }).catch((e: Error) => this.deps.logger.warn(`cancelled build: removal of step container ${cid}: ${e.message}`));
      this.checkAborted();
    }
    this.fault('after-run');
    if (exitCode !== 0) {
      if (this.req.forceRm) await containers.remove(cid, { force: true, volumes: true }).catch((e: Error) => this.deps.logger.warn(`--force-rm: removal of failed step container ${cid}: ${e.message}`));
      else containers.keepJob(cid);
      throw new InvalidArgumentError(`The command '${cmd.join(' ')}' returned a non-zero code: ${exitCode}`, { cause: { code: exitCode } });
    }
    const id = await this.images.createImage({
      parent: st.image, layer: this.deps.snapshots.diff(cid), config: structuredClone(st.config), createdBy, author: st.author,
      container: cid, containerConfig: { ...structuredClone(st.config), Cmd: ['/bin/sh', '-c', createdBy] },
    });
    if (this.req.rm || this.req.forceRm) {
      await containers.remove(cid, { force: true, volumes: true });
      this.say(`Removing intermediate container ${short(cid)}\n`);
    } else {
      containers.keepJob(cid);
    }
    this.done(st, id);
  }

  async withSourceRoot<T>(from: string, fn: (root: string) => Promise<T>): Promise<T> {
    const byIndex = /^\d+$/.test(from) ? this.stages[Number(from)] : undefined;
    const stage = byIndex ?? this.stages.find((s) => s.name === from.toLowerCase());
    if (/^\d+$/.test(from) && !byIndex) throw new InvalidArgumentError(`invalid from flag value ${from}: refers to current build stage`);
    const id = stage ? stage.image : await this.baseImage(from);
    const { snapshots } = this.deps;
    const key = `build-${randomBytes(16).toString('hex')}`;
    const top = id ? this.images.resolve(id).topChainId ?? undefined : undefined;
    await snapshots.prepare(key, top);
    try {
      const root = await snapshots.mount(key);
      try { return await fn(root); } finally { await snapshots.unmount(key); }
    } finally {
      // A `build-*` snapshot that cannot go now is swept at the next daemon start (BuildService.cleanup).
      await snapshots.remove(key).catch((e: Error) => this.deps.logger.warn(`removal of build snapshot ${key} failed (retried at the next start): ${e.message}`));
    }
  }
}

function stageName(inst: Instruction): string | undefined {
  const w = inst.args.trim().split(/\s+/);
  return w.length === 3 ? w[2]!.toLowerCase() : undefined;
}

/** A kill that found the container stopped or gone already. */
function isConflictOrGone(err: unknown): boolean {
  return err instanceof ConflictError || err instanceof NotFoundError;
}
