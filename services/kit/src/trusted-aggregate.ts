/**
 * Fetch window s's aggregate the way every replica does before applying it (protocol §6): the object
 * from `aggregates/<s>`, checked by core's `checkAggregate` against the run, the window, θ_s when known,
 * the trusted aggregator, and — when the trust names a validator and it published `selections/<s>` —
 * that selection. Shared by the miner's coordinator (wait and resync), the evaluator's replica and the
 * test followers, so no replica applies an aggregate another would refuse. The trust comes from the
 * services' `aggregatorHotkey` and `trustedValidator` keys (config/common-fields.ts).
 */
import {
  AggregateRefused,
  aggregateKey,
  checkAggregate,
  decodeSs58,
  parseSelection,
  selectionKey,
} from '@cohort/core';
import type { AggregateEnvelope, AggregateTrust, Selection } from '@cohort/core';

import { ConfigError } from './config/config-error.js';
import { envName } from './config/spec.js';
import type { StoreClient } from './store-client.js';

/** The trust of {@link aggregateTrustFields}' keys; a bad address is a ConfigError naming the key. */
export function aggregateTrustOf(config: {
  readonly aggregatorHotkey: string;
  readonly trustedValidator: string;
}): AggregateTrust {
  const check = (key: 'aggregatorHotkey' | 'trustedValidator'): string | undefined => {
    const value = config[key];
    if (value === '') return undefined;
    try {
      decodeSs58(value);
    } catch {
      throw new ConfigError(
        `${key} (env ${envName(key)}) is not a valid SS58 address`,
        'CONFIG_INVALID_VALUE',
        key,
        undefined,
      );
    }
    return value;
  };
  const aggregator = check('aggregatorHotkey');
  const validator = check('trustedValidator');
  return {
    ...(aggregator === undefined ? {} : { aggregator }),
    ...(validator === undefined ? {} : { selectionValidator: validator }),
  };
}

/** A fetched aggregate that passed the checks. */
export interface TrustedAggregate {
  readonly bytes: Uint8Array;
  readonly envelope: AggregateEnvelope;
  /** Whether a selection was checked (false: the trust names no validator, or it published none). */
  readonly selectionChecked: boolean;
}

/** What to fetch and how to judge it. */
export interface AggregateFetch {
  readonly store: StoreClient;
  readonly runId: string;
  readonly trust: AggregateTrust;
  readonly signal?: AbortSignal;
}

/**
 * Fetch and check window `window`'s aggregate; undefined while it is not published. Throws
 * {@link AggregateRefused} (reason: one of core's AGGREGATE_REFUSALS) for one no replica may apply — a
 * selection that does not parse counts as untrusted — or the store's error.
 */
export async function fetchTrustedAggregate(
  source: AggregateFetch,
  window: number,
  stateFingerprint?: string,
): Promise<TrustedAggregate | undefined> {
  const opts = source.signal ? { signal: source.signal } : {};
  const stored = await source.store.get(aggregateKey(source.runId, window), opts);
  if (stored === undefined) return undefined;
  let selection: Selection | undefined;
  if (source.trust.selectionValidator !== undefined) {
    const doc = await source.store.get(selectionKey(source.runId, window), opts);
    if (doc !== undefined) {
      try {
        selection = parseSelection(doc.bytes, { runId: source.runId, window });
      } catch (error) {
        throw new AggregateRefused(
          'SELECTION_UNTRUSTED',
          `window ${window}'s selection is unreadable: ${error instanceof Error ? error.message : String(error)}`,
          { window },
        );
      }
    }
  }
  const envelope = checkAggregate(
    stored.bytes,
    { runId: source.runId, window, ...(stateFingerprint === undefined ? {} : { stateFingerprint }) },
    source.trust,
    selection,
  );
  return { bytes: stored.bytes, envelope, selectionChecked: selection !== undefined };
}
