/**
 * The distribution client's public surface: RegistryClient, references, auth helpers
 * (X-Registry-Auth decoding), typed errors, in-flight sharing, and the pull/push pipelines.
 */
export { RegistryClient, type RegistryClientOptions, type ManifestResult, type SearchResultV1 } from './client.ts';
export { decodeRegistryAuth, encodeRegistryAuth, parseChallenges, type AuthConfig } from './auth.ts';
export { endpointsFor, isInsecureRegistry, registryHost, type EndpointConfig, type RegistryEndpoint } from './endpoints.ts';
export {
  BlobUnknownError,
  ManifestUnknownError,
  RegistryResponseError,
  RegistryUnauthorizedError,
  RegistryUnreachableError,
  VerificationFailedError,
} from './errors.ts';
export { maskProxyCredentials, parseProxyUrl, proxyFromEnv, ProxyResolver, type ProxySettings } from './proxy.ts';
export { createTransferShared, InflightGroup, Limiter, type TransferShared } from './inflight.ts';
export * from './manifest.ts';
export { createHttpRequester, httpRequest, type HttpRequester, type HttpResponse } from './transport.ts';
export { errorEvent, shortId, type ProgressEvent, type ProgressSink } from './progress.ts';
export { canonicalString, familiarName, familiarString, parseReference, type ImageReference, type RepoRef } from './reference.ts';
export {
  pullImage,
  pushImage,
  type CompressedDigestCache,
  type ImageDestination,
  type ImageSource,
  type LayerBlobInfo,
  type PullCommit,
  type PullOptions,
  type PullResult,
  type PushOptions,
  type PushResult,
} from './copy.ts';
