import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  familiarName, familiarString, isValidTag, normalizeTagged, parse, parseAnyReference, parseNormalizedNamed,
  parseRepoTag, referenceString, repoName, splitDockerDomain, validateDigest,
} from '../../src/common/reference.ts';

const HEX = 'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff';

test('parse: valid references (distribution/reference table)', () => {
  const rows: [string, string, string, string | undefined, string | undefined][] = [
    // input, domain, path, tag, digest
    ['test_com', '', 'test_com', undefined, undefined],
    ['test.com:tag', '', 'test.com', 'tag', undefined],
    ['test.com:5000', '', 'test.com', '5000', undefined],
    ['test.com/repo:tag', 'test.com', 'repo', 'tag', undefined],
    ['test:5000/repo', 'test:5000', 'repo', undefined, undefined],
    ['test:5000/repo:tag', 'test:5000', 'repo', 'tag', undefined],
    [`test:5000/repo@sha256:${HEX}`, 'test:5000', 'repo', undefined, `sha256:${HEX}`],
    [`test:5000/repo:tag@sha256:${HEX}`, 'test:5000', 'repo', 'tag', `sha256:${HEX}`],
    ['lowercase:Uppercase', '', 'lowercase', 'Uppercase', undefined],
    ['sub-dom1.foo.com/bar/baz/quux', 'sub-dom1.foo.com', 'bar/baz/quux', undefined, undefined],
    ['sub-dom1.foo.com/bar/baz/quux:some-long-tag', 'sub-dom1.foo.com', 'bar/baz/quux', 'some-long-tag', undefined],
    ['b.gcr.io/test.example.com/my-app:test.example.com', 'b.gcr.io', 'test.example.com/my-app', 'test.example.com', undefined],
    ['xn--n3h.com/myimage:xn--n3h.com', 'xn--n3h.com', 'myimage', 'xn--n3h.com', undefined],
    ['foo_bar.com:8080', '', 'foo_bar.com', '8080', undefined],
    ['foo/foo_bar.com:8080', 'foo', 'foo_bar.com', '8080', undefined],
    ['[2001:db8::1]:5000/repo', '[2001:db8::1]:5000', 'repo', undefined, undefined],
    ['[2001:db8::1]/repo:tag', '[2001:db8::1]', 'repo', 'tag', undefined],
    ['192.168.1.1:5000/a/b:t', '192.168.1.1:5000', 'a/b', 't', undefined],
    ['a__b/c---d', '', 'a__b/c---d', undefined, undefined],
  ];
  for (const [input, domain, path, tag, digest] of rows) {
    const r = parse(input);
    assert.equal(r.domain, domain, input);
    assert.equal(r.path, path, input);
    assert.equal(r.tag, tag, input);
    assert.equal(r.digest, digest, input);
    assert.equal(referenceString(r), input, input);
  }
});

test('parse: invalid references give docker\'s errors', () => {
  const rows: [string, RegExp][] = [
    ['', /^repository name must have at least one component$/],
    [':justtag', /^invalid reference format$/],
    [`@sha256:${HEX}`, /^invalid reference format$/],
    [`repo@sha256:${HEX.slice(1)}`, /^invalid checksum digest length$/],
    ['validname@invaliddigest:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff', /unsupported digest algorithm/],
    ['Uppercase:tag', /^repository name must be lowercase$/],
    ['test:5000/Uppercase/lowercase:tag', /^repository name must be lowercase$/],
    ['aa/asdf$$^/aa', /^invalid reference format$/],
    ['a/' + 'a'.repeat(254), /^repository name must not be more than 255 characters$/],
    ['repo:' + 'a'.repeat(129), /^invalid reference format$/],
    ['a_-b', /^invalid reference format$/],
    ['-a/b', /^invalid reference format$/],
    ['a/b:', /^invalid reference format$/],
  ];
  for (const [input, re] of rows) {
    assert.throws(() => parse(input), (e: Error & { status?: number }) => re.test(e.message) && e.status === 400, input);
  }
});

