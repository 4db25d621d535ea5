/**
 * The miner loop's view of the chain: window changes and staleness, from the `window` and `block` events
 * this operator's chain-bridge publishes on NATS (plus one GetHead at start, so a coordinator started
 * mid-window need not wait for the next window to begin). The chain counts as stale when no block event
 * arrived for `staleAfterMs`, the same rule the bridge applies: a stale chain starts no training.
 *
 * With each window change it hands over when the window began by the chain's own timestamps
 * ({@link WindowStart}), and each block as it arrived ({@link ChainBlock}): the validator times the upload
 * slot from the chain (protocol §1), not from when its own bridge's event happened to reach it.
 */
import { fromBinary } from '@bufbuild/protobuf';
import { runSubjects } from '@cohort/core';
import type { Logger, NatsHandle } from '@cohort/kit';
import { BlockEventSchema, WindowEventSchema } from '@cohort/proto/cohort/events/v1/events';

/** A block event as this process received it. */
export interface ChainBlock {
  readonly number: number;
  readonly window: number;
  /** The block's chain timestamp (`Timestamp.Now`, Unix ms). */
  readonly chainMs: number;
  /** When the event arrived (local clock, Unix ms). */
  readonly localMs: number;
}

/**
 * When a window began by the chain's timestamps. The bridge reports the first block of the window it
 * saw; that is the window's first block unless the bridge skipped blocks (a reconnect), and then the
 * window began between the last block seen before and this one.
 */
export interface WindowStart {
  readonly window: number;
  /** Chain timestamp of the first block of the window this operator saw: the start, or later. */
  readonly chainMs: number;
  /** The earliest the window can have begun: `chainMs` when exact, else the block seen before it. */
  readonly earliestChainMs: number;
  /** Whether that block is the window's first (the block before it was seen, in the window before). */
  readonly exact: boolean;
  /** When this process learnt of it (local clock). */
  readonly localMs: number;
}

/** What the feed reports. */
export interface ChainFeedListener {
  /** The window changed; `start` is absent when only the head at start-up told (no timestamp). */
  window(window: number, start?: WindowStart): void;
  stale(stale: boolean): void;
  /** Every block event, before the window change it may bring. */
  block?(block: ChainBlock): void;
}

/** The start of `window`, first seen in a block with timestamp `chainMs`, after `previous` (pure). */
export function windowStartOf(
  window: number,
  first: { readonly number?: number; readonly chainMs: number; readonly localMs: number },
  previous: ChainBlock | undefined,
): WindowStart {
  const before = previous !== undefined && previous.window === window - 1 ? previous : undefined;
  const exact = before !== undefined && first.number !== undefined && before.number === first.number - 1;
  return {
    window,
    chainMs: first.chainMs,
    earliestChainMs: exact || before === undefined ? first.chainMs : Math.min(before.chainMs, first.chainMs),
    exact,
    localMs: first.localMs,
  };
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
  /** Injected clock (tests). */
  readonly now?: () => number;
}

/** A running feed; `stop` unsubscribes and clears the staleness timer. */
export interface ChainFeed {
  stop(): void;
}

/** Subscribe to the chain events and start the staleness timer. */
export function startChainFeed(options: ChainFeedOptions): ChainFeed {
  const { nats, listener, log } = options;
  const now = options.now ?? Date.now;
  const subjects = runSubjects(options.runId);
  let lastWindow = -1;
  /** The last block event (a chain that went back forgets it). */
  let lastBlock: ChainBlock | undefined;
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
  const onWindow = (window: number, start?: () => WindowStart | undefined): void => {
    // Events repeat (reconnects) and a restarted chain goes back: forward every change, not repeats.
    if (window === lastWindow) return;
    lastWindow = window;
    listener.window(window, start?.());
  };
  armStaleness();
  const windowSub = nats.nc.subscribe(subjects.window, {
    callback: (error, msg) => {
      if (error) return;
      try {
        // Normally the block event before it already announced the window (the bridge sends that
        // first); this one counts when that block event was lost.
        const event = fromBinary(WindowEventSchema, msg.data);
        const window = Number(event.window);
        const chainMs = Number(event.startedUnixMs);
        onWindow(window, () =>
          chainMs > 0 ? windowStartOf(window, { chainMs, localMs: now() }, lastBlock) : undefined,
        );
      } catch (e) {
        log.warn('chain_event_invalid', { subject: msg.subject, error: String(e) });
      }
    },
  });
  const blockSub = nats.nc.subscribe(subjects.block, {
    callback: (error, msg) => {
      if (error) return;
      try {
        const event = fromBinary(BlockEventSchema, msg.data);
        const block: ChainBlock = {
          number: Number(event.number),
          window: Number(event.window),
          chainMs: Number(event.timestampUnixMs),
          localMs: now(),
        };
        const previous = lastBlock !== undefined && lastBlock.number < block.number ? lastBlock : undefined;
        lastBlock = block;
        armStaleness();
        setStale(false);
        listener.block?.(block);
        onWindow(block.window, () =>
          block.chainMs > 0 ? windowStartOf(block.window, block, previous) : undefined,
        );
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
