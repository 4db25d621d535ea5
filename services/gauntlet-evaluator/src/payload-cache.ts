/**
 * The payloads this evaluator fetched lately, least recently used evicted first, within a byte budget.
 * A sample job and the later score job of the same update (ADR 0018) read the same object. When both
 * reach one evaluator, the second is served from here instead of being downloaded again. On a single
 * evaluator that halves the traffic per update, and per update it is up to 1.4 GB on a 72B model.
 * Entries are keyed by where the object lives (the miner's bucket, or the run's store) and its key.
 * The bytes are what was fetched first. A miner that rewrites its object after that is scored on the
 * first version. The aggregator checks the object hash the selection names, so a rewrite never reaches
 * an aggregate.
 */
import type { BucketEndpoint } from '@cohort/proto/cohort/common/v1/types';

/** Hits and misses, for the evaluator's metrics. */
export type CacheOutcome = 'hit' | 'miss';

/** A byte-bounded LRU of fetched payloads (see the module comment). */
export class PayloadCache {
  readonly #budget: number;
  /** Map iteration order is insertion order: the first entry is the least recently used. */
  readonly #entries = new Map<string, Uint8Array>();
  #bytes = 0;

  /** `budgetBytes` 0 disables the cache; an object larger than the budget is never kept. */
  constructor(budgetBytes: number) {
    if (!Number.isSafeInteger(budgetBytes) || budgetBytes < 0) {
      throw new RangeError(`the payload cache budget must be a non-negative integer, not ${budgetBytes}`);
    }
    this.#budget = budgetBytes;
  }

  /** The cache key of `key` in `bucket` (the run's store when unset). */
  static keyOf(key: string, bucket: BucketEndpoint | undefined): string {
    return bucket === undefined || bucket.endpoint === ''
      ? `run|${key}`
      : `peer|${bucket.endpoint}|${bucket.bucket}|${key}`;
  }

  /** The cached bytes of `id`, marked most recently used; undefined when absent. */
  get(id: string): Uint8Array | undefined {
    const bytes = this.#entries.get(id);
    if (bytes === undefined) return undefined;
    this.#entries.delete(id);
    this.#entries.set(id, bytes);
    return bytes;
  }

  /** Keep `bytes` under `id`, evicting the least recently used until the budget holds. */
  set(id: string, bytes: Uint8Array): void {
    const previous = this.#entries.get(id);
    if (previous !== undefined) {
      this.#entries.delete(id);
      this.#bytes -= previous.length;
    }
    if (bytes.length > this.#budget) return;
    while (this.#bytes + bytes.length > this.#budget) {
      const [oldest, old] = this.#entries.entries().next().value as [string, Uint8Array];
      this.#entries.delete(oldest);
      this.#bytes -= old.length;
    }
    this.#entries.set(id, bytes);
    this.#bytes += bytes.length;
  }

  /** Bytes held now. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Objects held now. */
  get size(): number {
    return this.#entries.size;
  }
}
