/** The run/create flag table (cli/run-options.ts) against the command it builds and the wire model it names. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTAINER_CONFIG_SCHEMA, ENDPOINT_SETTINGS_SCHEMA, HOST_CONFIG_SCHEMA } from '../../src/api/types/container.ts';
import { newCommand } from '../../src/cli/docker-command.ts';
import { RUN_FLAGS, addRunFlags, optionKey, passFlags, type BodyField } from '../../src/cli/run-options.ts';

const fieldsOf = (to: (typeof RUN_FLAGS)[number]['to']): BodyField[] => (to === 'client' ? [] : typeof to === 'string' ? [to] : [...to]);
const SCHEMAS: Record<string, Readonly<Record<string, string>>> = {
  Config: CONTAINER_CONFIG_SCHEMA, HostConfig: HOST_CONFIG_SCHEMA, EndpointSettings: ENDPOINT_SETTINGS_SCHEMA, NetworkingConfig: { EndpointsConfig: 'object' },
};

test('every flag of the table is on run (and create unless run-only), and nothing else is', () => {
  for (const isRun of [true, false]) {
    const cmd = addRunFlags(newCommand(isRun ? 'run' : 'create'), isRun);
    const table = RUN_FLAGS.filter((f) => isRun || !f.runOnly);
    // A flag that defaults to true (--sig-proxy) also gets its hidden --no- form.
    const negations = table.filter((f) => f.dflt === true).map((f) => `--no-${/--([\w-]+)/.exec(f.flags)![1]}`);
    const onCommand = cmd.options.map((o) => o.long!).filter((l) => !negations.includes(l)).sort();
    const inTable = table.map((f) => /--[\w-]+/.exec(f.flags)![0]).sort();
    assert.deepEqual(onCommand, inTable);
  }
});

test("optionKey() is commander's attribute name, so buildCreateBody finds each value", () => {
  const cmd = addRunFlags(newCommand('run'), true);
  for (const f of RUN_FLAGS) {
    const opt = cmd.options.find((o) => o.flags === f.flags);
    assert.ok(opt, f.flags);
    assert.equal(optionKey(f.flags), opt.attributeName(), f.flags);
  }
});

test('every body field a flag names exists in the wire model (Engine API v1.47)', () => {
  for (const f of RUN_FLAGS) {
    for (const field of fieldsOf(f.to)) {
      const [part, name] = field.split('.') as [string, string];
      assert.ok(SCHEMAS[part] && name in SCHEMAS[part], `${f.flags} → ${field}`);
    }
  }
});

test('pass flags are string flags aimed at one string field', () => {
  assert.ok(passFlags().length > 0);
  for (const p of passFlags()) {
    const f = RUN_FLAGS.find((x) => optionKey(x.flags) === p.key)!;
    assert.equal(f.kind, 'str', f.flags);
    assert.equal(typeof f.to, 'string', f.flags);
    const [part, name] = p.field.split('.') as [string, string];
    assert.equal(SCHEMAS[part]![name], 'string', `${f.flags} → ${p.field}`);
  }
});

test("value checks of the table give the docker CLI's words (--cgroupns, --userns)", () => {
  const check = (flag: string, v: string) => RUN_FLAGS.find((f) => f.flags.startsWith(flag))!.check?.(v);
  assert.equal(check('--cgroupns', 'private'), undefined);
  assert.equal(check('--cgroupns', 'x'), '--cgroupns: invalid CGROUP mode');
  assert.equal(check('--userns', 'host'), undefined);
  assert.equal(check('--userns', ''), undefined);
  assert.equal(check('--userns', 'private'), '--userns: invalid USER mode');
});
