/**
 * First-seen times of a window's updates (protocol §1): from the moment window w begins until w's
 * upload slot closes the validator lists `updates/<w>/` and records, by its own clock, when it first saw
 * each key — never the uploader's LastModified, which a self-hosted bucket controls. The slot's bounds
 * are only known when window w + 1 begins, so the watch starts open-ended and {@link UploadWatch.close}
 * fixes them; an update seen before the slot opened is early, one that first appears after it closed is
 * never recorded (missing). Each sighting keeps when the listing that first showed it started and ended:
 * the store answers from some moment in between, so the start bounds lateness and the end earliness
 * (upload-slot.ts judges by them).
 */
import { tryParseKey, updatesPrefix } from '@cohort/core';
import type { Logger, StoreClient } from '@cohort/kit';

/** Options of {@link UploadWatch}. */
export interface UploadWatchOptions {
  readonly store: Pick<StoreClient, 'list'>;
  readonly runId: string;
  readonly window: number;
  readonly pollMs: number;
  readonly log: Logger;
  /** Injected clock (tests). */
  readonly now?: () => number;
}

/** What the watch saw of one update. */
export interface SeenUpdate {
  /** When the listing that first showed it started (the close's own poll counts as at the close). */
  readonly firstSeenMs: number;
  /** When that listing ended: the update was in the bucket by then. */
  readonly seenByMs: number;
  readonly key: string;
}

/** The watch of one window's updates. */
export class UploadWatch {
  readonly window: number;
  readonly seen = new Map<string, SeenUpdate>();
  readonly #o: UploadWatchOptions;
  readonly #now: () => number;
  readonly #stop = new AbortController();
  #closeMs = Number.POSITIVE_INFINITY;
  /** Whether the next poll is the one the loop scheduled for the close. */
  #closingPoll = false;
  #done: Promise<void> | undefined;

  constructor(options: UploadWatchOptions) {
    this.#o = options;
    this.window = options.window;
    this.#now = options.now ?? Date.now;
  }

  /** Begin polling (idempotent). */
  start(): void {
    this.#done ??= this.#run();
  }

  /** The slot closes at `closeMs` (validator clock): resolves with every update seen by then. */
  async close(closeMs: number): Promise<ReadonlyMap<string, SeenUpdate>> {
    this.#closeMs = closeMs;
    this.start();
    await this.#done;
    return this.seen;
  }

  /**
   * One more listing after the slot closed: the updates that arrived late, with the time they were
   * found (after the close, so {@link windowVerdicts} calls them LATE). Never changes what was seen in time.
   */
  async lateArrivals(): Promise<Map<string, SeenUpdate>> {
    const late = new Map<string, SeenUpdate>();
    const t = Math.max(this.#now(), this.#closeMs + 1);
    try {
      const objects = await this.#o.store.list(updatesPrefix(this.#o.runId, this.window));
      const by = Math.max(this.#now(), t);
      for (const object of objects) {
        const key = tryParseKey(object.key);
        if (key?.kind !== 'update' || key.window !== this.window || this.seen.has(key.hotkey)) continue;
        late.set(key.hotkey, { firstSeenMs: t, seenByMs: by, key: object.key });
      }
    } catch (error) {
      this.#o.log.warn('upload_watch_failed', { window: this.window, error: String(error) });
    }
    return late;
  }

  /** Stop polling at once (shutdown). */
  stop(): void {
    this.#stop.abort();
  }

  async #poll(): Promise<void> {
    // The poll scheduled for the close that starts a little after it (timer slack) still counts as at
    // the close: an update that was there in time must not turn late because of the validator's own
    // scheduling. Any other poll is taken at its word: one that ran while the close was not known yet
    // may well be after it.
    const started = this.#now();
    const t = this.#closingPoll ? Math.min(started, this.#closeMs) : started;
    this.#closingPoll = false;
    try {
      const objects = await this.#o.store.list(updatesPrefix(this.#o.runId, this.window));
      const by = Math.max(this.#now(), t);
      for (const object of objects) {
        const key = tryParseKey(object.key);
        if (key?.kind !== 'update' || key.window !== this.window || this.seen.has(key.hotkey)) continue;
        this.seen.set(key.hotkey, { firstSeenMs: t, seenByMs: by, key: object.key });
      }
    } catch (error) {
      this.#o.log.warn('upload_watch_failed', { window: this.window, error: String(error) });
    }
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    for (;;) {
      await this.#poll();
      if (signal.aborted || this.#now() >= this.#closeMs) return;
      const untilClose = Math.max(0, this.#closeMs - this.#now());
      const wait = Math.min(this.#o.pollMs, untilClose);
      this.#closingPoll = wait === untilClose;
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, wait);
        function done(): void {
          clearTimeout(t);
          signal.removeEventListener('abort', done);
          resolve();
        }
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }
}
