import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelMatches, labelsMatch, pruneLabelsMatch } from '../../src/api/types/labels.ts';

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

test('prune label filters: every label holds and no label! does', () => {
  const l = { a: '1', b: 'x=y' };
  assert.equal(pruneLabelsMatch({}, l), true);
  assert.equal(pruneLabelsMatch({}, null), true);
  assert.equal(pruneLabelsMatch({ label: ['a'] }, l), true);
  assert.equal(pruneLabelsMatch({ label: ['b=x=y'] }, l), true, 'the value is everything after the first =');
  assert.equal(pruneLabelsMatch({ label: ['b=x'] }, l), false);
  assert.equal(pruneLabelsMatch({ label: ['constructor'] }, {}), false, 'no inherited keys');
  assert.equal(pruneLabelsMatch({ label: ['a'] }, null), false);
  assert.equal(pruneLabelsMatch({ 'label!': ['a=2'] }, l), true);
  assert.equal(pruneLabelsMatch({ 'label!': ['a'] }, l), false);
  assert.equal(pruneLabelsMatch({ 'label!': ['z', 'a=1'] }, l), false, 'any one label! expression that holds keeps the object');
  assert.equal(pruneLabelsMatch({ 'label!': ['a'] }, null), true);
  assert.equal(pruneLabelsMatch({ label: ['a'], 'label!': ['b'] }, l), false);
});
