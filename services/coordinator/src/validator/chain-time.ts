/**
 * Chain timestamps on this validator's clock. The upload slot is measured by chain timestamps (protocol
 * §1) while first-seen times are the validator's own; the two clocks differ by the skew between them, and
 * any one block event reaches the validator later than the block was made by a delay of its own (a slow
 * bridge, a reconnect). The offset taken is the smallest `arrival − timestamp` over the recent blocks: the
 * skew plus the fastest delivery seen. A window's first block that reached this validator late then still
 * maps to when it would have arrived on time, never later than when it did arrive.
 *
 * That needs a chain clock that keeps pace with wall time, as a real chain's does (each block carries its
 * slot's time). A dev chain does not have to: chopsticks adds the slot duration (12 s) to each block's
 * timestamp however fast it makes blocks, so its offsets drift by seconds a block. When the smallest offset
 * of the newer half of the recent blocks is more than `maxDriftMs` from the older half's, the map answers
 * nothing and the caller falls back to its own arrival times. Blocks that go back (a reorg, a restarted
 * chain) start the history over. Pure: arrival times are passed in.
 */

/** Options of {@link ChainTimeMap}. */
export interface ChainTimeOptions {
  /** Recent blocks kept (default 32: over 6 minutes of 12 s blocks). */
  readonly horizon?: number;
  /** Fewest blocks before the offset is trusted (default 8). */
  readonly minSamples?: number;
  /** Largest difference between the two halves' offsets of a chain clock that keeps pace (default 2 s). */
  readonly maxDriftMs?: number;
}

/** One block as observed: its number, chain timestamp and local arrival time. */
export interface ChainTimeSample {
  readonly number: number;
  readonly chainMs: number;
  readonly localMs: number;
}

/** The map from chain timestamps to this process's clock; see the module comment. */
export class ChainTimeMap {
  readonly #horizon: number;
  readonly #minSamples: number;
  readonly #maxDriftMs: number;
  #samples: ChainTimeSample[] = [];

  constructor(options: ChainTimeOptions = {}) {
    this.#horizon = options.horizon ?? 32;
    this.#minSamples = Math.max(2, options.minSamples ?? 8);
    this.#maxDriftMs = options.maxDriftMs ?? 2000;
  }

  /** Record one block event. */
  observe(sample: ChainTimeSample): void {
    const last = this.#samples.at(-1);
    if (last !== undefined && (sample.number <= last.number || sample.chainMs <= last.chainMs)) {
      this.#samples = []; // the chain went back: what came before says nothing about it now
    }
    this.#samples.push(sample);
    if (this.#samples.length > this.#horizon) this.#samples.shift();
  }

  /** `local − chain` now; undefined while too few blocks were seen or the chain's clock drifts. */
  offsetMs(): number | undefined {
    const n = this.#samples.length;
    if (n < this.#minSamples) return undefined;
    const offsets = this.#samples.map((s) => s.localMs - s.chainMs);
    const half = Math.floor(n / 2);
    const older = Math.min(...offsets.slice(0, half));
    const newer = Math.min(...offsets.slice(half));
    if (Math.abs(newer - older) > this.#maxDriftMs) return undefined;
    return Math.min(older, newer);
  }

  /** `chainMs` on the local clock, or undefined (see {@link ChainTimeMap.offsetMs}). */
  toLocal(chainMs: number): number | undefined {
    const offset = this.offsetMs();
    return offset === undefined ? undefined : chainMs + offset;
  }
}
