/**
 * Pull orchestration as a "copy" from a registry into an ImageDestination (the image store
 * implements it), and the interfaces push uses (push.ts). Emits docker's progress messages.
 *
 * Pull: manifest (platform resolved, digest verified) → config (verified) → layers, up to
 * `downloadLimit` at once, each shared with concurrent pulls of the same blob (one download)
 * → optional in-order extract → putConfig → commit. On any failure the remaining queued
 * layers are not started, running ones finish, `dest.abort()` is called and the error thrown.
 */
import type { Readable } from 'node:stream';
import type { RegistryClient } from './client.ts';
import { VerificationFailedError } from './errors.ts';
import { createTransferShared, type TransferShared } from './inflight.ts';
import type { Descriptor, Platform } from './manifest.ts';
import { shortId, statusEvent, throttledProgress, type ProgressSink } from './progress.ts';
import { familiarName, familiarString, type ImageReference } from './reference.ts';

export interface LayerBlobInfo {
  /** Compressed (distribution) digest. */
  digest: string;
  size: number;
  mediaType: string;
}

export interface ImageDestination {
  /** Whether a layer is already stored (by its compressed digest, or its diffId from the config). */
  hasLayer(layer: { digest: string; diffId: string }): Promise<boolean>;
  /**
   * Stores one layer blob from a verifying stream and resolves with its diffId (sha256 of the
   * uncompressed tar). The stream errors (VerificationFailedError) on a bad digest: the
   * destination must then discard everything it wrote. May be called concurrently, in any order.
   */
  putBlob(stream: Readable, info: LayerBlobInfo & { diffId: string; index: number }): Promise<string>;
  /** Optional in-order step after each download (unpack onto the parent layer). */
  extract?(info: LayerBlobInfo & { diffId: string; index: number }, onProgress: (current: number, total?: number) => void): Promise<void>;
  /** Stores the image config (already verified against `digest`). */
  putConfig(config: Buffer, digest: string): Promise<void>;
  /** Creates/updates the image and its tag; `updated` false when the tag already named it. */
  commit(c: PullCommit): Promise<{ updated: boolean }>;
  /** Called when the pull failed: drop what this pull stored and nothing references. */
  abort?(err: unknown): Promise<void>;
}

export interface PullCommit {
  ref: ImageReference;
  /** Digest the reference resolved to (list digest for lists): RepoDigests entry. */
  manifestDigest: string;
  manifest: Buffer;
  mediaType: string;
  configDigest: string;
  config: Buffer;
  layers: (LayerBlobInfo & { diffId: string })[];
}

/** Where push reads an image from (the image store implements it). */
export interface ImageSource {
  /** Raw config JSON; its sha256 is the image id. */
  config(): Promise<Buffer>;
  /** Layers bottom to top. `size` is the uncompressed size when known (progress). */
  layers(): Promise<{ diffId: string; size?: number }[]>;
  /** The uncompressed tar of a layer. */
  openLayer(diffId: string): Promise<Readable>;
}

/** diffId → compressed blob pushed earlier (or pulled), so a re-push is "Layer already exists". */
export interface CompressedDigestCache {
  /** `mediaType` absent: docker's gzip layer. */
  get(diffId: string, registry: string): Promise<{ digest: string; size: number; mediaType?: string } | undefined>;
  set(diffId: string, registry: string, blob: { digest: string; size: number; mediaType?: string }): Promise<void>;
}

export interface PullOptions {
  client: RegistryClient;
  ref: ImageReference;
  dest: ImageDestination;
  progress?: ProgressSink;
  shared?: TransferShared;
  platform?: Platform;
}

export interface PullResult {
  digest: string;
  configDigest: string;
  updated: boolean;
}

const defaultShared = createTransferShared();
const foreignTypes = new Set(['application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip']);

