/**
 * Every CLI command: name, one-line summary and a lazy loader, so `wharf X` loads only X's
 * module. Management commands (`container`, `image`, …) map their verbs onto these.
 * A command without a loader is listed (and has --help) but is not built yet.
 */
import type { Command } from 'commander';
import type { CliContext } from './context.ts';

export type CommandModule = { default: (ctx: CliContext) => Command };
export interface CommandEntry { summary: string; load?: () => Promise<CommandModule>; usage?: string; /** Not listed (helpers the completion scripts and the build call). */ hidden?: boolean }

export const COMMANDS: Record<string, CommandEntry> = {
  attach: { summary: 'Attach local standard input, output, and error streams to a running container', usage: 'CONTAINER', load: () => import('./commands/attach.ts') },
  build: { summary: 'Build an image from a Dockerfile', usage: '[OPTIONS] PATH | URL | -', load: () => import('./commands/build.ts') },
  completion: { summary: 'Generate the autocompletion script for the specified shell', usage: 'bash|zsh|fish', load: () => import('./commands/completion.ts') },
  commit: { summary: "Create a new image from a container's changes", usage: '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]', load: () => import('./commands/container-info.ts').then((m) => ({ default: m.commit })) },
  cp: { summary: 'Copy files/folders between a container and the local filesystem', usage: '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-', load: () => import('./commands/cp.ts') },
  create: { summary: 'Create a new container', usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]', load: () => import('./commands/run.ts').then((m) => ({ default: m.create })) },
  diff: { summary: "Inspect changes to files or directories on a container's filesystem", usage: 'CONTAINER', load: () => import('./commands/container-info.ts').then((m) => ({ default: m.diff })) },
  events: { summary: 'Get real time events from the server', load: () => import('./commands/events.ts') },
  exec: { summary: 'Execute a command in a running container', usage: '[OPTIONS] CONTAINER COMMAND [ARG...]', load: () => import('./commands/exec.ts') },
  export: { summary: "Export a container's filesystem as a tar archive", usage: '[OPTIONS] CONTAINER', load: () => import('./commands/container-info.ts').then((m) => ({ default: m.exportCmd })) },
  history: { summary: 'Show the history of an image', usage: '[OPTIONS] IMAGE', load: () => import('./commands/images.ts').then((m) => ({ default: m.history })) },
  images: { summary: 'List images', usage: '[OPTIONS] [REPOSITORY[:TAG]]', load: () => import('./commands/images.ts') },
  import: { summary: 'Import the contents from a tarball to create a filesystem image', usage: '[OPTIONS] file|URL|- [REPOSITORY[:TAG]]', load: () => import('./commands/image-transfer.ts').then((m) => ({ default: m.importImage })) },
  info: { summary: 'Display system-wide information', load: () => import('./commands/info.ts') },
  inspect: { summary: 'Return low-level information on Docker objects', usage: '[OPTIONS] NAME|ID [NAME|ID...]', load: () => import('./commands/inspect.ts') },
  kill: { summary: 'Kill one or more running containers', usage: '[OPTIONS] CONTAINER [CONTAINER...]', load: () => import('./commands/container-lifecycle.ts').then((m) => ({ default: m.kill })) },
  load: { summary: 'Load an image from a tar archive or STDIN', usage: '[OPTIONS]', load: () => import('./commands/image-transfer.ts').then((m) => ({ default: m.load })) },
  login: { summary: 'Authenticate to a registry', usage: '[OPTIONS] [SERVER]', load: () => import('./commands/image-transfer.ts').then((m) => ({ default: m.login })) },
  logout: { summary: 'Log out from a registry', usage: '[SERVER]', load: () => import('./commands/image-transfer.ts').then((m) => ({ default: m.logout })) },
  logs: { summary: 'Fetch the logs of a container', usage: '[OPTIONS] CONTAINER', load: () => import('./commands/logs.ts') },
  network: { summary: 'Manage networks', usage: 'COMMAND', load: () => import('./commands/network.ts') },
  pause: { summary: 'Pause all processes within one or more containers', usage: 'CONTAINER [CONTAINER...]', load: () => import('./commands/container-lifecycle.ts').then((m) => ({ default: m.pause })) },
  port: { summary: 'List port mappings or a specific mapping for the container', usage: 'CONTAINER [PRIVATE_PORT[/PROTO]]', load: () => import('./commands/container-info.ts').then((m) => ({ default: m.port })) },
  ps: { summary: 'List containers', usage: '[OPTIONS]', load: () => import('./commands/ps.ts') },
  pull: { summary: 'Download an image from a registry', usage: '[OPTIONS] NAME[:TAG|@DIGEST]', load: () => import('./commands/image-transfer.ts') },
  push: { summary: 'Upload an image to a registry', usage: '[OPTIONS] NAME[:TAG]', load: () => import('./commands/image-transfer.ts').then((m) => ({ default: m.push })) },
  registry: { summary: 'Run a private image registry (wharf registry serve)', usage: 'serve [OPTIONS]', load: () => import('./commands/registry.ts') },
  rename: { summary: 'Rename a container', usage: 'CONTAINER NEW_NAME', load: () => import('./commands/container-info.ts').then((m) => ({ default: m.rename })) },
  restart: { summary: 'Restart one or more containers', usage: '[OPTIONS] CONTAINER [CONTAINER...]', load: () => import('./commands/container-lifecycle.ts').then((m) => ({ default: m.restart })) },
  rm: { summary: 'Remove one or more containers', usage: '[OPTIONS] CONTAINER [CONTAINER...]', load: () => import('./commands/container-lifecycle.ts').then((m) => ({ default: m.rm })) },
  rmi: { summary: 'Remove one or more images', usage: '[OPTIONS] IMAGE [IMAGE...]', load: () => import('./commands/images.ts').then((m) => ({ default: m.rmi })) },
  run: { summary: 'Create and run a new container from an image', usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]', load: () => import('./commands/run.ts') },
  save: { summary: 'Save one or more images to a tar archive (streamed to STDOUT by default)', usage: '[OPTIONS] IMAGE [IMAGE...]', load: () => import('./commands/image-transfer.ts').then((m) => ({ default: m.save })) },
  search: { summary: 'Search Docker Hub for images', usage: '[OPTIONS] TERM', load: () => import('./commands/image-transfer.ts').then((m) => ({ default: m.search })) },
  start: { summary: 'Start one or more stopped containers', usage: '[OPTIONS] CONTAINER [CONTAINER...]', load: () => import('./commands/container-lifecycle.ts').then((m) => ({ default: m.start })) },
  stats: { summary: 'Display a live stream of container(s) resource usage statistics', usage: '[OPTIONS] [CONTAINER...]', load: () => import('./commands/stats.ts') },
  stop: { summary: 'Stop one or more running containers', usage: '[OPTIONS] CONTAINER [CONTAINER...]', load: () => import('./commands/container-lifecycle.ts').then((m) => ({ default: m.stop })) },
  system: { summary: 'Manage Docker', usage: 'COMMAND', load: () => import('./commands/system.ts') },
  tag: { summary: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE', usage: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]', load: () => import('./commands/images.ts').then((m) => ({ default: m.tag })) },
  top: { summary: 'Display the running processes of a container', usage: 'CONTAINER [ps OPTIONS]', load: () => import('./commands/container-info.ts').then((m) => ({ default: m.top })) },
  unpause: { summary: 'Unpause all processes within one or more containers', usage: 'CONTAINER [CONTAINER...]', load: () => import('./commands/container-lifecycle.ts').then((m) => ({ default: m.unpause })) },
  update: { summary: 'Update configuration of one or more containers', usage: '[OPTIONS] CONTAINER [CONTAINER...]', load: () => import('./commands/container-info.ts').then((m) => ({ default: m.update })) },
  version: { summary: 'Show the Docker version information', load: () => import('./commands/version.ts') },
  volume: { summary: 'Manage volumes', usage: 'COMMAND', load: () => import('./commands/volume.ts') },
  wait: { summary: 'Block until one or more containers stop, then print their exit codes', usage: 'CONTAINER [CONTAINER...]', load: () => import('./commands/container-lifecycle.ts').then((m) => ({ default: m.wait })) },
  container: { summary: 'Manage containers', usage: 'COMMAND' },
  image: { summary: 'Manage images', usage: 'COMMAND' },
  'container-prune': { summary: 'Remove all stopped containers', load: () => import('./commands/container-info.ts').then((m) => ({ default: m.containerPrune })) },
  'image-prune': { summary: 'Remove unused images', load: () => import('./commands/images.ts').then((m) => ({ default: m.imagePrune })) },
  'system-df': { summary: 'Show docker disk usage', load: () => import('./commands/system.ts').then((m) => ({ default: m.systemDf })) },
  'system-prune': { summary: 'Remove unused data', load: () => import('./commands/system.ts').then((m) => ({ default: m.systemPrune })) },
  '__complete-names': { summary: 'List names for shell completion', hidden: true, load: () => import('./commands/completion.ts').then((m) => ({ default: m.completeNames })) },
  __man: { summary: 'Write the man pages', hidden: true, load: () => import('./commands/completion.ts').then((m) => ({ default: m.man })) },
};

