/**
 * Everything the aggregator's parts share, built once by service.ts: the run, the store, the replica,
 * the signing hotkey, what was published, metrics, log, clock and the shutdown signal.
 */
import type { HotkeyPair } from '@cohort/core';
import type { Logger, StoreClient } from '@cohort/kit';

import type { AggregatorMetrics } from './aggregator-metrics.js';
import type { Clock } from './clock.js';
import type { PayloadAggregator } from './payload-aggregator.js';
import type { Published } from './published.js';
import type { Replica } from '@cohort/replica';

/** The knobs of the window loop (config keys of the same names). */
export interface AggregatorSettings {
  readonly preset: string;
  readonly uploadSlotMs: number;
  readonly checkpointEveryWindows: number;
  readonly maxUpdateBytes: number;
  /**
   * Largest aggregate read back from the store (a replay, GetAggregate, VerifyAggregate): not a config
   * key but the replica's model's bound (@cohort/replica's aggregateBytesBound), so a reader never
   * buffers more than any aggregate of this model can be.
   */
  readonly maxAggregateBytes: number;
  readonly maxPeers: number;
  /** Per-update download deadline (FETCH_TIMEOUT beyond it). */
  readonly fetchTimeoutMs: number;
  readonly stateDir: string;
  /** The validator whose selection is followed ('' : every valid update). */
  readonly selectionValidator: string;
  readonly selectionWaitMs: number;
}

/** The shared dependencies of restore, the window loop, checkpoints and the gRPC handlers. */
export interface AggregatorDeps {
  readonly runId: string;
  readonly store: StoreClient;
  readonly replica: Replica;
  /** Turns a window's payloads into the unsigned aggregate: in this process or in the compressor. */
  readonly aggregator: PayloadAggregator;
  /** Signs aggregates; its public key is the aggregate header's hotkey. */
  readonly hotkey: HotkeyPair;
  readonly published: Published;
  readonly metrics: AggregatorMetrics;
  readonly log: Logger;
  readonly clock: Clock;
  /** Aborted when shutdown begins: waits and store transfers stop. */
  readonly signal: AbortSignal;
  readonly settings: AggregatorSettings;
}
