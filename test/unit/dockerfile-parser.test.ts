/** Dockerfile parser: directives, continuations, comments, flags, JSON form, stages. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerfile, splitStages, parseJsonForm } from '../../src/engine/build/parser.ts';

test('continuations join lines; comments and empty lines inside are dropped', () => {
  const df = parseDockerfile('FROM busybox\n# c\nRUN echo a \\\n# inner\n\n  && echo b\nCMD ["sh", "-c", "x"]\n');
  assert.equal(df.instructions.length, 3);
  assert.equal(df.instructions[1]!.cmd, 'RUN');
  assert.equal(df.instructions[1]!.args, 'echo a   && echo b');
  assert.equal(df.instructions[1]!.line, 3);
  assert.deepEqual(df.instructions[2]!.json, ['sh', '-c', 'x']);
});

test('escape directive switches the continuation character', () => {
  const df = parseDockerfile('# escape=`\nFROM busybox\nRUN dir c:\\ `\n  x\n');
  assert.equal(df.escape, '`');
  assert.equal(df.instructions[1]!.args, 'dir c:\\   x');
});

test('directives only at the top', () => {
  const df = parseDockerfile('FROM busybox\n# escape=`\nRUN a \\\n b\n');
  assert.equal(df.escape, '\\');
  assert.equal(df.instructions[1]!.args, 'a  b');
});

test('keywords are case-insensitive; flags are parsed for COPY/ADD/FROM/RUN', () => {
  const df = parseDockerfile('from --platform=linux/amd64 busybox AS b1\ncopy --from=b1 --chown=1:2 /a /b\n');
  assert.equal(df.instructions[0]!.cmd, 'FROM');
  assert.deepEqual(df.instructions[0]!.flags, { platform: 'linux/amd64' });
  assert.equal(df.instructions[0]!.args, 'busybox AS b1');
  assert.deepEqual(df.instructions[1]!.flags, { from: 'b1', chown: '1:2' });
  assert.equal(df.instructions[1]!.args, '/a /b');
});

test('unknown instruction is a parse error with the line', () => {
  assert.throws(() => parseDockerfile('FROM x\nFOO bar\n'), /Dockerfile parse error line 2: unknown instruction: FOO/);
});

test('JSON form only for string arrays', () => {
  assert.deepEqual(parseJsonForm('["a","b"]'), ['a', 'b']);
  assert.equal(parseJsonForm('[a, b]'), undefined);
  assert.equal(parseJsonForm('[1]'), undefined);
});

test('stages split at FROM; ARG before FROM are meta args', () => {
  const { metaArgs, stages } = splitStages(parseDockerfile('ARG V=1\nFROM a:$V AS x\nRUN a\nFROM b\nCOPY --from=x /a /a\n'));
  assert.equal(metaArgs.length, 1);
  assert.equal(stages.length, 2);
  assert.equal(stages[0]!.length, 2);
  assert.throws(() => splitStages(parseDockerfile('RUN a\n')), /no build stage in current context/);
  assert.throws(() => splitStages(parseDockerfile('# just a comment\n')), /cannot be empty/);
});

test('flags: unknown ones are parse errors, BuildKit-only ones say so', () => {
  assert.throws(() => parseDockerfile('FROM x\nCOPY --bogus=1 a b\n'), /line 2: Unknown flag: bogus/);
  assert.throws(() => parseDockerfile('FROM x\nRUN --mount=type=cache,target=/c true\n'), /the --mount option requires BuildKit/);
  assert.throws(() => parseDockerfile('FROM x\nCOPY --chmod=755 a b\n'), /the --chmod option requires BuildKit/);
});
