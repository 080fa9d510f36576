/**
 * A local image as a push source (registry client's ImageSource): the config bytes exactly
 * as stored (so the image id survives a push and pull), and each layer's uncompressed tar,
 * given back byte for byte by the layer store (tar-split, verified against the DiffID). The image's top layer
 * is pinned while the push runs, so a concurrent rmi cannot delete the tars being read.
 */
import type { Readable } from 'node:stream';
import { NotFoundError } from '../../common/errors.ts';
import type { ImageSource } from '../../registry/client/index.ts';
import type { ImagesService } from '../images/index.ts';

export class StoreSource implements ImageSource {
  private readonly unpin: () => void;

  constructor(private readonly images: ImagesService, readonly imageId: string) {
    this.unpin = images.graph.layers.pin(images.resolve(imageId).topChainId);
  }

  async config(): Promise<Buffer> {
    return this.images.graph.images.config(this.imageId);
  }

  async layers(): Promise<{ diffId: string; size?: number }[]> {
    const r = this.images.resolve(this.imageId);
    const chain = this.images.graph.layers.chain(r.topChainId);
    return chain.map((l) => ({ diffId: l.diffId, size: this.images.graph.layers.tarSize(l.chainId) }));
  }

  async openLayer(diffId: string): Promise<Readable> {
    const r = this.images.resolve(this.imageId);
    const l = this.images.graph.layers.chain(r.topChainId).find((x) => x.diffId === diffId);
    if (!l) throw new NotFoundError(`layer ${diffId} is not in image ${this.imageId}`);
    return this.images.graph.layers.tarStream(l.chainId);
  }

  /** Ends the pin on the image's layers. */
  close(): void {
    this.unpin();
  }
}
