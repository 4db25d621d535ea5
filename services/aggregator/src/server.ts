/**
 * The AggregatorService implementation over what this aggregator published: GetStatus (newest aggregate
 * and checkpoint windows) and GetAggregate (where `A_w` is, its size and hash, and its contributors by
 * SS58 hotkey and update digest), answered from memory, or from the store for aggregates older than
 * this process. VerifyAggregate re-derives a published `A_w` from the payloads it names and compares it
 * bit for bit (@cohort/replica's verifyAggregate, with this aggregator as the trusted signer and, when
 * it follows a validator, that validator's selection); an idle aggregator (no hotkey, no store) answers
 * FAILED_PRECONDITION.
 */
import { Code, CohortError, InvalidArgumentError, aggregateKey } from '@cohort/core';
import type { AggregateTrust } from '@cohort/core';
import { verifyAggregate } from '@cohort/replica';
import { fetchSelection } from '@cohort/kit';
import type { ServiceImpl, StoreClient } from '@cohort/kit';
import type { AggregatorService } from '@cohort/proto/cohort/aggregator/v1/aggregator';

import { aggregateContributors } from './aggregate-contributors.js';
import type { AggregateRecord, Published } from './published.js';

/** What the handlers read; `store` is absent while the aggregator is idle (no hotkey). */
export interface ServerDeps {
  readonly runId: string;
  readonly published: Published;
  readonly store: StoreClient | undefined;
  /** Whose aggregates and selections VerifyAggregate trusts (this aggregator; its validator). */
  readonly trust?: AggregateTrust;
  /**
   * Largest objects read from the store: aggregates (GetAggregate, VerifyAggregate) and payloads
   * (VerifyAggregate, which re-derives with the aggregation's own limit). Absent: the store client's.
   */
  readonly limits?: { readonly maxUpdateBytes: number; readonly maxAggregateBytes: number };
}

function windowOf(window: bigint): number {
  if (window > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new InvalidArgumentError(`window ${window} is beyond the storage layout's range`, {
      reason: 'BAD_WINDOW',
    });
  }
  return Number(window);
}

async function fromStore(
  deps: ServerDeps,
  window: number,
  signal: AbortSignal,
): Promise<AggregateRecord | undefined> {
  if (deps.store === undefined) return undefined;
  const key = aggregateKey(deps.runId, window);
  const stored = await deps.store.get(key, {
    signal,
    ...(deps.limits ? { maxBytes: deps.limits.maxAggregateBytes } : {}),
  });
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
    getAggregate: async (request, ctx) => {
      const window = windowOf(request.window);
      const record = published.record(window) ?? (await fromStore(deps, window, ctx.signal));
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
    verifyAggregate: async (request, ctx) => {
      const window = windowOf(request.window);
      const { store } = deps;
      if (store === undefined) {
        throw new CohortError(Code.FailedPrecondition, 'an idle aggregator has no store to verify from', {
          reason: 'AGGREGATOR_IDLE',
        });
      }
      const trust = deps.trust ?? {};
      const selection =
        trust.selectionValidator === undefined
          ? undefined
          : await fetchSelection(store, deps.runId, window, ctx.signal);
      const source = { runId: deps.runId, store, signal: ctx.signal, ...deps.limits };
      const outcome = await verifyAggregate(source, window, {
        trust,
        ...(selection ? { selection } : {}),
      });
      return { matches: outcome.matches, reasonCode: outcome.reason ?? '', detail: outcome.detail };
    },
  };
}
