/**
 * Bounded retries with full jitter (sleep uniform in [0, min(cap, base·2^attempt)]) for reads of peers'
 * buckets: transient failures (unreachable, timeout, 5xx) are retried a few times, everything else
 * (not found, denied, bad reply) fails at once. Randomness is injected so tests are reproducible.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import { StoreError } from '../backends/backend.js';

/** How {@link withRetries} retries. */
export interface RetryPolicy {
  /** Total attempts, ≥ 1. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Uniform in [0, 1); defaults to Math.random. */
  readonly random?: () => number;
}

/** Reasons worth another attempt: the peer may answer next time. */
const RETRYABLE = new Set(['PEER_UNREACHABLE', 'PEER_TIMEOUT', 'BACKEND_ERROR']);

/** True for failures worth retrying. */
export function isRetryable(error: unknown): boolean {
  return error instanceof StoreError && error.reason !== undefined && RETRYABLE.has(error.reason);
}

/** Run `fn` up to `policy.attempts` times; stops early on a non-retryable error or an aborted signal. */
export async function withRetries<T>(
  fn: () => Promise<T>,
  policy: RetryPolicy,
  signal?: AbortSignal,
): Promise<T> {
  const random = policy.random ?? Math.random;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt + 1 >= policy.attempts || !isRetryable(error) || signal?.aborted === true) throw error;
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
      await sleep(Math.floor(random() * ceiling), undefined, signal ? { signal } : undefined);
    }
  }
}
