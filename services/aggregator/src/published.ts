/**
 * What this aggregator knows it has published (or found published by itself and replayed): the newest
 * aggregate and checkpoint windows for GetStatus and the gauges, and a bounded record per aggregate for
 * GetAggregate, so a caller learns where `A_w` is and what went into it without downloading it.
 */
import type { AggregatorMetrics } from './aggregator-metrics.js';

/** One contributor named in an aggregate: SS58 hotkey and the digest of its update (its signed trailer hash). */
export interface ContributorRecord {
  readonly hotkey: string;
  readonly payloadBlake2b256: Uint8Array;
}

/** An aggregate in the store. */
export interface AggregateRecord {
  readonly window: number;
  readonly key: string;
  readonly sizeBytes: number;
  /** The store's BLAKE2b-256 of the whole object. */
  readonly blake2b256: Uint8Array;
  readonly contributors: readonly ContributorRecord[];
}

/** Records kept for GetAggregate; older windows are answered from the store. */
const MAX_RECORDS = 1024;

/** The aggregator's published windows. */
export class Published {
  readonly #metrics: AggregatorMetrics;
  readonly #records = new Map<number, AggregateRecord>();
  #lastAggregated = -1;
  #lastCheckpoint = -1;

  constructor(metrics: AggregatorMetrics) {
    this.#metrics = metrics;
  }

  /** Latest window with an aggregate published or replayed by this process, -1 when none. */
  get lastAggregatedWindow(): number {
    return this.#lastAggregated;
  }

  /** Latest checkpoint window published, found published or restored, -1 when none. */
  get lastCheckpointWindow(): number {
    return this.#lastCheckpoint;
  }

  /** Remember an aggregate (published now or replayed). */
  aggregate(record: AggregateRecord): void {
    this.#records.delete(record.window);
    this.#records.set(record.window, record);
    if (this.#records.size > MAX_RECORDS) {
      const oldest = Math.min(...this.#records.keys());
      this.#records.delete(oldest);
    }
    if (record.window > this.#lastAggregated) {
      this.#lastAggregated = record.window;
      this.#metrics.lastAggregatedWindow(record.window);
    }
  }

  /** Remember a checkpoint window. */
  checkpoint(window: number): void {
    if (window <= this.#lastCheckpoint) return;
    this.#lastCheckpoint = window;
    this.#metrics.checkpointed(window);
  }

  /** The record of `window`'s aggregate, when this process knows it. */
  record(window: number): AggregateRecord | undefined {
    return this.#records.get(window);
  }
}
