/**
 * The AggregatorService implementation over what this aggregator published: GetStatus (newest aggregate
 * and checkpoint windows) and GetAggregate (where `A_w` is, its size and hash, and its contributors by
 * SS58 hotkey and update digest), answered from memory, or from the store for aggregates older than
 * this process. VerifyAggregate (re-derive `A_w` from the payloads and compare bit for bit) belongs to
 * the full aggregator and answers FAILED_PRECONDITION with reason NOT_IMPLEMENTED until then.
 */
import { Code, CohortError, InvalidArgumentError, aggregateKey } from '@cohort/core';
import type { ServiceImpl, StoreClient } from '@cohort/kit';
import type { AggregatorService } from '@cohort/proto/cohort/aggregator/v1/aggregator';

import { aggregateContributors } from './aggregate-contributors.js';
import type { AggregateRecord, Published } from './published.js';

/** What the handlers read; `store` is absent while the aggregator is idle (no hotkey). */
export interface ServerDeps {
  readonly runId: string;
  readonly published: Published;
  readonly store: StoreClient | undefined;
}

function windowOf(window: bigint): number {
  if (window > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new InvalidArgumentError(`window ${window} is beyond the storage layout's range`, {
      reason: 'BAD_WINDOW',
    });
  }
  return Number(window);
}

async function fromStore(deps: ServerDeps, window: number): Promise<AggregateRecord | undefined> {
  if (deps.store === undefined) return undefined;
  const key = aggregateKey(deps.runId, window);
  const stored = await deps.store.get(key);
  if (stored === undefined) return undefined;
  return {
    window,
    key,
    sizeBytes: stored.bytes.length,
    blake2b256: stored.info.blake2b256,
    contributors: aggregateContributors(stored.bytes) ?? [],
  };
}

/** Every AggregatorService RPC, bound to `deps`. */
export function createAggregatorImpl(deps: ServerDeps): ServiceImpl<typeof AggregatorService> {
  const { published } = deps;
  return {
    getStatus: () =>
      Promise.resolve({
        lastAggregatedWindow: BigInt(published.lastAggregatedWindow),
        lastCheckpointWindow: BigInt(published.lastCheckpointWindow),
      }),
    getAggregate: async (request) => {
      const window = windowOf(request.window);
      const record = published.record(window) ?? (await fromStore(deps, window));
      if (record === undefined) {
        throw new CohortError(Code.NotFound, `no aggregate of window ${window} is published`, {
          reason: 'AGGREGATE_NOT_FOUND',
          details: { window },
        });
      }
      return {
        window: request.window,
        key: record.key,
        sizeBytes: BigInt(record.sizeBytes),
        blake2b256: record.blake2b256,
        // uid: the selection by uid is the validator's (coordinator); this aggregator knows hotkeys only.
        contributors: record.contributors.map((c) => ({
          hotkey: c.hotkey,
          payloadBlake2b256: c.payloadBlake2b256,
        })),
      };
    },
    // The full aggregator (its own issue) re-derives A_w from the payloads; this minimal one does not.
    verifyAggregate: () =>
      Promise.reject(
        new CohortError(
          Code.FailedPrecondition,
          'VerifyAggregate is not implemented by the minimal aggregator',
          {
            reason: 'NOT_IMPLEMENTED',
          },
        ),
      ),
  };
}
