/**
 * The operator's bucket commitment: encode the endpoint and read-only credentials compactly (core's
 * bucket-commitment format), skip the extrinsic when the chain already holds exactly these bytes, respect
 * the pallet's rate limit, and put the bytes in the one `Data::Raw` field `set_commitment` allows.
 * Its chain reads go through `timedRead`, so a chain that stops answering fails the call with
 * DEADLINE_EXCEEDED / CHAIN_TIMEOUT instead of hanging it.
 */
import { u8aEq, u8aToHex } from '@polkadot/util';
import { encodeBucketCommitment } from '@cohort/core';
import type { BucketCommitment } from '@cohort/core';
import { readOwnCommitment } from './chain-reads.js';
import type { Outcome, Submitter } from './extrinsics.js';
import { checkBlockRateLimit, nextBlockNumber } from './rate-limit.js';
import type { BlockRateLimit } from './rate-limit.js';
import { storageItem, txCall } from './runtime-access.js';
import { timedRead } from './timed-read.js';
import type { ReadDeps } from './timed-read.js';

/** Commit `bucket` for the submitter's hotkey on `netuid` (a no-op outcome `skipped` when unchanged). */
export async function setBucketCommitment(
  deps: ReadDeps,
  submitter: Submitter,
  netuid: number,
  bucket: BucketCommitment,
): Promise<Outcome> {
  const bytes = encodeBucketCommitment(bucket);
  const hotkey = submitter.address;
  const current = await timedRead(deps, 'own_commitment', (api) => readOwnCommitment(api, netuid, hotkey));
  if (current !== undefined && u8aEq(current, bytes)) {
    return { status: 'skipped', detail: 'the chain already holds this commitment' };
  }
  const window = await timedRead(deps, 'commitment_rate_limit', async (api): Promise<BlockRateLimit> => {
    const limitConst = api.consts['commitments']?.['rateLimit'];
    const last = (await storageItem(api, 'commitments', 'lastCommitment')(netuid, hotkey)).toString();
    return {
      limit: limitConst === undefined ? 0 : Number(limitConst.toString()),
      last: Number(last || 0),
      next: await nextBlockNumber(api),
    };
  });
  checkBlockRateLimit(window, 'COMMITMENT_RATE_LIMITED', 'committed');
  return submitter.submit('set_commitment', (a) =>
    txCall(
      a,
      'commitments',
      'setCommitment',
    )(netuid, { fields: [{ [`Raw${bytes.length}`]: u8aToHex(bytes) }] }),
  );
}
