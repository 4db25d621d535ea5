/**
 * Window events in, one handled at a time, in order. The chain-bridge publishes `WindowEvent`s on
 * `cohort.<run>.chain.window` (core NATS: at most once, possibly repeated or out of order after a
 * reconnect or a bridge failover), so an event for a window at or below the last one seen is dropped,
 * and each accepted one is stamped with its local arrival time (the upload slot is measured from it).
 * Events that arrive while one is being handled wait in a queue; the handler is never run twice at once.
 */
import { fromBinary } from '@bufbuild/protobuf';
import type { Logger } from '@cohort/kit';
import { WindowEventSchema } from '@cohort/proto/cohort/events/v1/events';

import type { Clock } from './clock.js';
import type { WindowArrival } from './window-aggregator.js';

/** Serial, ordered handling of window events. */
export class WindowEventQueue {
  readonly #handle: (event: WindowArrival) => Promise<void>;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #queue: WindowArrival[] = [];
  #lastSeen = -1;
  #started = false;
  #stopped = false;
  #running: Promise<void> | undefined;

  constructor(handle: (event: WindowArrival) => Promise<void>, clock: Clock, log: Logger) {
    this.#handle = handle;
    this.#clock = clock;
    this.#log = log;
  }

  /** A NATS message on the window subject: decode, order-check, queue. Never throws. */
  onMessage(data: Uint8Array): void {
    let window: bigint;
    try {
      window = fromBinary(WindowEventSchema, data).window;
    } catch (error) {
      this.#log.warn('window_event_invalid', { error });
      return;
    }
    if (window > BigInt(Number.MAX_SAFE_INTEGER)) {
      this.#log.warn('window_event_invalid', { window, detail: 'beyond the safe integer range' });
      return;
    }
    this.push(Number(window));
  }

  /** Queue window `window` (arrived now) unless it is not newer than the last one seen. */
  push(window: number): void {
    if (this.#stopped) return;
    if (window <= this.#lastSeen) {
      this.#log.debug('window_event_ignored', { window, lastSeen: this.#lastSeen });
      return;
    }
    this.#lastSeen = window;
    this.#queue.push({ window, arrivedUnixMs: this.#clock.now() });
    this.#kick();
  }

  /** Begin handling (queued events included); before this, events only queue (during the restore). */
  start(): void {
    this.#started = true;
    this.#kick();
  }

  /** Stop taking events and wait for the one being handled. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#queue.length = 0;
    await this.#running;
  }

  /** Resolves when the queue is empty and nothing is being handled (tests). */
  async idle(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  #kick(): void {
    if (!this.#started || this.#stopped || this.#running !== undefined) return;
    this.#running = this.#drain().finally(() => {
      this.#running = undefined;
      if (this.#queue.length > 0) this.#kick(); // pushed while the drain was finishing
    });
  }

  async #drain(): Promise<void> {
    for (
      let event = this.#queue.shift();
      event !== undefined && !this.#stopped;
      event = this.#queue.shift()
    ) {
      await this.#handle(event).catch((error: unknown) => {
        this.#log.error('window_failed', { window: event.window, error });
      });
    }
  }
}
