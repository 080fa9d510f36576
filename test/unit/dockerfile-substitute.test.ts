/** Variable substitution and word handling of Dockerfile arguments. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { processWord, processWords, parseNameValues, rawWords } from '../../src/engine/build/substitute.ts';

const env = { A: 'a', E: '', S: 'x y' };

test('plain and braced variables', () => {
  assert.equal(processWord('$A/${A}b/$NOPE.', env), 'a/ab/.');
  assert.equal(processWord('cost $5 and $', env), 'cost $5 and $');
});

test('default and alternative modifiers', () => {
  assert.equal(processWord('${E:-d}|${E-d}|${U:-d}|${U-d}', env), 'd||d|d');
  assert.equal(processWord('${A:+alt}|${E:+alt}|${E+alt}|${U+alt}', env), 'alt||alt|');
  assert.equal(processWord('${U:-${A}x}', env), 'ax');
  assert.throws(() => processWord('${U:?must be set}', env), /U: must be set/);
});

test('quotes: single literal, double substitutes, escapes', () => {
  assert.equal(processWord(`'$A' "$A" \\$A "a\\"b"`, env), '$A a $A a"b');
  assert.equal(processWord('"c:\\dir"', env), 'c:\\dir');
  assert.equal(processWord('`$A', env, '`'), '$A');
});

test('word splitting keeps quoted spaces and splits unquoted substitutions', () => {
  assert.deepEqual(processWords('one "two three" $S', env), ['one', 'two three', 'x', 'y']);
  assert.deepEqual(processWords('  80/tcp   $A  ', env), ['80/tcp', 'a']);
});

test('name=value pairs and the legacy form', () => {
  assert.deepEqual(parseNameValues('ENV', 'K="hello world" P=/opt/$A', env), [['K', 'hello world'], ['P', '/opt/a']]);
  assert.deepEqual(parseNameValues('ENV', 'K some value $A', env), [['K', 'some value a']]);
  assert.deepEqual(parseNameValues('LABEL', 'org.x="a b" y=z', env), [['org.x', 'a b'], ['y', 'z']]);
  assert.throws(() => parseNameValues('ENV', 'K', env), /ENV must have two arguments/);
  assert.deepEqual(rawWords('a="b c" d=\'e f\''), ['a="b c"', "d='e f'"]);
});
