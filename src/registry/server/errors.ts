/**
 * Registry API errors: the distribution error codes, their HTTP status and default message,
 * and the `{"errors":[{"code","message","detail"}]}` body docker clients parse.
 */
import type { ServerResponse } from 'node:http';

export const registryErrorCodes = {
  BLOB_UNKNOWN: [404, 'blob unknown to registry'],
  BLOB_UPLOAD_INVALID: [400, 'blob upload invalid'],
  BLOB_UPLOAD_UNKNOWN: [404, 'blob upload unknown to registry'],
  DIGEST_INVALID: [400, 'provided digest did not match uploaded content'],
  MANIFEST_BLOB_UNKNOWN: [400, 'blob unknown to registry'],
  MANIFEST_INVALID: [400, 'manifest invalid'],
  MANIFEST_UNKNOWN: [404, 'manifest unknown'],
  NAME_INVALID: [400, 'invalid repository name'],
  NAME_UNKNOWN: [404, 'repository name not known to registry'],
  SIZE_INVALID: [400, 'provided length did not match content length'],
  TAG_INVALID: [400, 'manifest tag did not match URI'],
  UNAUTHORIZED: [401, 'authentication required'],
  DENIED: [403, 'requested access to the resource is denied'],
  UNSUPPORTED: [405, 'The operation is unsupported.'],
  RANGE_INVALID: [416, 'invalid content range'],
  PAGINATION_NUMBER_INVALID: [400, 'invalid number of results requested'],
} as const;

export type RegistryErrorCode = keyof typeof registryErrorCodes;

/** Thrown by handlers; the server turns it into docker's error JSON. */
export class RegistryHttpError extends Error {
  readonly status: number;
  constructor(
    readonly code: RegistryErrorCode,
    readonly detail?: unknown,
    message?: string,
  ) {
    super(message ?? registryErrorCodes[code][1]);
    this.status = registryErrorCodes[code][0];
  }
}

export function sendRegistryError(res: ServerResponse, err: RegistryHttpError, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({
    errors: [{ code: err.code, message: err.message, detail: err.detail ?? null }],
  });
  res.writeHead(err.status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    'Docker-Distribution-API-Version': 'registry/2.0',
  });
  res.end(body);
}
