import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelMatches, labelsMatch } from '../../src/api/types/labels.ts';

test('label filter: key present, key=value exact, every expression must hold', () => {
  const l = { a: '1', b: '', 'c=d': 'x' };
  assert.equal(labelMatches('a', l), true);
  assert.equal(labelMatches('b', l), true, 'an empty value is still set');
  assert.equal(labelMatches('b=', l), true);
  assert.equal(labelMatches('a=1', l), true);
  assert.equal(labelMatches('a=2', l), false);
  assert.equal(labelMatches('z', l), false);
  assert.equal(labelMatches('toString', l), false, 'no inherited keys');
  assert.equal(labelMatches('a', null), false);
  assert.equal(labelsMatch(['a', 'b='], l), true);
  assert.equal(labelsMatch(['a', 'z'], l), false);
  assert.equal(labelsMatch([], null), true);
  assert.equal(labelsMatch(undefined, undefined), true);
});
