/**
 * Typed access to a runtime's calls and storage by name. polkadot.js decorates `api.tx` and `api.query`
 * from the chain's metadata, but its static types describe Polkadot, not subtensor, so every lookup here
 * checks that the runtime really has the item and fails with its name when it does not.
 */
import type { ApiPromise } from '@polkadot/api';
import type { QueryableStorageEntry, SubmittableExtrinsicFunction } from '@polkadot/api/types';
import { u8aConcat } from '@polkadot/util';
import { xxhashAsU8a } from '@polkadot/util-crypto';
import { CohortError, Code } from '@cohort/core';

/** `api.tx.<pallet>.<call>`, or a `RUNTIME_CALL_MISSING` error naming it. */
export function txCall(
  api: ApiPromise,
  pallet: string,
  call: string,
): SubmittableExtrinsicFunction<'promise'> {
  const fn = api.tx[pallet]?.[call];
  if (fn === undefined) {
    throw new CohortError(Code.Unimplemented, `the chain's runtime has no call ${pallet}.${call}`, {
      reason: 'RUNTIME_CALL_MISSING',
      details: { pallet, call },
    });
  }
  return fn;
}

/** `api.query.<pallet>.<item>`, or a `RUNTIME_STORAGE_MISSING` error naming it. */
export function storageItem(api: ApiPromise, pallet: string, item: string): QueryableStorageEntry<'promise'> {
  const entry = api.query[pallet]?.[item];
  if (entry === undefined) {
    throw new CohortError(Code.Unimplemented, `the chain's runtime has no storage ${pallet}.${item}`, {
      reason: 'RUNTIME_STORAGE_MISSING',
      details: { pallet, item },
    });
  }
  return entry;
}

/** twox128(pallet) ++ twox128(item): the raw key of a plain storage value (for reads at a block hash). */
export function plainStorageKey(pallet: string, item: string): Uint8Array {
  return u8aConcat(xxhashAsU8a(pallet, 128), xxhashAsU8a(item, 128));
}
