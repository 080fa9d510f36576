/**
 * Manifest media types and parsing for the distribution client and server: docker v2
 * schema2 manifest and manifest list, OCI image manifest and index; platform selection
 * from a list the way docker does it (os/architecture/variant, linux/amd64 by default).
 */
import { goArch } from '../../common/host.ts';

export const MediaType = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  schema1: 'application/vnd.docker.distribution.manifest.v1+json',
  schema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

/** The Accept header for manifest requests: all four types docker understands. */
export const manifestAccept = [MediaType.dockerManifest, MediaType.dockerManifestList, MediaType.ociManifest, MediaType.ociIndex].join(', ');

export function isIndexType(mt: string): boolean {
  return mt === MediaType.dockerManifestList || mt === MediaType.ociIndex;
}
export function isImageManifestType(mt: string): boolean {
  return mt === MediaType.dockerManifest || mt === MediaType.ociManifest;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  'os.version'?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  platform?: Platform;
  annotations?: Record<string, string>;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export type ParsedManifest =
  | { kind: 'image'; mediaType: string; manifest: ImageManifest }
  | { kind: 'index'; mediaType: string; index: ImageIndex };

/**
 * Parses manifest bytes. The media type comes from the body's `mediaType`, else the
 * Content-Type, else the shape (OCI allows the field to be absent). Throws on schema1,
 * malformed JSON or a shape that does not fit the type.
 */
export function parseManifest(body: Buffer | string, contentType?: string): ParsedManifest {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(body.toString());
  } catch {
    throw new Error('manifest is not valid JSON');
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('manifest is not a JSON object');
  if (doc.schemaVersion === 1) throw new Error('schema1 manifests are not supported');
  if (doc.schemaVersion !== 2) throw new Error(`unsupported manifest schemaVersion ${String(doc.schemaVersion)}`);
  const ct = contentType?.split(';')[0].trim();
  let mt = typeof doc.mediaType === 'string' && doc.mediaType ? doc.mediaType : ct && ct !== 'application/json' ? ct : '';
  if (!mt) mt = Array.isArray(doc.manifests) ? MediaType.ociIndex : MediaType.ociManifest;
  if (isIndexType(mt)) {
    if (!Array.isArray(doc.manifests)) throw new Error('manifest list has no manifests');
    for (const d of doc.manifests) checkDescriptor(d);
    return { kind: 'index', mediaType: mt, index: doc as unknown as ImageIndex };
  }
  if (isImageManifestType(mt)) {
    if (!doc.config || !Array.isArray(doc.layers)) throw new Error('manifest has no config or layers');
    checkDescriptor(doc.config);
    for (const d of doc.layers) checkDescriptor(d);
    return { kind: 'image', mediaType: mt, manifest: doc as unknown as ImageManifest };
  }
  throw new Error(`unsupported manifest media type ${mt}`);
}

function checkDescriptor(d: unknown): asserts d is Descriptor {
  const x = d as Descriptor;
  if (!x || typeof x !== 'object' || typeof x.digest !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(x.digest)) {
    throw new Error('descriptor has an invalid digest');
  }
  if (typeof x.size !== 'number' || !Number.isSafeInteger(x.size) || x.size < 0) throw new Error(`descriptor ${x.digest} has an invalid size`);
}

/** The host platform in OCI terms (Node's arch name as GOARCH: common/host.ts goArch). */
export function hostPlatform(): Platform {
  return { os: 'linux', architecture: goArch() };
}

/** Parses `os/arch[/variant]`. */
export function parsePlatform(s: string): Platform {
  const [os, architecture, variant] = s.toLowerCase().split('/');
  if (!os || !architecture) throw new Error(`invalid platform ${JSON.stringify(s)}: expected os/arch[/variant]`);
  return variant ? { os, architecture, variant } : { os, architecture };
}

/**
 * Picks the manifest for `want` from an index: exact os/arch match, then variant (an
 * unspecified wanted variant matches any, preferring the one without or `v8` on arm64).
 * Attestation manifests (`unknown/unknown`) are never chosen.
 */
export function selectPlatform(index: ImageIndex, want: Platform = { os: 'linux', architecture: 'amd64' }): Descriptor | undefined {
  const candidates = index.manifests.filter(
    (d) => d.platform && d.platform.os === want.os && d.platform.architecture === want.architecture && isImageManifestType(d.mediaType || MediaType.ociManifest),
  );
  if (want.variant) return candidates.find((d) => d.platform?.variant === want.variant);
  return candidates.find((d) => !d.platform?.variant) ?? candidates.find((d) => d.platform?.variant === 'v8') ?? candidates[0];
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}
