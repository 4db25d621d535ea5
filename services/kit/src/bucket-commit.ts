/**
 * Commit this operator's bucket on chain at start (protocol §7), through its chain-bridge, which signs
 * with the operator's hotkey and skips the extrinsic when the chain already holds the same bytes — so a
 * restart costs nothing. Retried with back-off in the background until the chain accepts it or the
 * service stops; the caller never waits for it. Every role's bucket is read by others (ADR 0024): the
 * chain-bridge commits at start when configured (any role), the miner's coordinator when it is given the
 * bucket (the devnet).
 */
import { CohortError, encodeBucketCommitment } from '@cohort/core';
import type { BucketCommitment } from '@cohort/core';
import { ExtrinsicOutcome_Status } from '@cohort/proto/cohort/chain/v1/chain_bridge';
import type { ChainBridgeService } from '@cohort/proto/cohort/chain/v1/chain_bridge';

import type { ServiceClient } from './grpc/types.js';
import type { Logger } from './log.js';

/** What {@link commitBucket} calls: a chain-bridge client, or the bridge's own implementation. */
export type CommitmentSetter = Pick<ServiceClient<typeof ChainBridgeService>, 'setCommitment'>;

/** Commit `bucket` for `netuid`; resolves with the final status name, or `STOPPED`. */
export async function commitBucket(
  bridge: CommitmentSetter,
  netuid: number,
  bucket: BucketCommitment,
  log: Logger,
  signal: AbortSignal,
  retryMs = 5000,
): Promise<string> {
  // Refuse a commitment the chain could not hold before any call (a clear config error, once).
  encodeBucketCommitment(bucket);
  for (let attempt = 1; !signal.aborted; attempt++) {
    try {
      const { outcome } = await bridge.setCommitment({ netuid, bucket }, { signal });
      const status = ExtrinsicOutcome_Status[outcome?.status ?? ExtrinsicOutcome_Status.UNSPECIFIED];
      if (
        outcome?.status === ExtrinsicOutcome_Status.INCLUDED ||
        outcome?.status === ExtrinsicOutcome_Status.SKIPPED
      ) {
        log.info('bucket_committed', { status, block: Number(outcome.block), endpoint: bucket.endpoint });
        return status;
      }
      log.warn('bucket_commit_failed', {
        attempt,
        status,
        error: outcome?.errorName,
        detail: outcome?.detail,
      });
    } catch (error) {
      if (signal.aborted) break;
      log.warn('bucket_commit_failed', {
        attempt,
        reason: error instanceof CohortError ? error.reason : undefined,
        error: String(error),
      });
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, Math.min(retryMs * attempt, 60_000));
      signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
    });
  }
  return 'STOPPED';
}
