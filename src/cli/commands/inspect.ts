/**
 * `wharf inspect` (and `container/image/volume/network inspect`): JSON arrays indented 4
 * spaces like docker, or `-f` templates; without --type tries container, image, volume,
 * network in turn.
 */
import type { Command } from 'commander';
import { ApiError } from '../../client/client.ts';
import { CliExit, type CliContext } from '../context.ts';
import { newCommand } from '../docker-command.ts';
import { inspectFormat, parseFormat } from '../format.ts';
import { TemplateError } from '../../common/go-template/index.ts';

export type ObjectType = 'container' | 'image' | 'volume' | 'network' | 'exec';

const PATHS: Record<ObjectType, (id: string, size: boolean) => [string, Record<string, boolean>]> = {
  container: (id, size) => [`/containers/${encodeURIComponent(id)}/json`, { size }],
  image: (id) => [`/images/${encodeURIComponent(id)}/json`, {}],
  volume: (id) => [`/volumes/${encodeURIComponent(id)}`, {}],
  network: (id) => [`/networks/${encodeURIComponent(id)}`, {}],
  exec: (id) => [`/exec/${encodeURIComponent(id)}/json`, {}],
};

/** docker's Go type of each kind of object, which `-f` templates run on first. */
const GO_TYPES: Partial<Record<ObjectType, string>> = {
  container: 'container.InspectResponse', image: 'image.InspectResponse', volume: 'volume.Volume', network: 'network.Inspect',
};

/** Prints objects like docker's inspect: `[\n    {…}\n]` or one template line per object. */
export function printInspect(ctx: CliContext, objects: unknown[], format: string | undefined, types: (ObjectType | undefined)[] = []): void {
  if (format) {
    const errors = printTemplated(ctx, objects.map((o, i) => ({ obj: o, type: types[i] })), format);
    if (errors.length) throw new CliExit(1, errors.join('\n'));
    return;
  }
  ctx.out.write(JSON.stringify(objects, null, 4).replace(/^\[\]$/, '[]') + '\n');
}

/**
 * docker's TemplateInspector: each object's line, or its error (in order with lookup errors,
 * which come as `{ error }`); an empty output is still one newline. Returns the errors.
 */
function printTemplated(ctx: CliContext, items: { obj?: unknown; type?: ObjectType; error?: string }[], format: string): string[] {
  const tmpl = parseFormat(format);
  let out = '';
  const errors: string[] = [];
  for (const it of items) {
    if (it.error !== undefined) { errors.push(it.error); continue; }
    try {
      out += inspectFormat(tmpl, it.type && GO_TYPES[it.type], it.obj) + '\n';
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      errors.push(e.message);
    }
  }
  ctx.out.write(out === '' ? '\n' : out);
  return errors;
}

export async function inspectObjects(ctx: CliContext, names: string[], types: ObjectType[], opts: { format?: string; size?: boolean }): Promise<void> {
  if (opts.format && opts.format !== 'json') parseFormat(opts.format);
  const found: unknown[] = [];
  const errors: string[] = [];
  const items: { obj?: unknown; type?: ObjectType; error?: string }[] = [];
  for (const name of names) {
    let obj: unknown;
    let type: ObjectType | undefined;
    for (const t of types) {
      const [p, q] = PATHS[t](name, !!opts.size);
      try {
        obj = await ctx.client().json(p, { query: q });
        type = t;
        break;
      } catch (e) {
        if (!(e instanceof ApiError) || e.status !== 404) throw e;
      }
    }
    if (obj === undefined) {
      const error = types.length === 1 ? notFound(types[0]!, name) : `Error: No such object: ${name}`;
      errors.push(error);
      items.push({ error });
    } else {
      found.push(obj);
      items.push({ obj, type });
    }
  }
  if (opts.format === 'json') {
    // docker's JSON inspector: the objects as one compact array
    ctx.out.write(`${JSON.stringify(found)}\n`);
    if (errors.length) throw new CliExit(1, errors.join('\n'));
    return;
  }
  if (opts.format) {
    const all = printTemplated(ctx, items, opts.format);
    if (all.length) throw new CliExit(1, all.join('\n'));
    return;
  }
  printInspect(ctx, found, undefined);
  if (errors.length) throw new CliExit(1, errors.join('\n'));
}

function notFound(t: ObjectType, name: string): string {
  switch (t) {
    case 'container': return `Error: No such container: ${name}`;
    case 'image': return `Error: No such image: ${name}`;
    case 'volume': return `Error: No such volume: ${name}`;
    case 'network': return `Error: No such network: ${name}`;
    default: return `Error: No such exec instance: ${name}`;
  }
}

/** A typed `X inspect` command (container/image/volume/network). */
export function typedInspect(ctx: CliContext, t: ObjectType): Command {
  const cmd = newCommand('inspect').description(`Display detailed information on one or more ${t}s`).argument('<names...>')
    .option('-f, --format <string>', 'Format output using a custom template');
  if (t === 'container') cmd.flag('-s, --size', 'Display total file sizes');
  return cmd.action(async (names: string[], o: { format?: string; size?: boolean }) => inspectObjects(ctx, names, [t], o));
}

export default function inspect(ctx: CliContext): Command {
  return newCommand('inspect').description('Return low-level information on Docker objects').argument('<names...>')
    .option('-f, --format <string>', 'Format output using a custom template')
    .flag('-s, --size', 'Display total file sizes if the type is container')
    .option('--type <string>', 'Only inspect objects of the given type')
    .action(async (names: string[], o: { format?: string; size?: boolean; type?: string }) => {
      const all: ObjectType[] = ['container', 'image', 'volume', 'network'];
      if (o.type && !(all as string[]).includes(o.type)) throw new CliExit(1, `"${o.type}" is not a valid value for --type`);
      await inspectObjects(ctx, names, o.type ? [o.type as ObjectType] : all, o);
    });
}

export const containerInspect = (ctx: CliContext) => typedInspect(ctx, 'container');
export const imageInspect = (ctx: CliContext) => typedInspect(ctx, 'image');
export const volumeInspect = (ctx: CliContext) => typedInspect(ctx, 'volume');
export const networkInspect = (ctx: CliContext) => typedInspect(ctx, 'network');