test('parseNormalizedNamed: normalises like docker', () => {
  const rows: [string, string, string][] = [
    // input, full name, familiar string
    ['busybox', 'docker.io/library/busybox', 'busybox'],
    ['busybox:latest', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['library/busybox', 'docker.io/library/busybox', 'busybox'],
    ['docker.io/library/busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox:1.36'],
    ['index.docker.io/busybox', 'docker.io/library/busybox', 'busybox'],
    ['dmcgowan/myapp', 'docker.io/dmcgowan/myapp', 'dmcgowan/myapp'],
    ['dmcgowan/myapp/sub', 'docker.io/dmcgowan/myapp/sub', 'dmcgowan/myapp/sub'],
    ['docker.io/library/a/b', 'docker.io/library/a/b', 'library/a/b'],
    ['localhost/x', 'localhost/x', 'localhost/x'],
    ['localhost:5000/x', 'localhost:5000/x', 'localhost:5000/x'],
    ['127.0.0.1:5001/a/b:t', '127.0.0.1:5001/a/b:t', '127.0.0.1:5001/a/b:t'],
    ['gcr.io/project/img@sha256:' + HEX, 'gcr.io/project/img@sha256:' + HEX, 'gcr.io/project/img@sha256:' + HEX],
    ['Docker/x', 'Docker/x', 'Docker/x'],
  ];
  for (const [input, full, fam] of rows) {
    const r = parseNormalizedNamed(input);
    assert.equal(referenceString(r), full, input);
    assert.equal(familiarString(r), fam, input);
  }
  assert.equal(familiarName(parseNormalizedNamed('busybox:1')), 'busybox');
  assert.equal(repoName(parseNormalizedNamed('busybox:1')), 'docker.io/library/busybox');
});

test('parseNormalizedNamed: docker\'s errors', () => {
  assert.throws(() => parseNormalizedNamed('BAD'), { message: 'invalid reference format: repository name (library/BAD) must be lowercase' });
  assert.throws(() => parseNormalizedNamed('user/Repo:tag'), { message: 'invalid reference format: repository name (user/Repo) must be lowercase' });
  assert.throws(() => parseNormalizedNamed(HEX), { message: `invalid repository name (${HEX}), cannot specify 64-byte hexadecimal strings` });
  assert.throws(() => parseNormalizedNamed('a b'), { message: 'invalid reference format' });
  assert.throws(() => parseNormalizedNamed('busybox:'), { message: 'invalid reference format' });
});

test('splitDockerDomain', () => {
  assert.deepEqual(splitDockerDomain('busybox'), { domain: 'docker.io', remainder: 'library/busybox' });
  assert.deepEqual(splitDockerDomain('foo/bar'), { domain: 'docker.io', remainder: 'foo/bar' });
  assert.deepEqual(splitDockerDomain('foo.com/bar'), { domain: 'foo.com', remainder: 'bar' });
  assert.deepEqual(splitDockerDomain('foo:1/bar'), { domain: 'foo:1', remainder: 'bar' });
  assert.deepEqual(splitDockerDomain('Foo/bar'), { domain: 'Foo', remainder: 'bar' });
  assert.deepEqual(splitDockerDomain('index.docker.io/x'), { domain: 'docker.io', remainder: 'library/x' });
});

test('normalizeTagged adds latest only when there is no tag and no digest', () => {
  assert.equal(familiarString(normalizeTagged('busybox')), 'busybox:latest');
  assert.equal(referenceString(normalizeTagged('busybox')), 'docker.io/library/busybox:latest');
  assert.equal(familiarString(normalizeTagged('busybox@sha256:' + HEX)), 'busybox@sha256:' + HEX);
});

test('tags and digests', () => {
  assert.ok(isValidTag('latest'));
  assert.ok(isValidTag('_x.y-z'));
  assert.ok(isValidTag('A'.repeat(128)));
  assert.ok(!isValidTag('A'.repeat(129)));
  assert.ok(!isValidTag('.x'));
  assert.ok(!isValidTag('-x'));
  assert.ok(!isValidTag('a:b'));
  validateDigest('sha256:' + HEX);
  assert.throws(() => validateDigest('sha256:' + HEX.toUpperCase()), { message: 'invalid checksum digest format' });
  assert.throws(() => validateDigest('sha256:abc'), { message: 'invalid checksum digest length' });
  assert.throws(() => validateDigest('nocolon'), { message: 'invalid digest format' });
});

test('parseAnyReference: ids vs names', () => {
  assert.deepEqual(parseAnyReference(HEX), { id: 'sha256:' + HEX });
  assert.deepEqual(parseAnyReference('sha256:' + HEX), { id: 'sha256:' + HEX });
  const r = parseAnyReference('abc123');
  assert.ok('ref' in r && familiarString(r.ref) === 'abc123');
});

test('parseRepoTag: the repo/tag query pair', () => {
  assert.equal(familiarString(parseRepoTag('bb', undefined)), 'bb:latest');
  assert.equal(familiarString(parseRepoTag('bb', 'v1')), 'bb:v1');
  assert.equal(familiarString(parseRepoTag('localhost:5000/a/b', 't')), 'localhost:5000/a/b:t');
  assert.throws(() => parseRepoTag('bb', 'bad:tag'), { message: 'invalid tag format' });
  assert.throws(() => parseRepoTag('bb@sha256:' + HEX, undefined), { message: 'cannot import digest reference' });
  assert.throws(() => parseRepoTag('BB', undefined), { message: 'invalid reference format: repository name (library/BB) must be lowercase' });
});
