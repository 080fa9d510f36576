import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeHealthcheck, probeCommand } from '../../src/engine/containers/health.ts';
import { goDuration } from '../../src/common/human.ts';
import { statusText, freshState } from '../../src/engine/containers/record.ts';

test('Go duration strings, as "Health check exceeded timeout (…)" prints them', () => {
  assert.equal(goDuration(400e6), '400ms');
  assert.equal(goDuration(1e9), '1s');
  assert.equal(goDuration(1.5e9), '1.5s');
  assert.equal(goDuration(30e9), '30s');
  assert.equal(goDuration(90e9), '1m30s');
  assert.equal(goDuration(3600e9), '1h0m0s');
  assert.equal(goDuration(1.5e6), '1.5ms');
  assert.equal(goDuration(1500), '1.5µs');
});

test('probe argv: CMD as is, CMD-SHELL through the shell, NONE/empty/unknown none', () => {
  assert.deepEqual(probeCommand({ Test: ['CMD', 'test', '-e', '/x'] }, undefined), ['test', '-e', '/x']);
  assert.deepEqual(probeCommand({ Test: ['CMD-SHELL', 'echo hi'] }, null), ['/bin/sh', '-c', 'echo hi']);
  assert.deepEqual(probeCommand({ Test: ['CMD-SHELL', 'echo hi'] }, ['/bin/bash', '-xc']), ['/bin/bash', '-xc', 'echo hi']);
  assert.equal(probeCommand({ Test: ['NONE'] }, undefined), undefined);
  assert.equal(probeCommand({ Test: [] }, undefined), undefined);
  assert.equal(probeCommand({ Test: ['BOGUS', 'x'] }, undefined), undefined);
  assert.equal(probeCommand(undefined, undefined), undefined);
});

test('merge with the image: container fields win, zero ones come from the image', () => {
  const img = { Test: ['CMD', 'a'], Interval: 5, Timeout: 6, StartPeriod: 7, Retries: 8 };
  assert.deepEqual(mergeHealthcheck(undefined, img), img);
  assert.deepEqual(mergeHealthcheck({ Interval: 1 }, img), { Test: ['CMD', 'a'], Interval: 1, Timeout: 6, StartPeriod: 7, Retries: 8 });
  assert.deepEqual(mergeHealthcheck({ Test: ['NONE'] }, img), { Test: ['NONE'], Interval: 5, Timeout: 6, StartPeriod: 7, Retries: 8 });
  assert.equal(mergeHealthcheck(undefined, undefined), undefined);
});

test('ps status text carries the health', () => {
  const now = Date.parse('2026-01-01T00:00:10Z');
  const s = { ...freshState(), Status: 'running' as const, Running: true, StartedAt: '2026-01-01T00:00:05Z' };
  const human = (ms: number) => `${Math.round(ms / 1000)} seconds`;
  assert.equal(statusText(s, human, now), 'Up 5 seconds');
  assert.equal(statusText({ ...s, Health: { Status: 'starting', FailingStreak: 0, Log: [] } }, human, now), 'Up 5 seconds (health: starting)');
  assert.equal(statusText({ ...s, Health: { Status: 'healthy', FailingStreak: 0, Log: [] } }, human, now), 'Up 5 seconds (healthy)');
  assert.equal(statusText({ ...s, Health: { Status: 'unhealthy', FailingStreak: 3, Log: [] } }, human, now), 'Up 5 seconds (unhealthy)');
  assert.equal(statusText({ ...s, Paused: true, Status: 'paused', Health: { Status: 'unhealthy', FailingStreak: 3, Log: [] } }, human, now), 'Up 5 seconds (Paused)');
});
