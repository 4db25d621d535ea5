/** The block rate-limit judgement (pure: no chain). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CohortError, Code } from '@cohort/core';
import { checkBlockRateLimit } from './rate-limit.js';

const refused = (reason: string, nextAllowedBlock: number) => (e: unknown) =>
  e instanceof CohortError &&
  e.code === Code.ResourceExhausted &&
  e.reason === reason &&
  e.details['nextAllowedBlock'] === nextAllowedBlock;

describe('checkBlockRateLimit', () => {
  test('refuses until `limit` blocks have passed, naming the next allowed block', () => {
    assert.throws(
      () => checkBlockRateLimit({ last: 100, limit: 10, next: 109 }, 'WEIGHTS_RATE_LIMITED', 'weights'),
      refused('WEIGHTS_RATE_LIMITED', 110),
    );
    // Exactly `limit` blocks later is allowed (subtensor: current - last >= limit).
    checkBlockRateLimit({ last: 100, limit: 10, next: 110 }, 'WEIGHTS_RATE_LIMITED', 'weights');
    checkBlockRateLimit({ last: 100, limit: 10, next: 250 }, 'WEIGHTS_RATE_LIMITED', 'weights');
  });

  test('never taken (last 0) or no limit: allowed', () => {
    checkBlockRateLimit({ last: 0, limit: 1000, next: 5 }, 'R', 'x');
    checkBlockRateLimit({ last: 100, limit: 0, next: 100 }, 'R', 'x');
  });
});
