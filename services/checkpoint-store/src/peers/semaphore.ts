/**
 * A counting semaphore: at most `limit` holders at once, the rest wait in arrival order. Bounds the
 * concurrent requests to one peer's bucket, so one slow peer cannot take every socket.
 */
export class Semaphore {
  readonly #limit: number;
  #held = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`semaphore limit ${limit}`);
    this.#limit = limit;
  }

  /** Holders now. */
  get held(): number {
    return this.#held;
  }

  /** Run `fn` while holding one slot; waiting is abandoned when `signal` aborts. */
  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.#acquire(signal);
    try {
      return await fn();
    } finally {
      this.#release();
    }
  }

  /**
   * Hold one slot until the returned release is called (idempotent): for work that outlives one call,
   * such as a streamed body.
   */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    await this.#acquire(signal);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#release();
    };
  }

  #acquire(signal?: AbortSignal): Promise<void> {
    if (this.#held < this.#limit) {
      this.#held++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort);
        this.#held++;
        resolve();
      };
      const onAbort = (): void => {
        const at = this.#waiting.indexOf(grant);
        if (at >= 0) this.#waiting.splice(at, 1);
        reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      if (signal?.aborted === true) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(grant);
    });
  }

  #release(): void {
    this.#held--;
    this.#waiting.shift()?.();
  }
}
