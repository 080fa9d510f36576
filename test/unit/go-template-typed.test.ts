/**
 * Templates over Go-typed data (typed.ts): what docker's CLI sees after decoding API JSON into
 * its structs — nil slices/maps with len 0, nil pointers, zero values for absent fields,
 * errors for fields a struct lacks, embedded structs, time.Time and time.Duration, encoding/
 * json's field order and omitempty — and the raw-map run with missingkey=error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileTemplate, GoJsonNumber, markGoMap, TypedDecoder, type GoSchema } from '../../src/common/go-template/index.ts';
import { DOCKER_TYPES } from '../../src/cli/docker-go-types.ts';

const SCHEMA: GoSchema = {
  'x.Box': [['Base', 'x.Base', '', 'e'], ['Items', '[]string', '', ''], ['Labels', 'map[string]string', '', ''],
    ['Inner', '*x.Inner', '', 'o'], ['Limit', '*int64', '', 'o'], ['Every', 'duration', '', ''], ['When', 'time', '', ''],
    ['Ports', 'map[string]struct{}', '', ''], ['Hidden', 'string', '-', ''], ['Note', 'string', 'note', 'o']],
  'x.Base': [['ID', 'string', 'Id', ''], ['Count', 'int', '', '']],
  'x.Inner': [['Status', 'string', '', '']],
};
const dec = new TypedDecoder(SCHEMA);
const run = (src: string, data: unknown, missingKey?: 'error') => compileTemplate(src).execute(data, { missingKey });

test('null and absent slices and maps are nil: len 0, no range, print [] and map[]', () => {
  const box = dec.decode('*x.Box', { Items: null });
  assert.equal(run('{{len .Items}} {{len .Labels}} {{range .Items}}x{{end}}{{.Items}} {{.Labels}}', box), '0 0 [] map[]');
  assert.equal(run('{{json .Items}} {{json .Labels}}', box), 'null null');
  assert.equal(run('[{{index .Labels "k"}}]', box), '[]', 'a typed map gives its zero value');
  assert.equal(run('[{{index .Labels "k"}}]', { Labels: {} }), '[<no value>]', 'a raw map does not');
});

test('nil pointers: <nil>, false in if/with, and docker\'s errors through them', () => {
  const box = dec.decode('*x.Box', {});
  assert.equal(run('{{.Inner}} {{.Limit}} {{with .Inner}}x{{else}}none{{end}}', box), '<nil> <nil> none');
  assert.throws(() => run('{{.Inner.Status}}', box), /nil pointer evaluating \*x\.Inner\.Status/);
  assert.throws(() => run('{{.Inner.Nope}}', box), /can't evaluate field Nope in type \*x\.Inner/);
  assert.throws(() => run('{{len .Inner}}', box), /len of nil pointer/);
  assert.equal(run('{{.Limit}}', dec.decode('*x.Box', { Limit: 5 })), '5');
});

test('structs: zero values for absent fields, promoted embedded fields, unknown fields are errors', () => {
  const box = dec.decode('*x.Box', { Id: 'abc', Extra: 1 });
  assert.equal(run('{{.ID}}|{{.Count}}|{{.Hidden}}', box), 'abc|0|');
  assert.throws(() => run('{{.Extra}}', box), /can't evaluate field Extra in type \*x\.Box/);
  assert.throws(() => run('{{.Id}}', box), /can't evaluate field Id/);
  assert.equal(run('{{.Ports}}', dec.decode('x.Box', { Ports: { '80/tcp': {} } })), 'map[80/tcp:{}]');
});

test('json follows the struct: field order, json names, omitempty, "-", sorted map keys', () => {
  const box = dec.decode('*x.Box', { Labels: { b: '2', a: '1' }, Id: 'i', Every: 1e9, When: '2024-01-02T03:04:05.5Z' });
  assert.equal(run('{{json .}}', box),
    '{"Id":"i","Count":0,"Items":null,"Labels":{"a":"1","b":"2"},"Every":1000000000,"When":"2024-01-02T03:04:05.5Z","Ports":null}');
});

test('time.Duration and time.Time print as Go\'s String()', () => {
  const box = dec.decode('*x.Box', { Every: 90e9, When: '2024-01-02T03:04:05.123456789Z' });
  assert.equal(run('{{.Every}} {{.When}}', box), '1m30s 2024-01-02 03:04:05.123456789 +0000 UTC');
  assert.equal(run('{{.Every}}', dec.decode('x.Box', { Every: 1500000 })), '1.5ms');
  assert.equal(run('{{.When}}', dec.decode('x.Box', {})), '0001-01-01 00:00:00 +0000 UTC');
  assert.equal(run('{{.}}', dec.decode('x.Base', { Id: 'a', Count: 2 })), '{a 2}');
});

test('missingkey=error on raw maps: docker inspect\'s fallback message', () => {
  assert.throws(() => run('{{.State.Health.Status}}', { State: {} }, 'error'), /map has no entry for key "Health"/);
  assert.equal(run('{{.State.Status}}', { State: { Status: 'up' } }, 'error'), 'up');
  assert.equal(run('{{.State.Nope}}', { State: {} }), '<no value>');
});

test('docker\'s own types: image Config.OnBuild, version APIVersion, container Health', () => {
  const d = new TypedDecoder(DOCKER_TYPES);
  assert.equal(run('{{len .Config.OnBuild}}', d.decode('image.InspectResponse', { Config: { OnBuild: null } })), '0');
  assert.equal(run('{{.Server.APIVersion}}', d.decode('system.versionInfo', { Client: {}, Server: { ApiVersion: '1.47' } })), '1.47');
  const c = d.decode('container.InspectResponse', { Id: 'x', State: { Status: 'running' } });
  assert.equal(run('{{.ID}} {{.State.Status}} {{.State.Health}} {{.Config}}', c), 'x running <nil> <nil>');
  assert.throws(() => run('{{.State.Health.Status}}', c), /nil pointer evaluating \*container\.Health\.Status/);
});

test('json.Number and Go maps (the raw inspect data) and String() in printf', () => {
  const n = new GoJsonNumber('1984172');
  const raw = markGoMap({ Size: n, B: markGoMap({ z: 1, a: 2 }) });
  assert.equal(run('{{.Size}} {{len .Size}} {{eq .Size "1984172"}} {{printf "%d" .Size}}', raw), '1984172 7 true %!d(json.Number=1984172)');
  assert.throws(() => run('{{eq .Size 0}}', raw), /incompatible types for comparison/);
  assert.equal(run('{{json .}}', raw), '{"B":{"a":2,"z":1},"Size":1984172}');
  const box = dec.decode('x.Box', { Every: 2e9, When: '2024-01-02T03:04:05Z' });
  assert.equal(run('{{printf "%v|%s|%d" .Every .When .Every}}', box), '2s|2024-01-02 03:04:05 +0000 UTC|2000000000');
});

test('a struct\'s own field shadows a promoted one of the same name', () => {
  const d2 = new TypedDecoder({ ...SCHEMA, 'x.Outer': [['Base', 'x.Base', '', 'e'], ['ID', 'string', 'OuterID', '']] });
  const o = d2.decode('x.Outer', { Id: 'inner', OuterID: 'outer', Count: 3 });
  assert.equal(run('{{.ID}} {{.Count}}', o), 'outer 3');
});
