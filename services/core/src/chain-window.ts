/**
 * The window clock: which training window the chain is in, derived from block heads alone. A window is
 * `blocksPerWindow` consecutive blocks, window `w` = blocks `[w * bpw, (w + 1) * bpw)`, so every
 * participant that sees the same head agrees on the window without talking to anyone.
 *
 * Pure: the chain bridge's I/O shell feeds heads and the local time into {@link ChainClock}; nothing here
 * reads a clock, a socket or a timer.
 */
import { InvalidArgumentError, expectedMessage } from './errors.js';

function requireCount(value: number, min: number, what: string, reason: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidArgumentError(expectedMessage(`a safe integer >= ${min}`, what, value), { reason });
  }
  return value;
}

function requireTime(value: number, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidArgumentError(expectedMessage('a finite number of milliseconds', what, value), {
      reason: 'BAD_TIME',
    });
  }
  return value;
}

/** The window of block `block`: `floor(block / blocksPerWindow)`. Throws `BAD_BLOCK`, `BAD_BLOCKS_PER_WINDOW`. */
export function windowOfBlock(block: number, blocksPerWindow: number): number {
  requireCount(block, 0, 'a block number', 'BAD_BLOCK');
  requireCount(blocksPerWindow, 1, 'blocksPerWindow', 'BAD_BLOCKS_PER_WINDOW');
  return Math.floor(block / blocksPerWindow);
}

/**
 * The first block of window `window`: `window * blocksPerWindow`. Throws `BAD_WINDOW` for a negative or
 * fractional window, or one whose first block is not a safe integer; `BAD_BLOCKS_PER_WINDOW`.
 */
export function windowFirstBlock(window: number, blocksPerWindow: number): number {
  requireCount(window, 0, 'a window', 'BAD_WINDOW');
  requireCount(blocksPerWindow, 1, 'blocksPerWindow', 'BAD_BLOCKS_PER_WINDOW');
  const first = window * blocksPerWindow;
  if (!Number.isSafeInteger(first)) {
    throw new InvalidArgumentError(`Window ${window} starts beyond the safe integer range`, {
      reason: 'BAD_WINDOW',
    });
  }
  return first;
}

/** A block head as the chain client reports it. */
export interface HeadInput {
  /** Block number (height). */
  readonly number: number;
  /** Block hash (32 bytes on Substrate; any non-empty length is accepted). */
  readonly hash: Uint8Array;
  /** The block's own timestamp (`Timestamp.Now`), in ms since the epoch. */
  readonly timestampMs: number;
}

/** A head the clock accepted, with the local time it arrived. */
export interface ObservedHead extends HeadInput {
  /** The local `nowMs` passed to {@link ChainClock.observe} when the head was accepted. */
  readonly receivedMs: number;
}

/** What one {@link ChainClock.observe} call changed. */
export interface ClockUpdate {
  /** The clock's head after the call: the new head if accepted, else the one it already had. */
  readonly head: ObservedHead;
  /** True when the head was accepted (a higher block, or a reorg). False for a repeat or a late head. */
  readonly newBlock: boolean;
  /** True when the head was accepted at the same or a lower number with a different hash. */
  readonly reorg: boolean;
  /** True when {@link window} differs from {@link previousWindow}; true on the very first head. */
  readonly windowChanged: boolean;
  /** The window of {@link head}. */
  readonly window: number;
  /** The window before this call; `undefined` before the first head. */
  readonly previousWindow: number | undefined;
  /** The first block of {@link window}. */
  readonly firstBlockOfWindow: number;
}

/** The clock's state at a moment, for health checks and the bridge's status stream. */
export interface ClockSnapshot {
  /** The current head; absent before the first. */
  readonly head?: ObservedHead;
  /** The current window; absent before the first head. */
  readonly window?: number;
  /** `nowMs - head.receivedMs` (never below 0); `undefined` before the first head. */
  readonly ageMs: number | undefined;
  /** True before the first head, or when no head was accepted for more than `staleAfterMs`. */
  readonly stale: boolean;
}

/** Options of {@link ChainClock}. */
export interface ChainClockOptions {
  /** Blocks per window (>= 1). */
  readonly blocksPerWindow: number;
  /** The clock is stale when no head was accepted for more than this many ms (>= 1). */
  readonly staleAfterMs: number;
  /** How many recent block hashes to remember for telling a late head from a reorg (default 256). */
  readonly historyBlocks?: number;
}

/** A change of {@link ChainClock.checkStale}'s verdict. */
export type StaleTransition = 'became_stale' | 'became_fresh';

