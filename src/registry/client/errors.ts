/**
 * Typed errors of the distribution client, mapped onto the engine's error classes so the API
 * answers with docker's status: unauthorized (401), manifest/blob unknown (404), verification
 * failed, registry unreachable (503), and any other registry error response (500).
 */
import { NotFoundError, UnauthorizedError, UnavailableError, WharfError } from '../../common/errors.ts';

/** One entry of a registry's `{"errors":[…]}` body. */
export interface RegistryErrorEntry {
  code: string;
  message: string;
  detail?: unknown;
}

/** docker's errcode rendering: `manifest unknown: manifest unknown`. */
export function formatRegistryErrors(errors: RegistryErrorEntry[]): string {
  const one = (e: RegistryErrorEntry): string => `${String(e.code ?? 'unknown').toLowerCase().replace(/_/g, ' ')}: ${e.message ?? ''}`;
  if (errors.length === 1) return one(errors[0]);
  return 'errors:\n' + errors.map(one).join('\n');
}

/** 401 from the registry or its token server. */
export class RegistryUnauthorizedError extends UnauthorizedError {}

/** A manifest or tag the registry does not have. */
export class ManifestUnknownError extends NotFoundError {}

/** A blob the registry does not have. */
export class BlobUnknownError extends NotFoundError {}

/** Content did not match its digest (or size). Callers must discard what they received. */
export class VerificationFailedError extends WharfError {
  override readonly code = 'WHARF_VERIFICATION_FAILED';
  override readonly status = 500;
}

/** No endpoint of the registry could be reached (DNS, refused, TLS, timeout). */
export class RegistryUnreachableError extends UnavailableError {}

/** Any other non-success answer; `status` is docker's: 500 unless a 4xx maps better. */
export class RegistryResponseError extends WharfError {
  override readonly code = 'WHARF_REGISTRY';
  override readonly status: number;
  constructor(
    message: string,
    readonly httpStatus: number,
    readonly errors: RegistryErrorEntry[] = [],
  ) {
    super(message);
    this.status = httpStatus === 403 ? 403 : httpStatus === 400 ? 400 : 500;
  }
}
