/**
 * The images service: everything `docker image …` does against the local graph — import,
 * load, save, list, inspect, history, tag, remove, prune — and what the containers and build
 * services need (`resolve`, `createImage`). Pull and push live in the registry client; they
 * hand finished layers and configs to this service.
 *
 * Construction (src/daemon):
 *   const db = openDatabase(`${root}/metadata.db`);
 *   const content = new ContentStore(`${root}/image`);
 *   const layers = new LayerStore(db, content, driver);
 *   const images = new ImagesService({ db, content, layers, events });
 *   await images.reconcile();                       // before serving requests
 *   images.setUsage((id, state) => containers.firstUsing(id, state));
 *
 * On disk (data root `<root>`, e.g. /var/lib/wharf):
 *   <root>/metadata.db               SQLite: layers, layer_mounts, images, image_refs, migrations
 *   <root>/image/content/sha256/<h>  configs (verbatim) and uncompressed layer tars (by DiffID)
 *   <root>/image/tmp/                ingests and load extractions in progress (cleared at start)
 *   <root>/<driver>/                 the snapshot driver's extracted layers (its own layout)
 *
 * Events (type `image`): import, load, save, tag, untag, delete, prune (pull: registry).
 */
import type { Readable } from 'node:stream';
import { parseRepoTag } from '../../common/reference.ts';
import type { ContentStore } from '../../store/content-store.ts';
import type { Db } from '../../store/db.ts';
import { ImageStore } from '../../store/image-store.ts';
import type { LayerStore } from '../../store/layer-store.ts';
import { ReferenceStore } from '../../store/reference-store.ts';
import type { SnapshotDriver } from '../../drivers/snapshot/contract.ts';
import type { EventBus } from '../events/index.ts';
import type { ContainerConfig } from './config.ts';
import { createImage, importImage, restoreCachedImage, type CreateImageOptions, type ImportOptions } from './create.ts';
import { ImageGraph, type ResolvedImage } from './graph.ts';
import { loadArchive } from './load.ts';
import { pruneImages, removeImage, type DeleteItem, type ImageUsage, type PruneReport, type RemoveOptions } from './remove.ts';
import { saveImages } from './save.ts';
import { fillSharedSizes, imagesDiskUsage, type ImagesUsage } from './usage.ts';
import { imageHistory, inspectImage, listImages, type HistoryItem, type ImageShape, type ImageSummary, type ListOptions } from './views.ts';

export type { ImagesUsage } from './usage.ts';
export type { CreateImageOptions, DeleteItem, HistoryItem, ImageShape, ImageSummary, ImageUsage, ImportOptions, ListOptions, PruneReport, RemoveOptions, ResolvedImage };
export type { ContainerConfig, ImageConfigJson } from './config.ts';
export { applyChanges } from './changes.ts';

export interface ImagesServiceDeps {
  db: Db;
  content: ContentStore;
  layers: LayerStore;
  events: EventBus;
  /** Defaults to `layers.driver`. */
  driver?: SnapshotDriver;
}

export interface ReconcileReport {
  tempFiles: number;
  layerDirsRemoved: string[];
  layerRowsDropped: string[];
  imagesDropped: string[];
  refsDropped: number;
  /** Layers nothing held any more (an rmi, pull, load or build cut short), removed. */
  layersReleased: string[];
  blobsRemoved: number;
}

export class ImagesService {
  readonly graph: ImageGraph;
  private usage: ImageUsage = () => undefined;

  constructor(deps: ImagesServiceDeps) {
    const images = new ImageStore(deps.db, deps.content);
    const refs = new ReferenceStore(deps.db);
    this.graph = new ImageGraph(deps.content, deps.layers, images, refs, deps.driver ?? deps.layers.driver, deps.events);
  }

  /** Tells the service which containers use which image (for rmi/prune conflicts). */
  setUsage(fn: ImageUsage): void {
    this.usage = fn;
  }

  /**
   * Startup, before serving: temp files go, layers and rows that disagree with the driver
   * go, images whose layers or config vanished go, references to missing images go, layers
   * nothing holds go, and
   * content blobs and layer tar-splits no layer or image names go (`keepBlobs` adds digests
   * other owners keep); `blobsRemoved` counts both.
   */
  async reconcile(keepBlobs: Iterable<string> = []): Promise<ReconcileReport> {
    const g = this.graph;
    const tempFiles = await g.content.cleanTemp();
    const { removedDirs, droppedRows } = await g.layers.reconcile();
    const imagesDropped = [...await g.images.dropUsingLayers(droppedRows), ...await g.images.dropWithoutConfig()];
    const refsDropped = g.refs.dropDangling((id) => !!g.images.get(id));
    // A kill between the layer rows and the image row (pull, load, build, commit), or between
    // the image row's delete and its layers' (rmi), leaves layers no image, child layer or
    // container snapshot holds: nothing would ever remove them.
    const layersReleased: string[] = [];
    for (const l of g.layers.all()) {
      if (g.layers.get(l.chainId)) layersReleased.push(...await g.layers.release(l.chainId, (c) => g.images.holdsLayer(c)));
    }
    const keep = new Set<string>([...g.layers.diffIds(), ...g.images.all().map((i) => i.id), ...keepBlobs]);
    let blobsRemoved = await g.layers.removeOrphanSplits();
    for (const d of g.content.list()) if (!keep.has(d)) { await g.content.delete(d); blobsRemoved++; }
    return { tempFiles, layerDirsRemoved: removedDirs, layerRowsDropped: droppedRows, imagesDropped, refsDropped, layersReleased, blobsRemoved };
  }