/** `wharf container ls` → `ps`, `wharf image rm` → `rmi`, … (verb → top-level command). */
export const MANAGEMENT: Record<string, Record<string, string>> = {
  container: {
    attach: 'attach', commit: 'commit', cp: 'cp', create: 'create', diff: 'diff', exec: 'exec', export: 'export', inspect: 'inspect',
    kill: 'kill', logs: 'logs', ls: 'ps', list: 'ps', ps: 'ps', pause: 'pause', port: 'port', prune: 'container-prune', rename: 'rename',
    restart: 'restart', rm: 'rm', remove: 'rm', run: 'run', start: 'start', stats: 'stats', stop: 'stop', top: 'top', unpause: 'unpause',
    update: 'update', wait: 'wait',
  },
  image: {
    build: 'build', history: 'history', import: 'import', inspect: 'inspect', load: 'load', ls: 'images', list: 'images', prune: 'image-prune',
    pull: 'pull', push: 'push', rm: 'rmi', remove: 'rmi', save: 'save', tag: 'tag',
  },
  system: { df: 'system-df', events: 'events', info: 'info', prune: 'system-prune' },
};

export function getEntry(name: string): CommandEntry | undefined {
  return Object.prototype.hasOwnProperty.call(COMMANDS, name) ? COMMANDS[name] : undefined;
}
