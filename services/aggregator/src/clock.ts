/**
 * The aggregator's only notion of time: the local clock that stamps a window event's arrival and the
 * wait for the end of the upload slot. Injected, so tests can drive it, and every wait takes the
 * shutdown signal, so SIGTERM never sits out a 70 s slot.
 */
import { setTimeout as delay } from 'node:timers/promises';

/** Wall clock and cancellable sleeps. */
export interface Clock {
  /** Milliseconds since the epoch (local clock). */
  now(): number;
  /** Resolve after `ms`, or reject with the signal's reason (an AbortError) once `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/** The process clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => delay(Math.max(0, ms), undefined, { signal }),
};
