/**
 * The build service: docker's classic builder (`POST /build`, `DOCKER_BUILDKIT=0 docker
 * build`). Every Dockerfile instruction, the layer cache, multi-stage builds (`--target`,
 * `COPY --from`), ONBUILD triggers; output like the classic builder's.
 *
 *   const builder = new BuildService({ images, containers, snapshots, dataRoot, logger });
 *   const id = await builder.build({ context: req, tags: ['app:1'], …, out: (m) => res.write(JSON.stringify(m) + '\r\n') });
 *
 * On disk: `<data-root>/build/<id>/` for each build in progress (`context.data` = the spool
 * of the received context, see received-context.ts; `dl-*` = ADD downloads); removed when the build ends. Build snapshots are keyed
 * `build-<hex>` in the snapshot driver. Leftovers of a killed daemon (directories, snapshots)
 * are removed when the service starts; a RUN step's container is a job container that the
 * containers service removes at its start (see run-job.ts). Tags are set only after the last
 * step (no tagged partial image).
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { InvalidArgumentError } from '../../common/errors.ts';
import { Builder } from './builder.ts';
import { ReceivedContext } from './received-context.ts';
import type { BuildDeps, BuildRequest } from './types.ts';

export type { BuildDeps, BuildRequest } from './types.ts';

export class BuildService {
  /** Settles once what killed builds left behind is removed (the daemon waits for it before serving). */
  readonly ready: Promise<void>;

  constructor(private readonly deps: BuildDeps) {
    this.ready = this.cleanup().catch((err: Error) => deps.logger.warn(`build cleanup: ${err.message}`));
  }

  private get root(): string {
    return path.join(this.deps.dataRoot, 'build');
  }

  /** Removes what killed builds left behind: work directories and `build-*` snapshots. */
  private async cleanup(): Promise<void> {
    fs.rmSync(this.root, { recursive: true, force: true });
    const { snapshots } = this.deps;
    for (const key of snapshots.list().snapshots) {
      if (!key.startsWith('build-')) continue;
      // remove() unmounts first; one that fails now is tried again at the next start.
      await snapshots.remove(key).catch((e: Error) => this.deps.logger.warn(`removal of leftover build snapshot ${key} failed (retried at the next start): ${e.message}`));
    }
  }

  /** Checks `t` values before anything is streamed (400 `invalid reference format`). */
  validateTags(tags: string[]): void {
    for (const t of tags) {
      try {
        this.deps.images.graph.parseTarget(t);
      } catch (err) {
        throw new InvalidArgumentError(`invalid tag ${JSON.stringify(t)}: ${(err as Error).message}`);
      }
    }
  }

  /** Runs one build; resolves with the final image id. Errors are thrown (the router streams them). */
  async build(req: BuildRequest): Promise<string> {
    await this.ready;
    const dir = path.join(this.root, randomBytes(16).toString('hex'));
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      const context = await ReceivedContext.receive(dir, req.context);
      try {
        return await new Builder(this.deps, req, dir, context).run();
      } finally {
        context.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  /** `POST /build/prune`: the classic builder keeps no cache of its own (its cache is the images). */
  prune(): { CachesDeleted: string[] | null; SpaceReclaimed: number } {
    return { CachesDeleted: null, SpaceReclaimed: 0 };
  }
}
