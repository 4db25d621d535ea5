/**
 * The operator's bucket commitment: encode the endpoint and read-only credentials compactly (core's
 * bucket-commitment format), skip the extrinsic when the chain already holds exactly these bytes, respect
 * the pallet's rate limit, and put the bytes in the one `Data::Raw` field `set_commitment` allows.
 */
import type { ApiPromise } from '@polkadot/api';
import { u8aEq, u8aToHex } from '@polkadot/util';
import { encodeBucketCommitment } from '@cohort/core';
import type { BucketCommitment } from '@cohort/core';
import { readOwnCommitment } from './chain-reads.js';
import type { ExtrinsicSubmitter, Outcome } from './extrinsics.js';
import { checkBlockRateLimit } from './rate-limit.js';
import { storageItem, txCall } from './runtime-access.js';

async function checkRateLimit(api: ApiPromise, netuid: number, hotkey: string): Promise<void> {
  const limitConst = api.consts['commitments']?.['rateLimit'];
  const limit = limitConst === undefined ? 0 : Number(limitConst.toString());
  const last = Number(
    (await storageItem(api, 'commitments', 'lastCommitment')(netuid, hotkey)).toString() || 0,
  );
  await checkBlockRateLimit(api, last, limit, 'COMMITMENT_RATE_LIMITED', 'committed');
}

/** Commit `bucket` for the submitter's hotkey on `netuid` (a no-op outcome `skipped` when unchanged). */
export async function setBucketCommitment(
  api: ApiPromise,
  submitter: ExtrinsicSubmitter,
  netuid: number,
  bucket: BucketCommitment,
): Promise<Outcome> {
  const bytes = encodeBucketCommitment(bucket);
  const current = await readOwnCommitment(api, netuid, submitter.address);
  if (current !== undefined && u8aEq(current, bytes)) {
    return { status: 'skipped', detail: 'the chain already holds this commitment' };
  }
  await checkRateLimit(api, netuid, submitter.address);
  return submitter.submit('set_commitment', (a) =>
    txCall(
      a,
      'commitments',
      'setCommitment',
    )(netuid, { fields: [{ [`Raw${bytes.length}`]: u8aToHex(bytes) }] }),
  );
}
