/**
 * Push orchestration: each layer is gzip-compressed while streaming to the registry, its
 * compressed digest computed on the way (no temp file) and remembered per diffId in a
 * CompressedDigestCache, so a later push finds it with a HEAD ("Layer already exists").
 * Then the config blob and a docker v2 schema2 manifest (3-space indented, as docker) are
 * put under the tag. Emits docker's push progress messages.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { InvalidArgumentError } from '../../common/errors.ts';
import type { RegistryClient } from './client.ts';
import type { CompressedDigestCache, ImageSource } from './copy.ts';
import { createTransferShared, type TransferShared } from './inflight.ts';
import { MediaType } from './manifest.ts';
import { shortId, statusEvent, throttledProgress, type ProgressSink } from './progress.ts';
import type { ImageReference } from './reference.ts';

export interface PushOptions {
  client: RegistryClient;
  /** Target with a tag. */
  ref: ImageReference;
  source: ImageSource;
  cache?: CompressedDigestCache;
  progress?: ProgressSink;
  shared?: TransferShared;
}

export interface PushResult {
  digest: string;
  size: number;
  layers: { diffId: string; digest: string; size: number }[];
}

const defaultShared = createTransferShared();

export async function pushImage(o: PushOptions): Promise<PushResult> {
  const { client, ref, source, cache } = o;
  if (!ref.tag) throw new InvalidArgumentError('push needs a tag');
  const emit: ProgressSink = o.progress ?? (() => {});
  const shared = o.shared ?? defaultShared;
  const registry = ref.domain;
  emit({ status: `The push refers to repository [${ref.domain}/${ref.path}]` });
  const config = await source.config();
  const layers = await source.layers();
  for (const l of [...layers].reverse()) emit(statusEvent(shortId(l.diffId), 'Preparing'));

  let failed: unknown;
  const jobs = layers.map((l) => {
    const id = shortId(l.diffId);
    return shared.uploadLimit.run(
      async () => {
        if (failed) throw failed;
        const known = await cache?.get(l.diffId, registry);
        if (known && (await client.blobExists(ref, known.digest, true)) === known.size) {
          emit(statusEvent(id, 'Layer already exists'));
          return { diffId: l.diffId, ...known };
        }
        const onBytes = throttledProgress(emit, id, 'Pushing');
        const tar = await source.openLayer(l.diffId);
        let read = 0;
        const counted = Readable.from(
          (async function* () {
            for await (const c of tar as AsyncIterable<Buffer>) {
              read += c.length;
              onBytes(read, l.size);
              yield c;
            }
          })(),
        );
        const gz = createGzip();
        counted.on('error', (err) => gz.destroy(err));
        counted.pipe(gz);
        const blob = await client.uploadStream(ref, gz);
        await cache?.set(l.diffId, registry, blob);
        emit(statusEvent(id, 'Pushed'));
        return { diffId: l.diffId, ...blob };
      },
      () => emit(statusEvent(id, 'Waiting')),
    );
  });
  jobs.forEach((p) =>
    p.catch((err: unknown) => {
      failed ??= err;
    }),
  );
  const settled = await Promise.allSettled(jobs);
  const bad = settled.find((s) => s.status === 'rejected');
  if (bad) throw (bad as PromiseRejectedResult).reason;
  const pushed = settled.map((s) => (s as PromiseFulfilledResult<{ diffId: string; digest: string; size: number }>).value);

  const configDigest = 'sha256:' + createHash('sha256').update(config).digest('hex');
  if ((await client.blobExists(ref, configDigest, true)) !== config.length) {
    await client.uploadBlob(ref, configDigest, config.length, Readable.from([config]));
  }
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.dockerManifest,
    config: { mediaType: MediaType.dockerConfig, size: config.length, digest: configDigest },
    layers: pushed.map((p) => ({ mediaType: MediaType.dockerLayerGzip, size: p.size, digest: p.digest })),
  };
  const body = Buffer.from(JSON.stringify(manifest, null, 3));
  const digest = await client.putManifest(ref, ref.tag, body, MediaType.dockerManifest);
  emit({ status: `${ref.tag}: digest: ${digest} size: ${body.length}` });
  emit({ progressDetail: {}, aux: { Tag: ref.tag, Digest: digest, Size: body.length } });
  return { digest, size: body.length, layers: pushed };
}
