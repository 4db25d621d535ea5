import assert from 'node:assert/strict';
import { test } from 'node:test';
import { auditSampled } from './audit-sample.js';
import type { AuditSampleInput } from './audit-sample.js';
import { InvalidArgumentError } from './errors.js';

const MINER_A = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
const MINER_B = '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty';
const SALT = new Uint8Array(32).fill(7);
const base: AuditSampleInput = { runId: 'run-1', hotkey: MINER_A, window: 0, rate: 0.1, salt: SALT };
const WINDOWS = Array.from({ length: 10_000 }, (_, w) => w);
const sampledWindows = (input: Partial<AuditSampleInput>): number[] =>
  WINDOWS.filter((window) => auditSampled({ ...base, ...input, window }));

test('rate 0 never audits, rate 1 always does', () => {
  assert.equal(sampledWindows({ rate: 0 }).length, 0);
  assert.equal(sampledWindows({ rate: 1 }).length, WINDOWS.length);
});

test('the audited fraction is near the rate over many windows', () => {
  for (const rate of [0.01, 0.1, 0.5, 0.9]) {
    const fraction = sampledWindows({ rate }).length / WINDOWS.length;
    // 10 000 Bernoulli draws: four standard deviations of the binomial.
    const tolerance = 4 * Math.sqrt((rate * (1 - rate)) / WINDOWS.length);
    assert.ok(Math.abs(fraction - rate) < tolerance, `rate ${rate}: audited ${fraction}`);
  }
});

test('deterministic: the same inputs always give the same schedule', () => {
  assert.deepEqual(sampledWindows({}), sampledWindows({}));
  assert.deepEqual(sampledWindows({ salt: Uint8Array.from(SALT) }), sampledWindows({}));
});

test('miners, runs and salts audit different windows; a larger rate audits a superset', () => {
  const a = sampledWindows({});
  for (const other of [
    sampledWindows({ hotkey: MINER_B }),
    sampledWindows({ runId: 'run-2' }),
    sampledWindows({ salt: new Uint8Array(32).fill(8) }),
    sampledWindows({ salt: new Uint8Array(0) }),
  ]) {
    const shared = other.filter((w) => a.includes(w)).length;
    // Independent 10% schedules share about 1% of the windows, not 10%.
    assert.ok(shared < 0.03 * WINDOWS.length, `shared ${shared} of ${a.length}`);
  }
  const wider = new Set(sampledWindows({ rate: 0.5 }));
  assert.ok(a.every((w) => wider.has(w)));
});

test('a rate outside [0, 1] or a bad window is an InvalidArgumentError', () => {
  for (const rate of [-0.1, 1.5, Number.NaN]) {
    assert.throws(() => auditSampled({ ...base, rate }), InvalidArgumentError);
  }
  for (const window of [-1, 1.5]) {
    assert.throws(() => auditSampled({ ...base, window }), InvalidArgumentError);
  }
});
