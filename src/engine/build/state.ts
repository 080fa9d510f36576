/**
 * Build state shared by the dispatchers: one StageState per `FROM` (the image so far, its
 * runtime config, declared ARGs, SHELL), and the StepHost interface — what a dispatcher may
 * ask of the running build (substitution env, output, commits with the layer cache).
 */
import type { ContainerConfig } from '../images/index.ts';
import type { Instruction } from './parser.ts';
import type { ReceivedContext } from './received-context.ts';
import type { Env } from './substitute.ts';

export interface StageState {
  index: number;
  /** `FROM … AS name` (lower-case). */
  name?: string;
  /** The image built so far (undefined: `FROM scratch` and nothing committed yet). */
  image?: string;
  config: ContainerConfig;
  author?: string;
  /** ARGs declared in this stage → their value (undefined: declared without a value). */
  args: Map<string, string | undefined>;
  /** SHELL for shell-form RUN/CMD/ENTRYPOINT. */
  shell: string[];
  /** Whether CMD was set in this stage (ENTRYPOINT clears an inherited CMD only). */
  cmdSet: boolean;
}

export const DEFAULT_SHELL = ['/bin/sh', '-c'];

/** Build args that need no ARG declaration (and stay out of history). */
export const PREDEFINED_ARGS = new Set(['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy']);

export interface StepHost {
  readonly escape: string;
  /** Substitution environment: declared ARG values overlaid with ENV. */
  env(st: StageState): Env;
  /** Writes one `{"stream": …}` message (a newline is not added). */
  say(text: string): void;
  /** The value of a build arg from the request, marking it consumed. */
  buildArg(name: string): string | undefined;
  /** The value of an ARG declared before the first FROM (after build-arg overrides). */
  metaArg(name: string): string | undefined;
  /** Commits a metadata-only step (or reuses a cached one). */
  commitMeta(st: StageState, createdBy: string): Promise<void>;
  /**
   * Commits a step that changes files: `fn` gets the mounted rootfs of a fresh snapshot over
   * the current image; the snapshot's diff becomes the new layer. Cache is checked first.
   * With `skipIfUnchanged`, `fn` returning false makes it a metadata-only step.
   */
  commitFiles(st: StageState, createdBy: string, fn: (rootfs: string) => Promise<boolean | void>): Promise<void>;
  /** RUN: runs the command in a container and commits its diff. */
  commitRun(st: StageState, createdBy: string, cmd: string[], env: string[]): Promise<void>;
  /** COPY --from: the rootfs of a stage (by name or index) or an image, mounted read-only for `fn`. */
  withSourceRoot<T>(from: string, fn: (root: string) => Promise<T>): Promise<T>;
  /** Scratch directory of this build (downloads). */
  readonly workDir: string;
  /** The build context as received (a tree over a spool, never extracted as a whole). */
  readonly context: ReceivedContext;
  /** Runs an instruction as part of the current step (ONBUILD triggers). */
  dispatch(st: StageState, inst: Instruction): Promise<void>;
}

/** Go's %q-ish rendering of a string list, as docker writes it in history (`["a" "b"]`). */
export function quoteList(v: string[]): string {
  return `[${v.map((s) => JSON.stringify(s)).join(' ')}]`;
}
