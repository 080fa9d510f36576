/**
 * API-version shaping and stream framing happen only at the HTTP edge (issue #17), and there
 * is one stdcopy framer/demuxer (api/types/stdcopy.ts) and one detach-key parser/scanner
 * (api/types/detach-keys.ts), shared by the engine, the routers and the CLI. Read from the
 * sources, as test/architecture.test.ts reads imports.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO } from '../helpers/daemon.ts';

const SRC = path.join(REPO, 'src');

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The code of a file without its comments (good enough for these identifiers). */
function code(file: string): string {
  return fs.readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

const rel = (f: string) => path.relative(SRC, f).split(path.sep).join('/');
const files = (room: string) => walk(path.join(SRC, room));

function offenders(rooms: string[], re: RegExp, except: string[] = []): string[] {
  return rooms.flatMap(files).filter((f) => !except.includes(rel(f)) && re.test(code(f))).map(rel);
}

test('the engine takes no API version: the routers shape answers by version', () => {
  assert.deepEqual(offenders(['engine'], /\bapiVersion\b|\bcompareVersions\b/), []);
});

test('stdcopy frames are built only at the HTTP edge and read only by the one demuxer', () => {
  // The engine hands out (stream, bytes); routers/containers/output.ts frames them.
  assert.deepEqual(offenders(['engine', 'cli', 'client'], /\bframe(Runs)?\s*\(/), []);
  assert.deepEqual(offenders(['engine', 'cli', 'client', 'api/routers'], /\b(read|write)UInt32BE\b/i), []);
  assert.deepEqual(offenders(['engine', 'cli', 'client', 'api', 'cri'], /\bclass\s+\w*Demux/, ['api/types/stdcopy.ts']), []);
});

test('one detach-key parser and scanner', () => {
  assert.deepEqual(offenders(['engine', 'cli', 'client', 'api', 'cri'], /\b(function|class)\s+\w*Detach(Keys?|Scanner)\b/, ['api/types/detach-keys.ts']), []);
});
