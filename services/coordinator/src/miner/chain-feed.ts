/**
 * The miner loop's view of the chain: window changes and staleness, from the `window` and `block` events
 * this operator's chain-bridge publishes on NATS (plus one GetHead at start, so a coordinator started
 * mid-window need not wait for the next window to begin). The chain counts as stale when no block event
 * arrived for `staleAfterMs`, the same rule the bridge applies: a stale chain starts no training.
 */
import { fromBinary } from '@bufbuild/protobuf';
import { runSubjects } from '@cohort/core';
import type { Logger, NatsHandle } from '@cohort/kit';
import { BlockEventSchema, WindowEventSchema } from '@cohort/proto/cohort/events/v1/events';

/** What the feed reports. */
export interface ChainFeedListener {
  window(window: number): void;
  stale(stale: boolean): void;
}

/** Options of {@link startChainFeed}. */
export interface ChainFeedOptions {
  readonly nats: NatsHandle;
  readonly runId: string;
  readonly staleAfterMs: number;
  readonly log: Logger;
  readonly listener: ChainFeedListener;
  /** The head at start, when a chain-bridge is configured: window and staleness. */
  readonly initialHead?: () => Promise<{ window: number; stale: boolean } | undefined>;
}

/** A running feed; `stop` unsubscribes and clears the staleness timer. */
export interface ChainFeed {
  stop(): void;
}

/** Subscribe to the chain events and start the staleness timer. */
export function startChainFeed(options: ChainFeedOptions): ChainFeed {
  const { nats, listener, log } = options;
  const subjects = runSubjects(options.runId);
  let lastWindow = -1;
  let stale = false;
  let timer: NodeJS.Timeout | undefined;
  const setStale = (value: boolean): void => {
    if (value === stale) return;
    stale = value;
    log.info(value ? 'chain_stale' : 'chain_fresh', {});
    listener.stale(value);
  };
  const armStaleness = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => setStale(true), options.staleAfterMs);
    timer.unref();
  };
  const onWindow = (window: number): void => {
    // Events repeat (reconnects) and a restarted chain goes back: forward every change, not repeats.
    if (window === lastWindow) return;
    lastWindow = window;
    listener.window(window);
  };
  armStaleness();
  const windowSub = nats.nc.subscribe(subjects.window, {
    callback: (error, msg) => {
      if (error) return;
      try {
        onWindow(Number(fromBinary(WindowEventSchema, msg.data).window));
      } catch (e) {
        log.warn('chain_event_invalid', { subject: msg.subject, error: String(e) });
      }
    },
  });
  const blockSub = nats.nc.subscribe(subjects.block, {
    callback: (error, msg) => {
      if (error) return;
      try {
        const block = fromBinary(BlockEventSchema, msg.data);
        armStaleness();
        setStale(false);
        onWindow(Number(block.window));
      } catch (e) {
        log.warn('chain_event_invalid', { subject: msg.subject, error: String(e) });
      }
    },
  });
  void options
    .initialHead?.()
    .then((head) => {
      if (head === undefined || lastWindow !== -1) return;
      if (!head.stale) armStaleness();
      setStale(head.stale);
      onWindow(head.window);
    })
    .catch((error: unknown) => log.warn('chain_head_unavailable', { error: String(error) }));
  return {
    stop() {
      clearTimeout(timer);
      windowSub.unsubscribe();
      blockSub.unsubscribe();
    },
  };
}
