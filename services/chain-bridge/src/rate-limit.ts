/**
 * The block-count rate limits the bridge can see before submitting (weights, commitments): an action last
 * taken at block `last` may happen again once `limit` blocks have passed. The extrinsic would land in the
 * next block, so that is the block judged. Answered as RESOURCE_EXHAUSTED with the next allowed block.
 * The chain reads that feed it go through `timedRead` at the caller; the judgement itself is pure.
 */
import type { ApiPromise } from '@polkadot/api';
import { CohortError, Code } from '@cohort/core';

/** What one rate-limit judgement needs, all in blocks. */
export interface BlockRateLimit {
  /** Block the action was last taken at; 0 when never. */
  readonly last: number;
  /** Blocks that must pass between two actions; 0 or less: no limit. */
  readonly limit: number;
  /** Block an extrinsic submitted now would land in (the head plus one). */
  readonly next: number;
}

/** The block after the head: where an extrinsic submitted now lands (a chain read; time it at the caller). */
export async function nextBlockNumber(api: ApiPromise): Promise<number> {
  return (await api.rpc.chain.getHeader()).number.toNumber() + 1;
}

/** Throw `reason` (RESOURCE_EXHAUSTED, with the next allowed block) when the action may not happen at `next`. */
export function checkBlockRateLimit(window: BlockRateLimit, reason: string, what: string): void {
  const { last, limit, next } = window;
  if (last === 0 || limit <= 0) return;
  if (next - last < limit) {
    throw new CohortError(
      Code.ResourceExhausted,
      `${what} at block ${last}; the next is allowed at ${last + limit}`,
      {
        reason,
        details: { lastBlock: last, nextAllowedBlock: last + limit, rateLimit: limit },
      },
    );
  }
}
