/** Image wire types of the Engine API shared by the routers and the engine. */

/** The query of `POST /images/create?fromSrc=` (docker import). */
export interface ImageImportOptions {
  /** `repo` and `tag` query parameters (repo may carry the tag). */
  repo?: string;
  tag?: string;
  /** Dockerfile lines (`-c`). */
  changes?: string[];
  message?: string;
  /** Where the tar came from, for the default history comment ("-" = request body). */
  src?: string;
  platform?: { architecture?: string; os?: string; variant?: string };
}
