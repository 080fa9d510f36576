/**
 * The Container Runtime Interface endpoint (`wharfd --cri`): kubelet's RuntimeService and
 * ImageService over gRPC on a unix socket, served from wharf's own engine. See
 * docs/kubernetes.md.
 *
 *   const cri = await startCri(deps, { socket: '/run/wharf/cri.sock' });
 *   ...
 *   await cri.close();
 */
import type { CriDeps } from './deps.ts';
import { serveCri, type CriGrpcServer } from './grpc.ts';
import { runtimeHandlers } from './runtime-service.ts';
import { imageHandlers } from './image-service.ts';

export type { CriDeps, StreamingUrls, PodNetworkProvider, DockerStatsJson } from './deps.ts';
export { PAUSE_IMAGE } from './pause.ts';
export { CniNetwork } from './cni.ts';
export { StreamingServer } from './streaming/index.ts';
export { EngineStreamRuntime } from './streaming/engine-runtime.ts';

export function startCri(deps: CriDeps, o: { socket: string }): Promise<CriGrpcServer> {
  return serveCri(o.socket, runtimeHandlers(deps), imageHandlers(deps), deps.logger);
}
