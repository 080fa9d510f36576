/** DetachScanner: the detach-key sequence across chunks, held-back partial matches, no copy for plain input. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DetachScanner, parseDetachKeys } from '../../src/api/types/detach-keys.ts';

const run = (keys: string, chunks: string[]) => {
  const s = new DetachScanner(parseDetachKeys(keys));
  let out = '';
  for (const c of chunks) {
    const r = s.push(Buffer.from(c, 'latin1'));
    out += r.forward.toString('latin1');
    if (r.detach) return { out, detach: true };
  }
  return { out, detach: false };
};

test('plain input goes through as the same buffer', () => {
  const s = new DetachScanner(parseDetachKeys('ctrl-p,ctrl-q'));
  const chunk = Buffer.alloc(65536, 0x61);
  assert.equal(s.push(chunk).forward, chunk);
});

test('the sequence detaches, also split across chunks; what came before it goes through', () => {
  assert.deepEqual(run('ctrl-p,ctrl-q', ['ab\x10\x11cd']), { out: 'ab', detach: true });
  assert.deepEqual(run('ctrl-p,ctrl-q', ['ab\x10', '\x11cd']), { out: 'ab', detach: true });
  assert.deepEqual(run('a,b,c', ['xa', 'b', 'cy']), { out: 'x', detach: true });
});

test('a partial match is held back, then released when the sequence breaks', () => {
  assert.deepEqual(run('ctrl-p,ctrl-q', ['ab\x10']), { out: 'ab', detach: false });
  assert.deepEqual(run('ctrl-p,ctrl-q', ['ab\x10', 'x']), { out: 'ab\x10x', detach: false });
  assert.deepEqual(run('ctrl-p,ctrl-q', ['\x10\x10\x11']), { out: '\x10', detach: true });
  assert.deepEqual(run('a,b,c', ['aba', 'bd']), { out: 'ababd', detach: false });
});
