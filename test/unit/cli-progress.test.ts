import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonMessageError, ProgressRenderer } from '../../src/cli/progress.ts';
import { progressBar } from '../../src/api/types/json-progress.ts';

function render(terminal: boolean, msgs: object[]): string {
  let out = '';
  const r = new ProgressRenderer((s) => { out += s; }, terminal, 120);
  for (const m of msgs) r.render(m);
  return out;
}

const PULL = [
  { status: 'Pulling from library/busybox', id: 'latest' },
  { status: 'Pulling fs layer', progressDetail: {}, id: 'abc' },
  { status: 'Downloading', progressDetail: { current: 500, total: 1000 }, progress: '[==>  ]', id: 'abc' },
  { status: 'Download complete', progressDetail: {}, id: 'abc' },
  { status: 'Digest: sha256:123' },
  { status: 'Status: Downloaded newer image for busybox:latest' },
];

test('plain output: status lines, progress updates left out', () => {
  assert.equal(render(false, PULL), 'latest: Pulling from library/busybox\nabc: Pulling fs layer\nabc: Download complete\nDigest: sha256:123\nStatus: Downloaded newer image for busybox:latest\n');
});

test('terminal output: per-id lines redrawn with cursor movement and a bar', () => {
  const out = render(true, PULL);
  assert.ok(out.includes('\x1b[1A'));
  assert.ok(out.includes('\x1b[2K\rabc: Downloading [=========================>                         ]     500B/1kB\r'));
  assert.ok(out.endsWith('Status: Downloaded newer image for busybox:latest\n'));
});

test('stream messages print as is; errors throw', () => {
  assert.equal(render(false, [{ stream: 'Step 1/2 : FROM busybox\n' }, { stream: ' ---> abc\n' }]), 'Step 1/2 : FROM busybox\n ---> abc\n');
  assert.throws(() => render(false, [{ errorDetail: { message: 'boom' }, error: 'boom' }]), (e: unknown) => e instanceof JsonMessageError && e.message === 'boom');
});

test('progress bar', () => {
  assert.equal(progressBar(0, 0), '');
  assert.equal(progressBar(1000, 1000, 80), '     1kB/1kB');
  assert.equal(progressBar(2_000_000, 0), '     2MB');
  assert.equal(progressBar(1_234_567, 45_670_000, 80), ' 1.235MB/45.67MB', 'go-units HumanSize: 4 significant digits');
  assert.equal(progressBar(300, 200, 120), `[${'='.repeat(50)}>] ` + '    300B', 'a current above the total shows alone, the box full');
  assert.equal(progressBar(0, undefined), '');
});