const hexOf = (bytes: Uint8Array): string =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/**
 * Tracks the chain head and the window it is in. Feed it every head the subscription delivers with
 * {@link observe}; it accepts a head with a higher number, ignores repeats and late deliveries, and
 * follows reorgs:
 * - a head with a number above the current one is accepted (gaps are fine: subscriptions skip blocks);
 * - a head at the same or a lower number whose hash is the one this clock accepted at that number is
 *   ignored (`newBlock: false`): a repeat, or a notification that arrived late;
 * - any other head at the same or a lower number is a reorg (or a chain restarted from genesis, as the
 *   devnet does): it is accepted with `reorg: true`, and the window may go BACK. Consumers must treat
 *   a lower window as "the chain moved", not assume windows only grow.
 * Staleness is measured from the local time a head was last accepted (not the chain's timestamp, which
 * a stuck or lagging node keeps reporting), so a node that repeats the same head goes stale.
 */
export class ChainClock {
  readonly blocksPerWindow: number;
  readonly staleAfterMs: number;
  readonly historyBlocks: number;
  private current: ObservedHead | undefined;
  private readonly history = new Map<number, string>();
  private reportedStale = true;

  constructor(options: ChainClockOptions) {
    this.blocksPerWindow = requireCount(
      options.blocksPerWindow,
      1,
      'blocksPerWindow',
      'BAD_BLOCKS_PER_WINDOW',
    );
    this.staleAfterMs = requireCount(options.staleAfterMs, 1, 'staleAfterMs', 'BAD_STALE_AFTER');
    this.historyBlocks = requireCount(options.historyBlocks ?? 256, 1, 'historyBlocks', 'BAD_HISTORY');
  }

  /**
   * Feed one head received at local time `nowMs`. Throws `InvalidArgumentError` (`BAD_BLOCK`,
   * `BAD_HASH`, `BAD_TIMESTAMP`, `BAD_TIME`) for a malformed head; the clock is unchanged then.
   */
  observe(head: HeadInput, nowMs: number): ClockUpdate {
    requireCount(head.number, 0, 'a block number', 'BAD_BLOCK');
    if (!(head.hash instanceof Uint8Array) || head.hash.length === 0) {
      throw new InvalidArgumentError(expectedMessage('a non-empty Uint8Array', 'a block hash', head.hash), {
        reason: 'BAD_HASH',
      });
    }
    requireCount(head.timestampMs, 0, 'a block timestamp', 'BAD_TIMESTAMP');
    requireTime(nowMs, 'nowMs');

    const previous = this.current;
    const previousWindow = previous === undefined ? undefined : this.windowOf(previous);
    const hash = hexOf(head.hash);
    const higher = previous === undefined || head.number > previous.number;
    if (previous !== undefined && !higher && this.history.get(head.number) === hash) {
      return this.update(previous, false, false, previousWindow);
    }
    const accepted: ObservedHead = {
      number: head.number,
      hash: Uint8Array.from(head.hash),
      timestampMs: head.timestampMs,
      receivedMs: nowMs,
    };
    if (!higher) {
      // A reorg: the blocks above the new head are no longer ours.
      for (const number of this.history.keys()) if (number >= head.number) this.history.delete(number);
    }
    this.history.set(head.number, hash);
    for (const number of this.history.keys()) {
      if (number <= head.number - this.historyBlocks) this.history.delete(number);
    }
    this.current = accepted;
    return this.update(accepted, true, !higher, previousWindow);
  }

  private windowOf(head: ObservedHead): number {
    return Math.floor(head.number / this.blocksPerWindow);
  }

  private update(
    head: ObservedHead,
    newBlock: boolean,
    reorg: boolean,
    previousWindow: number | undefined,
  ): ClockUpdate {
    const window = this.windowOf(head);
    return {
      head,
      newBlock,
      reorg,
      windowChanged: window !== previousWindow,
      window,
      previousWindow,
      firstBlockOfWindow: window * this.blocksPerWindow,
    };
  }

  /** The clock at local time `nowMs` (see {@link ClockSnapshot}). Throws `BAD_TIME`. */
  snapshot(nowMs: number): ClockSnapshot {
    requireTime(nowMs, 'nowMs');
    const head = this.current;
    if (head === undefined) return { ageMs: undefined, stale: true };
    const ageMs = Math.max(0, nowMs - head.receivedMs);
    return { head, window: this.windowOf(head), ageMs, stale: ageMs > this.staleAfterMs };
  }

  /**
   * The staleness transition since the last call, for an I/O shell that polls (say every second) and
   * publishes changes: `'became_stale'` or `'became_fresh'` exactly once per change, `undefined` when
   * nothing changed. The clock starts stale (no head), so the first call after a head arrives answers
   * `'became_fresh'`. Throws `BAD_TIME`.
   */
  checkStale(nowMs: number): StaleTransition | undefined {
    const { stale } = this.snapshot(nowMs);
    if (stale === this.reportedStale) return undefined;
    this.reportedStale = stale;
    return stale ? 'became_stale' : 'became_fresh';
  }
}
