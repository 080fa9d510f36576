/**
 * The CRI ImageService on wharf's image store (the one the Docker API serves, so `wharf
 * images` shows what kubelet pulled): ListImages, ImageStatus, PullImage (with auth),
 * RemoveImage, ImageFsInfo. Names are answered fully qualified, as containerd does
 * (`docker.io/library/busybox:latest`).
 */
import { NotFoundError } from '../common/errors.ts';
import { parseNormalizedNamed, referenceString } from '../common/reference.ts';
import type { ImageSummary } from '../engine/images/index.ts';
import type { CriDeps } from './deps.ts';
import type { Handlers } from './grpc.ts';
import { nowNanos } from './meta.ts';
import { PAUSE_IMAGE } from './pause.ts';

function qualified(name: string): string {
  try {
    return referenceString(parseNormalizedNamed(name));
  } catch {
    return name;
  }
}

/** CRI's Image for an id, or undefined when the store does not have it. */
export function criImage(deps: CriDeps, ref: string, rows?: Map<string, ImageSummary>) {
  let id: string;
  try {
    id = deps.images.lookup(ref);
  } catch (err) {
    if (err instanceof NotFoundError || (err as { status?: number }).status === 404 || (err as { status?: number }).status === 400) return undefined;
    throw err;
  }
  const row = rows ? rows.get(id) : deps.images.list({ all: true }).find((i) => i.Id === id);
  const insp = deps.images.inspect(id) as { Config?: { User?: string }; Size?: number };
  const user = insp.Config?.User ?? '';
  const u = user.split(':')[0] ?? '';
  const numeric = /^\d+$/.test(u);
  const repoTags = (row?.RepoTags ?? []).filter((t) => t !== '<none>:<none>').map(qualified);
  return {
    id,
    repo_tags: repoTags,
    repo_digests: (row?.RepoDigests ?? []).filter((t) => !t.startsWith('<none>')).map(qualified),
    size: String(row?.Size ?? insp.Size ?? 0),
    uid: numeric ? { value: u } : null,
    username: numeric ? '' : u,
    spec: null,
    // The sandbox image: kubelet's image GC leaves pinned images alone.
    pinned: repoTags.includes(PAUSE_IMAGE),
  };
}

export function imageHandlers(deps: CriDeps): Handlers {
  return {
    ListImages: async (req: { filter?: { image?: { image?: string } | null } | null }) => {
      const want = req.filter?.image?.image;
      if (want) {
        const img = criImage(deps, want);
        return { images: img ? [img] : [] };
      }
      const rows = new Map(deps.images.list({}).map((i) => [i.Id, i]));
      const images = [...rows.keys()].map((id) => criImage(deps, id, rows)).filter((i) => i !== undefined);
      return { images };
    },
    ImageStatus: async (req: { image?: { image?: string } | null; verbose?: boolean }) => {
      const ref = req.image?.image ?? '';
      const image = ref ? criImage(deps, ref) : undefined;
      return { image: image ?? null, info: {} };
    },
    PullImage: async (req: { image?: { image?: string } | null; auth?: { username?: string; password?: string; auth?: string; server_address?: string; identity_token?: string; registry_token?: string } | null }) => {
      const ref = req.image?.image ?? '';
      const a = req.auth;
      const auth = a && (a.username || a.auth || a.identity_token || a.registry_token)
        ? { username: a.username, password: a.password, auth: a.auth, serveraddress: a.server_address, identitytoken: a.identity_token, registrytoken: a.registry_token }
        : undefined;
      await deps.pull(ref, auth);
      return { image_ref: deps.images.lookup(ref) };
    },
    RemoveImage: async (req: { image?: { image?: string } | null }) => {
      const ref = req.image?.image ?? '';
      const img = ref ? criImage(deps, ref) : undefined;
      if (!img) return {};
      await deps.images.remove(img.id, { force: true });
      return {};
    },
    ImageFsInfo: async () => {
      const used = deps.images.list({}).reduce((n, i) => n + (i.Size ?? 0), 0);
      return {
        image_filesystems: [{ timestamp: nowNanos(), fs_id: { mountpoint: deps.imageFsPath }, used_bytes: { value: String(used) }, inodes_used: { value: '0' } }],
        container_filesystems: [],
      };
    },
  };
}
