/**
 * Fetch window s's aggregate the way every replica does before applying it (protocol §6): the object
 * from `aggregates/<s>`, checked by core's `checkAggregate` against the run, the window, the trusted
 * aggregator, and — when the trust names a validator and it published `selections/<s>` —
 * that selection. Shared by the miner's coordinator (wait and resync), the evaluator's replica and the
 * test followers, so no replica applies an aggregate another would refuse. The trust comes from the
 * services' `aggregatorHotkey` and `trustedValidator` keys (config/common-fields.ts).
 */
import {
  AggregateRefused,
  CohortError,
  MAX_SELECTION_BYTES,
  aggregateKey,
  checkAggregate,
  decodeSs58,
  parseSelection,
  SelectionError,
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
}

/** What to fetch and how to judge it. */
export interface AggregateFetch {
  readonly store: StoreClient;
  readonly runId: string;
  readonly trust: AggregateTrust;
  readonly signal?: AbortSignal;
  /** Largest aggregate accepted (replica's aggregateBytesBound); default: the store client's cap. */
  readonly maxAggregateBytes?: number;
}

/**
 * Window `window`'s selection (`selections/<w>`), parsed against the run and window; undefined when none
 * is published. A document that does not parse throws core's SelectionError (SELECTION_INVALID).
 */
export async function fetchSelection(
  store: StoreClient,
  runId: string,
  window: number,
  signal?: AbortSignal,
): Promise<Selection | undefined> {
  let doc;
  try {
    doc = await store.get(selectionKey(runId, window), {
      maxBytes: MAX_SELECTION_BYTES,
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    // An oversized document is a bad selection, refused before a byte of it is buffered.
    if (error instanceof CohortError && error.reason === 'TOO_LARGE') throw new SelectionError(error.message);
    throw error;
  }
  return doc && parseSelection(doc.bytes, { runId, window });
}

/**
 * Fetch and check window `window`'s aggregate; undefined while it is not published. Throws
 * {@link AggregateRefused} (reason: one of core's AGGREGATE_REFUSALS) for one no replica may apply — a
 * selection that does not parse counts as untrusted — or the store's error.
 */
export async function fetchTrustedAggregate(
  source: AggregateFetch,
  window: number,
): Promise<TrustedAggregate | undefined> {
  const { store, runId, trust, signal, maxAggregateBytes } = source;
  const stored = await store.get(aggregateKey(runId, window), {
    ...(signal ? { signal } : {}),
    ...(maxAggregateBytes === undefined ? {} : { maxBytes: maxAggregateBytes }),
  });
  if (stored === undefined) return undefined;
  let selection: Selection | undefined;
  if (trust.selectionValidator !== undefined) {
    try {
      selection = await fetchSelection(store, runId, window, signal);
    } catch (error) {
      if (!(error instanceof SelectionError)) throw error;
      throw new AggregateRefused(
        'SELECTION_UNTRUSTED',
        `window ${window}'s selection is unreadable: ${error.message}`,
        {
          window,
        },
      );
    }
  }
  const envelope = checkAggregate(stored.bytes, { runId, window }, trust, selection);
  return { bytes: stored.bytes, envelope };
}
