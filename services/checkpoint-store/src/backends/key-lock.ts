/**
 * Per-key mutual exclusion inside one process. The filesystem backend publishes an object in two
 * renames (metadata, then data); holding a key's lock across those renames, and across a reader's
 * open-and-check, means no reader in this process ever observes the step between them, and two
 * writers of one key publish one after the other. Only short critical sections run under it: never
 * the streaming of an upload or of a download.
 */

/** Runs critical sections one at a time per key, in arrival order. */
export interface KeyLock {
  /** Run `section` once no earlier section of `key` is running; resolves with its result. */
  run<T>(key: string, section: () => Promise<T>): Promise<T>;
  /** Keys with a section running or waiting (for tests: empty when idle). */
  readonly size: number;
}

/** A new, empty {@link KeyLock}. */
export function createKeyLock(): KeyLock {
  const tails = new Map<string, Promise<void>>();
  return {
    async run<T>(key: string, section: () => Promise<T>): Promise<T> {
      const previous = tails.get(key) ?? Promise.resolve();
      let release: () => void = () => undefined;
      const mine = new Promise<void>((resolve) => {
        release = resolve;
      });
      const tail = previous.then(() => mine);
      tails.set(key, tail);
      await previous;
      try {
        return await section();
      } finally {
        release();
        if (tails.get(key) === tail) tails.delete(key);
      }
    },
    get size(): number {
      return tails.size;
    },
  };
}
