/**
 * The wire types of src/api/types/container.ts against the Engine API spec
 * (../shared/specs/docker-engine-api-v1.47.yaml): every field we declare exists in the spec's
 * schema with a compatible JSON type. The compiler ties each interface to its `*_SCHEMA`
 * (same keys, same kinds); this test ties the schemas to the spec.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HOST_CONFIG_SCHEMA, WIRE_SCHEMAS, type HostConfig, type WireSchema } from '../../src/api/types/container.ts';
import { definition, engineApiSpec, propertiesOf, schemaAt, stripProse, type EngineApiSpec, type SpecSchema } from '../helpers/engine-api-spec.ts';

/** The spec's JSON kind of a field, in the schemas' words ('string[]', 'object[]', 'array', 'object', 'integer', …). */
function specKind(spec: EngineApiSpec, s: SpecSchema): string | undefined {
  const deref = (x: SpecSchema): SpecSchema => (x.$ref ? deref(definition(spec, x.$ref)) : x);
  // A type of its own, else what its allOf parts say (`allOf: [$ref: MountType]` is a string), else its shape.
  const base = (x: SpecSchema): string | undefined => {
    const r = deref(x);
    return r.type ?? r.allOf?.map(base).find(Boolean) ?? (r.properties ? 'object' : r.enum?.every((v) => typeof v === 'string') ? 'string' : undefined);
  };
  const r = deref(s);
  const t = base(r);
  if (t !== 'array') return t;
  const it = r.items ? base(r.items) : undefined;
  return it === 'array' ? 'array' : it === 'object' ? 'object[]' : it ? `${it}[]` : 'array';
}

function compatible(ours: string, theirs: string | undefined): boolean {
  if (theirs === undefined) return false;
  if (ours === theirs) return true;
  if (ours === 'number') return theirs === 'integer';
  if (ours === 'array') return theirs === 'array' || theirs.endsWith('[]');
  return false;
}

test('every field of our wire types exists in the Engine API spec with a compatible type', (t) => {
  const spec = engineApiSpec();
  assert.equal(spec.info.version, '1.47');
  const problems: string[] = [];
  let fields = 0;
  for (const { spec: where, fields: ours } of WIRE_SCHEMAS) {
    const theirs = propertiesOf(spec, schemaAt(spec, where));
    for (const [name, kind] of Object.entries(ours)) {
      fields++;
      const p = theirs[name];
      if (!p) { problems.push(`${where}.${name}: not in the spec`); continue; }
      const k = specKind(spec, p);
      if (!compatible(kind, k)) problems.push(`${where}.${name}: ours ${kind}, the spec's ${k ?? '(no type)'}`);
    }
    const missing = Object.keys(theirs).filter((f) => !(f in ours));
    if (missing.length) t.diagnostic(`${where}: not declared (the engine does not use them): ${missing.join(' ')}`);
  }
  assert.deepEqual(problems, []);
  assert.ok(fields > 100, `${fields} fields checked`);
});

test("create's body is ContainerConfig with HostConfig and NetworkingConfig (ContainerCreateRequest)", () => {
  const spec = engineApiSpec();
  const post = (spec.paths['/containers/create'] as { post: { parameters: { in: string; schema?: SpecSchema }[] } }).post;
  const body = post.parameters.find((p) => p.in === 'body')!.schema!;
  const props = propertiesOf(spec, body);
  assert.equal(props.HostConfig?.$ref, '#/definitions/HostConfig');
  assert.equal(props.NetworkingConfig?.$ref, '#/definitions/NetworkingConfig');
  assert.ok(body.allOf?.some((s) => s.$ref === '#/definitions/ContainerConfig'));
});

test('the spec reader: prose blanked line for line, schema kept', () => {
  const text = 'a:\n  description: |\n    prose: with {braces\n\n    more\n  type: "string"\n  example: {\n    "x": 1\n  }\n  enum: ["p"]\n';
  const out = stripProse(text);
  assert.equal(out.split('\n').length, text.split('\n').length);
  assert.equal(out, 'a:\n\n\n\n\n  type: "string"\n\n\n\n  enum: ["p"]\n');
});

test('a field the spec lacks, or of another type, is reported', () => {
  const spec = engineApiSpec();
  const hc = propertiesOf(spec, schemaAt(spec, 'HostConfig'));
  assert.equal(hc.NoSuchField, undefined);
  assert.equal(specKind(spec, hc.Memory!), 'integer');
  assert.equal(specKind(spec, hc.Binds!), 'string[]');
  assert.equal(specKind(spec, hc.Mounts!), 'object[]');
  assert.equal(specKind(spec, hc.PortBindings!), 'object');
  assert.ok(!compatible('string', specKind(spec, hc.Memory!)));
  assert.ok(compatible('array', specKind(spec, propertiesOf(spec, schemaAt(spec, 'DeviceRequest')).Capabilities!)));
});

test('the compiler ties each schema to its interface (checked by tsc --noEmit)', () => {
  // @ts-expect-error a field the interface lacks does not compile
  const extra = { ...HOST_CONFIG_SCHEMA, NoSuchField: 'string' } as const satisfies WireSchema<HostConfig>;
  // @ts-expect-error a field of another kind does not compile
  const kind = { ...HOST_CONFIG_SCHEMA, Memory: 'string' } as const satisfies WireSchema<HostConfig>;
  const { CgroupnsMode: _dropped, ...rest } = HOST_CONFIG_SCHEMA;
  // @ts-expect-error a field left out of the schema does not compile
  const missing = rest satisfies WireSchema<HostConfig>;
  assert.ok(extra && kind && missing);
});
