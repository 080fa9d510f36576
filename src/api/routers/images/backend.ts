/**
 * What the image routes need from the engine (the images service satisfies it; pull and
 * push are the registry client's, wired in by the daemon when it exists).
 */
import type { Readable } from 'node:stream';

export interface ImageListOptions {
  all?: boolean;
  filters?: Record<string, string[]>;
  digests?: boolean;
  /** `<none>:<none>`/`<none>@<none>` for an image without references (before API 1.43). */
  nonePlaceholders?: boolean;
  /** VirtualSize beside Size (before API 1.44). */
  withVirtualSize?: boolean;
  /** `shared-size` (API 1.42+): SharedSize across the listed images instead of -1. */
  sharedSize?: boolean;
}

export interface ImageDeleteItem { Untagged?: string; Deleted?: string }

import type { ImageImportOptions } from '../../types/image.ts';
export type { ImageImportOptions };

/** Options of `POST /images/create?fromImage=` (docker pull). */
export interface ImagePullRequest {
  fromImage: string;
  tag?: string;
  platform?: string;
  /** Decoded `X-Registry-Auth` header, if any. */
  auth?: Record<string, unknown>;
  /** Writes one docker JSON progress message. */
  progress(msg: Record<string, unknown>): void;
  signal: AbortSignal;
}

export interface ImagesBackend {
  list(opts: ImageListOptions): unknown[];
  inspect(refOrId: string, shape: { withVirtualSize: boolean }): Record<string, unknown>;
  history(refOrId: string): unknown[];
  tag(src: string, repo: string, tag?: string): void;
  remove(refOrId: string, opts: { force?: boolean; noprune?: boolean }): Promise<ImageDeleteItem[]>;
  prune(filters: Record<string, string[]>): Promise<unknown>;
  import(tar: Readable, opts: ImageImportOptions): Promise<string>;
  load(archive: Readable, onLine?: (line: string) => void): Promise<string[]>;
  /** Resolves every name first (throws 404 before any byte), then streams the archive. */
  save(names: string[]): Readable;
  /** Registry hook: `docker pull`. Absent until the registry client is wired. */
  pull?(req: ImagePullRequest): Promise<void>;
  /** Registry hook: `docker push` (`POST /images/{name}/push`). */
  push?(name: string, req: { tag?: string; auth?: Record<string, unknown>; progress(msg: Record<string, unknown>): void; signal: AbortSignal }): Promise<void>;
}
