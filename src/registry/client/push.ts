/**
 * Push orchestration: each layer is gzip-compressed (pigz where installed) while streaming to the registry, its
 * compressed digest computed on the way (no temp file) and remembered per diffId in a
 * CompressedDigestCache, so a later push finds it with a HEAD ("Layer already exists").
 * Then the config blob and a docker v2 schema2 manifest (3-space indented, as docker) are
 * put under the tag. Emits docker's push progress messages.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { compressGzip } from '../../common/compression.ts';
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
          return { diffId: l.diffId, digest: known.digest, size: known.size, compression: compressionOf(known.mediaType) };
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
        const blob = await client.uploadStream(ref, compressGzip(counted));
        await cache?.set(l.diffId, registry, { ...blob, mediaType: MediaType.dockerLayerGzip });
        emit(statusEvent(id, 'Pushed'));
        return { diffId: l.diffId, ...blob, compression: 'gzip' as const };
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
  const pushed = settled.map((s) => (s as PromiseFulfilledResult<{ diffId: string; digest: string; size: number; compression: LayerCompression }>).value);

  const configDigest = 'sha256:' + createHash('sha256').update(config).digest('hex');
  if ((await client.blobExists(ref, configDigest, true)) !== config.length) {
    await client.uploadBlob(ref, configDigest, config.length, Readable.from([config]));
  }
  // docker's schema2 manifest while every layer is gzip (as docker pushes); an OCI manifest
  // when a layer kept from a pull is zstd or a plain tar (docker's types cannot say so).
  const oci = pushed.some((p) => p.compression !== 'gzip');
  const manifestType = oci ? MediaType.ociManifest : MediaType.dockerManifest;
  const manifest = {
    schemaVersion: 2,
    mediaType: manifestType,
    config: { mediaType: oci ? MediaType.ociConfig : MediaType.dockerConfig, size: config.length, digest: configDigest },
    layers: pushed.map((p) => ({ mediaType: oci ? ociLayerType[p.compression] : MediaType.dockerLayerGzip, size: p.size, digest: p.digest })),
  };
  const body = Buffer.from(JSON.stringify(manifest, null, 3));
  const digest = await client.putManifest(ref, ref.tag, body, manifestType);
  emit({ status: `${ref.tag}: digest: ${digest} size: ${body.length}` });
  emit({ progressDetail: {}, aux: { Tag: ref.tag, Digest: digest, Size: body.length } });
  return { digest, size: body.length, layers: pushed.map(({ diffId, digest: d, size }) => ({ diffId, digest: d, size })) };
}

type LayerCompression = 'gzip' | 'zstd' | 'none';

const ociLayerType: Record<LayerCompression, string> = { gzip: MediaType.ociLayerGzip, zstd: MediaType.ociLayerZstd, none: MediaType.ociLayer };

/** A layer media type's compression (absent: docker's gzip). */
export function compressionOf(mediaType: string | undefined): LayerCompression {
  if (!mediaType) return 'gzip';
  if (mediaType.endsWith('+zstd')) return 'zstd';
  if (mediaType === MediaType.ociLayer || mediaType === 'application/vnd.docker.image.rootfs.diff.tar' || mediaType.endsWith('.tar')) return 'none';
  return 'gzip';
}
