/**
 * When this store first saw an object (protocol §1): the validator's own clock, never the peer's
 * LastModified, which a miner's self-hosted bucket controls. Bounded: the oldest entries are forgotten
 * past `maxEntries` (windows move on; an entry matters only during its upload slot).
 */
export class FirstSeenRegistry {
  readonly #seen = new Map<string, number>();
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(maxEntries: number, now: () => number = Date.now) {
    this.#maxEntries = maxEntries;
    this.#now = now;
  }

  /** The first time `id` was observed, recording now when it is new. */
  observe(id: string): number {
    const known = this.#seen.get(id);
    if (known !== undefined) return known;
    const now = this.#now();
    this.#seen.set(id, now);
    if (this.#seen.size > this.#maxEntries) {
      const oldest = this.#seen.keys().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
    return now;
  }

  /** The recorded time, or undefined when never observed. */
  get(id: string): number | undefined {
    return this.#seen.get(id);
  }

  get size(): number {
    return this.#seen.size;
  }
}