export async function pullImage(o: PullOptions): Promise<PullResult> {
  const { client, ref, dest } = o;
  const emit: ProgressSink = o.progress ?? (() => {});
  const shared = o.shared ?? defaultShared;
  emit({ status: `Pulling from ${familiarName(ref)}`, id: ref.tag ?? ref.digest ?? 'latest' });
  const m = await client.getManifest(ref, { platform: o.platform });
  const manifest = m.image.manifest;
  const config = await client.fetchBlobBuffer(ref, manifest.config);
  const diffIds = parseDiffIds(config);
  if (diffIds.length !== manifest.layers.length) throw new VerificationFailedError('layers from manifest don\'t match image configuration: verification failed');

  const layers = manifest.layers.map((d: Descriptor, index) => ({ digest: d.digest, size: d.size, mediaType: d.mediaType, diffId: diffIds[index], index, id: shortId(d.digest) }));
  for (const l of layers) if (foreignTypes.has(l.mediaType)) throw new VerificationFailedError(`foreign layer ${l.digest} is not supported`);
  const present = await Promise.all(layers.map((l) => dest.hasLayer(l)));
  const seen = new Set<string>();
  for (const l of layers) {
    if (seen.has(l.id)) continue;
    seen.add(l.id);
    emit(statusEvent(l.id, present[l.index] ? 'Already exists' : 'Pulling fs layer'));
  }

  let failed: unknown;
  const downloads = layers.map((l) => {
    if (present[l.index]) return Promise.resolve(l.diffId);
    const job = (): Promise<string> =>
      shared.downloadLimit.run(
        async () => {
          if (failed) throw failed;
          const onBytes = throttledProgress(emit, l.id, 'Downloading');
          let verifying = false;
          const stream = client.fetchBlob(ref, l, {
            onProgress: (cur, total) => {
              onBytes(cur, total);
              if (cur === total && !verifying) {
                verifying = true;
                emit(statusEvent(l.id, 'Verifying Checksum'));
              }
            },
          });
          const diffId = await dest.putBlob(stream, l);
          if (diffId !== l.diffId) throw new VerificationFailedError(`filesystem layer verification failed for digest ${l.digest}: diffID ${diffId} does not match the config's ${l.diffId}`);
          return diffId;
        },
        () => emit(statusEvent(l.id, 'Waiting')),
      );
    const { promise } = shared.downloads.run(l.digest, job);
    return promise.then((d) => {
      emit(statusEvent(l.id, 'Download complete'));
      return d;
    });
  });
  downloads.forEach((p) =>
    p.catch((err: unknown) => {
      failed ??= err;
    }),
  );

  try {
    for (const l of layers) {
      await downloads[l.index];
      if (present[l.index]) continue;
      if (dest.extract) {
        const onBytes = throttledProgress(emit, l.id, 'Extracting');
        await dest.extract(l, onBytes);
      }
      emit(statusEvent(l.id, 'Pull complete'));
    }
    await dest.putConfig(config, manifest.config.digest);
    const { updated } = await dest.commit({
      ref,
      manifestDigest: m.digest,
      manifest: m.body,
      mediaType: m.mediaType,
      configDigest: manifest.config.digest,
      config,
      layers: layers.map(({ digest, size, mediaType, diffId }) => ({ digest, size, mediaType, diffId })),
    });
    emit({ status: `Digest: ${m.digest}` });
    const name = familiarString(ref.digest ? { ...ref, tag: undefined } : ref);
    emit({ status: updated ? `Status: Downloaded newer image for ${name}` : `Status: Image is up to date for ${name}` });
    return { digest: m.digest, configDigest: manifest.config.digest, updated };
  } catch (err) {
    failed ??= err;
    await Promise.allSettled(downloads);
    await dest.abort?.(err);
    throw err;
  }
}

function parseDiffIds(config: Buffer): string[] {
  try {
    const doc = JSON.parse(config.toString('utf8')) as { rootfs?: { diff_ids?: unknown } };
    const ids = doc.rootfs?.diff_ids;
    if (!Array.isArray(ids) || !ids.every((x) => typeof x === 'string' && /^sha256:[a-f0-9]{64}$/.test(x))) throw new Error('bad diff_ids');
    return ids as string[];
  } catch {
    throw new VerificationFailedError('image config is invalid: rootfs.diff_ids missing or malformed (verification failed)');
  }
}

export { pushImage, type PushOptions, type PushResult } from './push.ts';