  /** `POST /images/create?fromSrc=-`: a rootfs tar (gzip or not) becomes a one-layer image. Returns its id. */
  import(tar: Readable, opts: ImportOptions = {}): Promise<string> {
    return importImage(this.graph, tar, opts);
  }

  /** `POST /images/load`: returns docker's lines (`Loaded image: bb:latest`), also given to `onLine` as they happen. */
  load(archive: Readable, onLine?: (line: string) => void): Promise<string[]> {
    return loadArchive(this.graph, archive, onLine);
  }

  /** `GET /images/get`: resolves every name first (throws 404), then streams the archive. */
  save(names: string[]): Readable {
    return saveImages(this.graph, names);
  }

  /** `GET /images/json`; `sharedSize` (API 1.42 `shared-size`) fills SharedSize across the listed images. */
  list(opts: ListOptions & { sharedSize?: boolean } = {}): ImageSummary[] {
    const out = listImages(this.graph, opts);
    if (opts.sharedSize) fillSharedSizes(this.graph, out);
    return out;
  }

  inspect(refOrId: string, shape: Pick<ImageShape, 'withVirtualSize'> = {}): Record<string, unknown> {
    return inspectImage(this.graph, refOrId, shape);
  }

  history(refOrId: string): HistoryItem[] {
    return imageHistory(this.graph, refOrId);
  }

  /**
   * `docker tag SRC TARGET`; TARGET as the user typed it (`bb`, `bb:v1`, `localhost:5000/a:b`),
   * or the API's `repo` + `tag` pair when `tag` is given.
   */
  tag(src: string, target: string, tag?: string): void {
    const ref = tag !== undefined && tag !== '' ? parseRepoTag(target, tag) : this.graph.parseTarget(target);
    const id = this.graph.lookup(src);
    this.graph.tag(id, ref);
  }

  remove(refOrId: string, opts: RemoveOptions = {}, usage?: ImageUsage): Promise<DeleteItem[]> {
    return removeImage(this.graph, refOrId, opts, usage ?? this.usage);
  }

  prune(filters: Record<string, string[]> = {}): Promise<PruneReport> {
    return pruneImages(this.graph, filters, this.usage);
  }

  /** The image a container would run: id, parsed config and its layer chain. 404 if absent. */
  resolve(refOrId: string): ResolvedImage {
    return this.graph.resolve(refOrId);
  }

  /** Image id for a name/id, or 404 `No such image: …`. */
  lookup(refOrId: string): string {
    return this.graph.lookup(refOrId);
  }

  /** Commit/build: a new image over `parent` with an optional new top layer. Returns the id. */
  createImage(opts: CreateImageOptions): Promise<string> {
    return createImage(this.graph, opts);
  }

  /** Build cache: step `index` of `target` recreated over `parent` (see restoreCachedImage). */
  restoreCachedImage(parent: string | undefined, target: string, index: number, config: ContainerConfig): Promise<string> {
    return restoreCachedImage(this.graph, parent, target, index, config);
  }

  /** Build cache: makes `parent` the parent of `id` (docker's image store SetParent). */
  setParent(id: string, parent: string | undefined): void {
    this.graph.get(id);
    this.graph.images.setParent(id, parent ?? null);
  }

  /** Tags of an image as the user typed them (`busybox:latest`). */
  repoTags(id: string): string[] {
    return this.graph.familiarRefs(id).tags;
  }

  /**
   * Registry hook (pull): stores a verified config + already registered layers as an image
   * and points `tags`/`digests` at it. Publishes `pull` for each name.
   */
  async addPulled(configBytes: Buffer, names: { tag?: string; digestRef?: string }): Promise<string> {
    const g = this.graph;
    const rec = await g.addImage(configBytes);
    if (names.digestRef) g.refs.add(g.parseTarget(names.digestRef), rec.id);
    if (names.tag) g.tag(rec.id, g.parseTarget(names.tag));
    g.publish('pull', rec.id, names.tag ?? names.digestRef ?? rec.id);
    return rec.id;
  }

  /** Every image, intermediate ones included (`docker info`'s Images, as moby counts them). */
  count(): number {
    return this.graph.images.all().length;
  }

  /** `system df`: top-level images with container counts and shared sizes, and the used layers' size. */
  diskUsage(containersOf: (imageId: string) => number, shape: ImageShape = {}): ImagesUsage {
    return imagesDiskUsage(this.graph, containersOf, shape);
  }
}
