/**
 * The block-count rate limits the bridge can see before submitting (weights, commitments): an action last
 * taken at block `last` may happen again once `limit` blocks have passed. The extrinsic would land in the
 * next block, so that is the block judged. Answered as RESOURCE_EXHAUSTED with the next allowed block.
 */
import type { ApiPromise } from '@polkadot/api';
import { CohortError, Code } from '@cohort/core';

/** Throw `reason` when the action last taken at `last` (0: never) may not happen in the next block. */
export async function checkBlockRateLimit(
  api: ApiPromise,
  last: number,
  limit: number,
  reason: string,
  what: string,
): Promise<void> {
  if (last === 0 || limit <= 0) return;
  const next = (await api.rpc.chain.getHeader()).number.toNumber() + 1;
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
