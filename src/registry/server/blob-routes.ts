/**
 * Blob and upload endpoints of the registry server: HEAD/GET (with Range) and DELETE of
 * blobs; POST (start, monolithic `?digest=`, cross-repo `?mount=&from=`), PATCH, PUT,
 * GET status and DELETE of uploads. A failed PUT removes the upload.
 */
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { RegistryHttpError } from './errors.ts';
import { isDigest, type RegistryStorage } from './storage.ts';

export interface BlobRouteContext {
  storage: RegistryStorage;
  req: IncomingMessage;
  res: ServerResponse;
  name: string;
  query: URLSearchParams;
  /** Whether the caller may read `repo` (cross-repo mount source). */
  canRead(repo: string): Promise<boolean>;
}

function send(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Length': '0', ...headers });
  res.end();
}

function uploadHeaders(name: string, uuid: string, size: number): Record<string, string> {
  return {
    Location: `/v2/${name}/blobs/uploads/${uuid}`,
    Range: `0-${Math.max(0, size - 1)}`,
    'Docker-Upload-UUID': uuid,
  };
}

function blobCreated(res: ServerResponse, name: string, digest: string): void {
  send(res, 201, { Location: `/v2/${name}/blobs/${digest}`, 'Docker-Content-Digest': digest });
}

export async function handleBlob(c: BlobRouteContext, method: string, digest: string): Promise<void> {
  if (!isDigest(digest)) throw new RegistryHttpError('DIGEST_INVALID', digest, 'invalid digest');
  if (method === 'DELETE') {
    if (!(await c.storage.unlinkBlob(c.name, digest))) throw new RegistryHttpError('BLOB_UNKNOWN', digest);
    return send(c.res, 202, { 'Docker-Content-Digest': digest });
  }
  if (method !== 'GET' && method !== 'HEAD') throw new RegistryHttpError('UNSUPPORTED');
  const size = await c.storage.repoBlobSize(c.name, digest);
  if (size === undefined) throw new RegistryHttpError('BLOB_UNKNOWN', digest);
  const headers: Record<string, string> = {
    'Content-Type': 'application/octet-stream',
    'Docker-Content-Digest': digest,
    'Accept-Ranges': 'bytes',
    ETag: `"${digest}"`,
    'Cache-Control': 'max-age=31536000',
  };
  let start = 0;
  let end = size - 1;
  let status = 200;
  const range = c.req.headers.range;
  if (range && method === 'GET') {
    const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
    if (!m || (m[1] === '' && m[2] === '')) throw new RegistryHttpError('RANGE_INVALID', range);
    if (m[1] === '') {
      start = Math.max(0, size - Number(m[2]));
    } else {
      start = Number(m[1]);
      if (m[2] !== '') end = Math.min(end, Number(m[2]));
    }
    if (start >= size || start > end) {
      c.res.writeHead(416, { 'Content-Range': `bytes */${size}`, 'Content-Length': '0' });
      c.res.end();
      return;
    }
    status = 206;
    headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
  }
  headers['Content-Length'] = String(size === 0 ? 0 : end - start + 1);
  c.res.writeHead(status, headers);
  if (method === 'HEAD' || size === 0) {
    c.res.end();
    return;
  }
  await pipeline(createReadStream(c.storage.blobPath(digest), { start, end }), c.res);
}

export async function handleUploadStart(c: BlobRouteContext): Promise<void> {
  const mount = c.query.get('mount');
  const from = c.query.get('from');
  if (mount && from && isDigest(mount) && (await c.canRead(from)) && (await c.storage.repoBlobSize(from, mount)) !== undefined) {
    await c.storage.linkBlob(c.name, mount);
    return blobCreated(c.res, c.name, mount);
  }
  const uuid = await c.storage.startUpload(c.name);
  const digest = c.query.get('digest');
  if (digest) {
    await c.storage.appendUpload(c.name, uuid, c.req);
    const expected = contentLength(c.req);
    await c.storage.commitUpload(c.name, uuid, digest, expected);
    return blobCreated(c.res, c.name, digest);
  }
  c.req.resume();
  send(c.res, 202, uploadHeaders(c.name, uuid, 0));
}

export async function handleUpload(c: BlobRouteContext, method: string, uuid: string): Promise<void> {
  const { storage, name } = c;
  switch (method) {
    case 'GET': {
      const size = await storage.uploadOffset(name, uuid);
      return send(c.res, 204, uploadHeaders(name, uuid, size));
    }
    case 'DELETE':
      await storage.cancelUpload(name, uuid);
      return send(c.res, 204);
    case 'PATCH': {
      const size = await storage.appendUpload(name, uuid, c.req, rangeStart(c.req));
      return send(c.res, 202, uploadHeaders(name, uuid, size));
    }
    case 'PUT': {
      const digest = c.query.get('digest');
      if (!digest) {
        // The client's error is the missing digest; an upload that cannot go now is purged later (purgeUploads).
        await storage.cancelUpload(name, uuid).catch(() => {});
        throw new RegistryHttpError('DIGEST_INVALID', null, 'digest missing');
      }
      await storage.appendUpload(name, uuid, c.req, rangeStart(c.req));
      await storage.commitUpload(name, uuid, digest);
      return blobCreated(c.res, name, digest);
    }
    default:
      throw new RegistryHttpError('UNSUPPORTED');
  }
}

function contentLength(req: IncomingMessage): number | undefined {
  const v = req.headers['content-length'];
  return v === undefined || req.headers['transfer-encoding'] ? undefined : Number(v);
}

/** `Content-Range: <start>-<end>` of a chunk, when sent. */
function rangeStart(req: IncomingMessage): number | undefined {
  const v = req.headers['content-range'];
  if (!v) return undefined;
  const m = /^(?:bytes )?(\d+)-(\d+)$/.exec(v.trim());
  if (!m) throw new RegistryHttpError('RANGE_INVALID', v);
  return Number(m[1]);
}
