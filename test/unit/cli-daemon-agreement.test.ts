/**
 * The CLI and the daemon agree on the run flags: each body field a flag of the table
 * (cli/run-options.ts) fills is read by the daemon's container code (src/engine/containers,
 * past the create-time check in validate.ts), or is listed below with why it is not.
 * The compiler ties both ends to the same wire type (api/types/container.ts: the table's
 * `to` and the engine's record); this test sees that the engine's side is not a dead end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RUN_FLAGS, type BodyField } from '../../src/cli/run-options.ts';

const ENGINE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/engine/containers');

/** Fields a flag fills that the container code does not act on, and why. Keep it short: a fix removes its line. */
const NOT_READ: Partial<Record<BodyField, string>> = {
  'Config.AttachStdin': 'stored and shown; the client attaches (docker alike)',
  'Config.AttachStdout': 'stored and shown; the client attaches (docker alike)',
  'Config.AttachStderr': 'stored and shown; the client attaches (docker alike)',
  'HostConfig.ContainerIDFile': 'the CLI writes the file; docker\'s daemon ignores it too',
  'NetworkingConfig.EndpointsConfig': 'normaliseCreate hands it on as `networking`',
  'HostConfig.Isolation': 'Linux has one isolation: validate.ts accepts "default" only, as docker',
  // Known gaps: accepted and stored, not applied.
  'HostConfig.UsernsMode': 'no userns-remap: containers share the host user namespace; dockerd accepts any value too (its CLI checks host/private)',
};

function engineSources(): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts') && e.name !== 'validate.ts') out.push({ file: path.relative(ENGINE, p), text: fs.readFileSync(p, 'utf8') });
    }
  };
  walk(ENGINE);
  return out;
}

function tableFields(): Map<BodyField, string[]> {
  const m = new Map<BodyField, string[]>();
  for (const f of RUN_FLAGS) {
    const to = f.to === 'client' ? [] : typeof f.to === 'string' ? [f.to] : [...f.to];
    for (const field of to) m.set(field, [...(m.get(field) ?? []), f.flags]);
  }
  return m;
}

const readers = (src: { file: string; text: string }[], field: BodyField) => {
  const re = new RegExp(`\\.${field.split('.')[1]}\\b`);
  return src.filter((s) => re.test(s.text)).map((s) => s.file);
};

test('every field a run flag fills is read by the container code, or listed with its reason', () => {
  const src = engineSources();
  const unread: string[] = [];
  for (const [field, flags] of tableFields()) {
    if (field in NOT_READ) continue;
    if (readers(src, field).length === 0) unread.push(`${field} (${flags.join(', ')})`);
  }
  assert.deepEqual(unread, [], 'the daemon ignores what these flags send');
});

test('the exceptions are still true and still flags of the table (a fixed one leaves the list)', () => {
  const src = engineSources();
  const fields = tableFields();
  for (const field of Object.keys(NOT_READ) as BodyField[]) {
    assert.ok(fields.has(field), `${field} is no flag's field any more`);
    assert.deepEqual(readers(src, field), [], `${field} is read now: remove it from NOT_READ`);
  }
});

test('--cgroupns reaches the OCI spec through HostConfig.CgroupnsMode', () => {
  const f = RUN_FLAGS.find((x) => x.flags.startsWith('--cgroupns'))!;
  assert.equal(f.to, 'HostConfig.CgroupnsMode');
  assert.ok(readers(engineSources(), 'HostConfig.CgroupnsMode').includes('lifecycle.ts'));
});
