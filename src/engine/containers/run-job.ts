/**
 * Run a one-off container to completion inside the engine (the builder's RUN): create it
 * from an image with an explicit command (the image ENTRYPOINT is ignored), start it, stream
 * its output as it is logged, and resolve with the exit code once it has stopped. The
 * container is left in place (stopped) so the caller can commit its snapshot diff and then
 * remove it.
 *
 *   const { id, exitCode } = await runToCompletion(reg, {
 *     image: 'sha256:…', cmd: ['/bin/sh', '-c', 'make'], env: ['A=1'],
 *     onCreated: (id) => say(` ---> Running in ${id.slice(0, 12)}`),
 *     onOutput: (stream, data) => say(data.toString()),
 *   });
 *
 * The record is marked as a job (`Job`): a daemon killed before the caller removed it
 * removes it at its next start (restoreContainers), so no build container outlives a crash.
 *
 * Image VOLUMEs get a tmpfs when the daemon has no volume service (what the step writes there
 * is discarded either way, as with docker's build containers).
 */
import { ContainerStartError } from '../../drivers/runtime/contract.ts';
import type { ContainerRegistry } from './service.ts';
import { createContainer, waitContainer } from './service.ts';
import { startContainer } from './lifecycle.ts';
import fs from 'node:fs';
import { readK8sLogBatches } from '../../common/k8s-log.ts';

export interface RunJobOptions {
  /** Image id or reference. */
  image: string;
  /** argv (e.g. `["/bin/sh","-c",…]`). */
  cmd: string[];
  /** Extra environment on top of the image's (`K=V`). */
  env?: string[];
  workingDir?: string;
  user?: string;
  /** `default`, `none`, `host`, a network name… (the daemon's default when unset). */
  networkMode?: string;
  /** `host:ip` entries for /etc/hosts (`--add-host`). */
  extraHosts?: string[];
  labels?: Record<string, string>;
  onCreated?(id: string): void;
  onOutput(stream: 'stdout' | 'stderr', data: Buffer): void;
}

export async function runToCompletion(reg: ContainerRegistry, o: RunJobOptions): Promise<{ id: string; exitCode: number }> {
  const image = await reg.deps.images.resolve(o.image);
  const tmpfs: Record<string, string> = {};
  if (!reg.deps.volumes) for (const v of Object.keys(image.config.Volumes ?? {})) tmpfs[v] = '';
  const body = {
    Image: image.id,
    Cmd: o.cmd,
    Entrypoint: [''],
    Env: o.env ?? [],
    WorkingDir: o.workingDir ?? '',
    User: o.user ?? '',
    Labels: o.labels ?? {},
    AttachStdout: true,
    AttachStderr: true,
    // Read back here while it runs, never by a user: conmon's own file, whatever the daemon's default driver.
    HostConfig: { LogConfig: { Type: 'k8s-file', Config: {} }, NetworkMode: o.networkMode || 'default', Tmpfs: tmpfs, ExtraHosts: o.extraHosts?.length ? o.extraHosts : null },
  };
  const { Id: id } = await createContainer(reg, body, null, { job: true });
  o.onCreated?.(id);
  const l = reg.get(id);
  let exited = false;
  const exit = waitContainer(reg, id, 'next-exit').then((r) => { exited = true; return r.StatusCode; });
  let startError: Error | undefined;
  try {
    await startContainer(reg, id);
  } catch (err) {
    startError = err as Error;
    exited = true;
  }
  const follow = (async () => {
    if (!fs.existsSync(l.rec.LogPath)) fs.writeFileSync(l.rec.LogPath, '', { flag: 'a' });
    for await (const batch of readK8sLogBatches(l.rec.LogPath, { follow: !exited, stopWhen: exit.then(() => undefined, () => undefined) /* its failure is awaited below */ })) {
      for (const e of batch) o.onOutput(e.stream, e.line);
    }
  })();
  const exitCode = startError ? (startError instanceof ContainerStartError ? startError.containerExitCode : 1) : await exit;
  await follow;
  if (startError) o.onOutput('stderr', Buffer.from(`${startError.message}\n`));
  return { id, exitCode };
}
