/**
 * What the distribution routes need from the engine (the distribution service satisfies it).
 * Pull and push are not here: they are the images router's `ImagesBackend.pull/push` hooks.
 */

export interface DistributionBackend {
  /** `POST /auth`: the decoded AuthConfig body. Throws 401 on bad credentials. */
  login(body: Record<string, unknown> | undefined): Promise<{ Status: string; IdentityToken: string }>;
  /** `GET /images/search`; `auth` is the raw `X-Registry-Auth` header. */
  search(q: { term: string; limit?: number; filters?: Record<string, string[]>; auth?: string }): Promise<unknown[]>;
}
