/**
 * The pod sandbox's image: a rootfs holding only catatonit (a static init that reaps zombies;
 * `catatonit -P` is podman's pause process). It is imported into the image store on first
 * use as `localhost/wharf-pause:latest`, so a sandbox is an ordinary container from it.
 */
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { createTar } from '../common/tar/index.ts';
import { UnavailableError } from '../common/errors.ts';
import type { ImagesService } from '../engine/images/index.ts';

export const PAUSE_IMAGE = 'localhost/wharf-pause:latest';
const CATATONIT = ['/usr/bin/catatonit', '/usr/libexec/catatonit/catatonit', '/usr/local/bin/catatonit'];

let making: Promise<string> | undefined;

/** The pause image's id, imported now when the store does not have it. */
export function ensurePauseImage(images: ImagesService): Promise<string> {
  try {
    return Promise.resolve(images.resolve(PAUSE_IMAGE).id);
  } catch { /* import below */ }
  making ??= (async () => {
    const bin = CATATONIT.find((p) => fs.existsSync(p));
    if (!bin) throw new UnavailableError(`the pod sandbox needs catatonit (apt-get install catatonit); looked in ${CATATONIT.join(', ')}`);
    const body = fs.readFileSync(bin);
    const mtime = Math.floor(Date.now() / 1000);
    const dir = (name: string) => ({ header: { name, type: 'dir' as const, mode: 0o755, mtime } });
    const tar = createTar([
      dir('dev/'), dir('proc/'), dir('sys/'), dir('etc/'), dir('tmp/'),
      { header: { name: 'catatonit', type: 'file', mode: 0o755, size: body.length, mtime }, body },
    ]);
    await images.import(Readable.from([tar]), { repo: 'localhost/wharf-pause', tag: 'latest', changes: ['ENTRYPOINT ["/catatonit", "-P"]'], message: 'wharf pod sandbox (catatonit -P)' });
    return images.resolve(PAUSE_IMAGE).id;
  })().finally(() => { making = undefined; });
  return making;
}
