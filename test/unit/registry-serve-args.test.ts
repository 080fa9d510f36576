/** `wharf registry serve` argument parsing. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRegistryArgs } from '../../src/registry/server/index.ts';

describe('registry serve arguments', () => {
  it('parses --addr, --root, --htpasswd and defaults', () => {
    assert.deepEqual(parseRegistryArgs(['serve', '--addr', '127.0.0.1:5000', '--root', '/r', '--htpasswd=/h']), {
      host: '127.0.0.1',
      port: 5000,
      root: '/r',
      htpasswd: '/h',
      realm: 'wharf-registry',
      publicSearch: false,
      logLevel: 'info',
    });
    assert.equal(parseRegistryArgs(['--root', '/r', '--addr', ':5001']).host, '0.0.0.0');
    assert.equal(parseRegistryArgs(['--root', '/r', '--addr', '[::1]:5001']).host, '::1');
    assert.equal(parseRegistryArgs(['--root', '/r', '--public-search']).publicSearch, true);
  });
  it('refuses bad input with a 400-class error', () => {
    assert.throws(() => parseRegistryArgs(['--addr', '127.0.0.1:5000']), /--root is required/);
    assert.throws(() => parseRegistryArgs(['--root', '/r', '--addr', 'nope']), /invalid --addr/);
    assert.throws(() => parseRegistryArgs(['--root', '/r', '--bogus']), /unknown flag: --bogus/);
    assert.throws(() => parseRegistryArgs(['--root']), (e: Error & { status?: number }) => e.status === 400);
  });
});
