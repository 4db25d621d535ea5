/**
 * Fetch a job's payload through the checkpoint-store: from the run's own store, or from the miner's
 * bucket (the job's committed BucketEndpoint, read-only) when the job names one. An absent object is a
 * result (MISSING), and so is one over `maxPayloadBytes`, refused from its announced size before any of
 * it is buffered; store outages throw.
 */
import { Code, CohortError } from '@cohort/core';
import type { StoreClient } from '@cohort/kit';
import type { BucketEndpoint } from '@cohort/proto/cohort/common/v1/types';

/** What {@link fetchPayload} found. */
export type FetchedPayload =
  | { readonly kind: 'found'; readonly bytes: Uint8Array }
  | { readonly kind: 'missing' }
  | { readonly kind: 'too_large'; readonly sizeBytes: bigint };

/** Fetch `key` (see the module comment). */
export async function fetchPayload(
  store: StoreClient,
  key: string,
  bucket: BucketEndpoint | undefined,
  maxBytes: number,
  signal: AbortSignal,
): Promise<FetchedPayload> {
  const peer = bucket !== undefined && bucket.endpoint !== '' ? { bucket: { peer: bucket } } : {};
  let bytes: Uint8Array | undefined;
  let at = 0;
  try {
    for await (const m of store.raw.get({ key, ...peer }, { signal })) {
      if (m.part.case === 'info') {
        const size = m.part.value.sizeBytes;
        if (size > BigInt(maxBytes)) return { kind: 'too_large', sizeBytes: size };
        bytes = new Uint8Array(Number(size));
      } else if (m.part.case === 'chunk') {
        if (bytes === undefined || at + m.part.value.length > bytes.length) {
          throw new CohortError(Code.DataLoss, `the store streamed more of ${key} than it announced`, {
            reason: 'SIZE_MISMATCH',
          });
        }
        bytes.set(m.part.value, at);
        at += m.part.value.length;
      }
    }
  } catch (error) {
    if (error instanceof CohortError && error.code === Code.NotFound) return { kind: 'missing' };
    throw error;
  }
  if (bytes === undefined || at !== bytes.length) {
    throw new CohortError(Code.DataLoss, `the store's stream of ${key} ended early`, {
      reason: 'SIZE_MISMATCH',
    });
  }
  return { kind: 'found', bytes };
}
