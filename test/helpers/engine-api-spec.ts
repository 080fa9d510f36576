/**
 * The Engine API spec (`../shared/specs/docker-engine-api-v1.47.yaml`, found beside the
 * repository or beside the checkout a worktree belongs to) read as JSON for the unit tests
 * that check our wire types against it.
 *
 * src/common/yaml-lite.ts reads it once the prose is gone: the spec's `description`,
 * `summary` and `example(s)` values use block scalars and multi-line flow collections, which
 * yaml-lite refuses (it reads the CDI specs tools write). Those keys are documentation, not
 * schema, so they are blanked here, line for line (line numbers in errors stay right).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseYaml } from '../../src/common/yaml-lite.ts';
import { REPO } from './daemon.ts';

export interface SpecSchema {
  type?: string;
  $ref?: string;
  items?: SpecSchema;
  properties?: Record<string, SpecSchema>;
  allOf?: SpecSchema[];
  enum?: unknown[];
  additionalProperties?: SpecSchema | boolean;
}
export interface EngineApiSpec { swagger: string; info: { version: string }; definitions: Record<string, SpecSchema>; paths: Record<string, unknown> }

/** `../shared/specs/<name>` from the repository, or from a worktree's parent checkout (`../../shared`). */
export function sharedSpecPath(name: string): string {
  for (const up of ['..', '../..']) {
    const p = path.resolve(REPO, up, 'shared/specs', name);
    if (fs.existsSync(p)) return p;
  }
  throw new Error(`../shared/specs/${name} not found beside ${REPO}`);
}

const PROSE = /^( *)(description|summary|example|examples):(.*)$/;
const indentOf = (s: string) => s.length - s.trimStart().length;
/** Net count of open flow brackets on a line (outside double-quoted strings). */
const depthOf = (s: string) => {
  let d = 0;
  for (const c of s.replace(/"(\\.|[^"\\])*"/g, '')) d += c === '{' || c === '[' ? 1 : c === '}' || c === ']' ? -1 : 0;
  return d;
};

/** The spec's text with every prose key (and what belongs to it) blanked. */
export function stripProse(text: string): string {
  const raw = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    const m = PROSE.exec(raw[i]!);
    if (!m) { out.push(raw[i]!); continue; }
    out.push('');
    const indent = m[1]!.length;
    // A flow collection may close at the key's own indent; a block value is what is indented deeper.
    const flow = /^\s*[[{]/.test(m[3]!);
    let depth = flow ? depthOf(m[3]!) : 0;
    while (i + 1 < raw.length && (depth > 0 || raw[i + 1]!.trim() === '' || indentOf(raw[i + 1]!) > indent)) {
      i++;
      if (flow) depth += depthOf(raw[i]!);
      out.push('');
    }
  }
  return out.join('\n');
}

let cached: EngineApiSpec | undefined;
export function engineApiSpec(): EngineApiSpec {
  cached ??= parseYaml(stripProse(fs.readFileSync(sharedSpecPath('docker-engine-api-v1.47.yaml'), 'utf8'))) as EngineApiSpec;
  return cached;
}

/** A definition by name (`#/definitions/X` or `X`). */
export function definition(spec: EngineApiSpec, ref: string): SpecSchema {
  const name = ref.replace('#/definitions/', '');
  const d = spec.definitions[name];
  if (!d) throw new Error(`no definition ${name} in the spec`);
  return d;
}

/** A schema's properties, allOf parts and $refs followed. */
export function propertiesOf(spec: EngineApiSpec, s: SpecSchema): Record<string, SpecSchema> {
  if (s.$ref) return propertiesOf(spec, definition(spec, s.$ref));
  const out: Record<string, SpecSchema> = {};
  for (const part of s.allOf ?? []) Object.assign(out, propertiesOf(spec, part));
  return Object.assign(out, s.properties ?? {});
}

/** `Def`, `Def.Field` (an inline object) or `Def.Field[]` (an inline array's items). */
export function schemaAt(spec: EngineApiSpec, where: string): SpecSchema {
  const [def, ...fields] = where.split('.');
  let s = definition(spec, def!);
  for (const f of fields) {
    const items = f.endsWith('[]');
    const p = propertiesOf(spec, s)[items ? f.slice(0, -2) : f];
    if (!p) throw new Error(`no field ${f} at ${where}`);
    s = items ? p.items ?? {} : p;
  }
  return s.$ref ? definition(spec, s.$ref) : s;
}
