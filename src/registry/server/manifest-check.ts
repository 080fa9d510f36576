/**
 * Validation of a manifest PUT against the repository's blobs: every referenced blob (or,
 * for an index, child manifest) must be linked in the repository, and every descriptor size
 * must equal the stored size (stricter than distribution 2.8, SECURITY-CHECKS 14).
 */
import { parseManifest, type ParsedManifest } from '../client/manifest.ts';
import { RegistryHttpError } from './errors.ts';
import type { RegistryStorage } from './storage.ts';

export async function checkManifest(storage: RegistryStorage, name: string, body: Buffer, contentType?: string): Promise<ParsedManifest> {
  let parsed: ParsedManifest;
  try {
    parsed = parseManifest(body, contentType);
  } catch (err) {
    throw new RegistryHttpError('MANIFEST_INVALID', (err as Error).message);
  }
  if (parsed.kind === 'image') {
    const { manifest } = parsed;
    for (const d of [manifest.config, ...manifest.layers]) {
      if (d.urls?.length) continue; // foreign layer: served elsewhere
      const size = await storage.repoBlobSize(name, d.digest);
      if (size === undefined) throw new RegistryHttpError('MANIFEST_BLOB_UNKNOWN', d.digest);
      if (size !== d.size) {
        throw new RegistryHttpError('MANIFEST_INVALID', `descriptor size ${d.size} for ${d.digest} does not match the stored size ${size}`);
      }
    }
  } else {
    for (const d of parsed.index.manifests) {
      const child = await storage.getManifest(name, d.digest);
      if (!child) throw new RegistryHttpError('MANIFEST_BLOB_UNKNOWN', d.digest);
      if (child.body.length !== d.size) {
        throw new RegistryHttpError('MANIFEST_INVALID', `descriptor size ${d.size} for ${d.digest} does not match the stored size ${child.body.length}`);
      }
    }
  }
  return parsed;
}
