/**
 * The upload slot of window w on the validator's clock, and the first-seen time each update is judged
 * by (protocol §1). Pure.
 *
 * The slot opens when window w + 1 begins by the chain's timestamps, mapped onto this clock
 * (chain-time.ts), and closes `uploadSlotMs` later. The validator's own chain event may reach it seconds
 * after the block did; timing the slot from that event would call an update made on time EARLY. When the
 * start is only known to lie in a range (the bridge skipped the window's first block), the slot opens at
 * the range's start and closes a slot after its end. `graceMs` widens the slot on both ends for the skew
 * between the block author's clock, the miners' and this one's: whatever is uncertain goes the miner's way.
 * Without a usable chain clock (a dev chain whose timestamps do not keep pace with wall time) the slot is
 * timed from the event's arrival, as before.
 *
 * A listing of the bucket takes time and the store answers from some moment within it. An update is
 * EARLY only when the listing that first showed it had ended before the slot opened, and LATE only when
 * that listing had started after the slot closed; otherwise it was on time.
 */
import type { WindowStart } from '../miner/chain-feed.js';

/** Window w's upload slot (validator clock, Unix ms). */
export interface UploadSlot {
  /** Updates first seen before this are EARLY (the grace included). */
  readonly openMs: number;
  /** Updates first seen after this are LATE (the grace included); the watch lists until then. */
  readonly closeMs: number;
  /** The close without the grace: the protocol's close, which the selection deadline counts from. */
  readonly nominalCloseMs: number;
  /** What the slot is timed from: the chain's timestamps, or this validator's event arrival. */
  readonly basis: 'chain' | 'arrival';
  /** How much later than the chain start this validator learnt of it (0 on the arrival basis). */
  readonly lagMs: number;
}

/** What {@link uploadSlotOf} is computed from. */
export interface UploadSlotInputs {
  /** The chain start of window w + 1, when the event carried one. */
  readonly start: WindowStart | undefined;
  /** When this validator learnt window w + 1 began (local clock). */
  readonly arrivalMs: number;
  /** Chain timestamp → local clock; undefined when the chain's clock cannot be used. */
  readonly toLocal: (chainMs: number) => number | undefined;
  readonly uploadSlotMs: number;
  readonly graceMs: number;
}

/** Window w's slot from the start of w + 1; see the module comment. */
export function uploadSlotOf(i: UploadSlotInputs): UploadSlot {
  const latest = i.start === undefined ? undefined : i.toLocal(i.start.chainMs);
  const earliest = i.start === undefined ? undefined : i.toLocal(i.start.earliestChainMs);
  if (latest === undefined || earliest === undefined) {
    return {
      openMs: i.arrivalMs - i.graceMs,
      nominalCloseMs: i.arrivalMs + i.uploadSlotMs,
      closeMs: i.arrivalMs + i.uploadSlotMs + i.graceMs,
      basis: 'arrival',
      lagMs: 0,
    };
  }
  // A block cannot have begun the window after this validator heard of it.
  const end = Math.min(latest, i.arrivalMs);
  const begin = Math.min(earliest, end);
  return {
    openMs: begin - i.graceMs,
    nominalCloseMs: end + i.uploadSlotMs,
    closeMs: end + i.uploadSlotMs + i.graceMs,
    basis: 'chain',
    lagMs: i.arrivalMs - end,
  };
}

/** When the listing that first showed an update started and ended (validator clock). */
export interface Sighting {
  readonly firstSeenMs: number;
  readonly seenByMs: number;
}

/**
 * The first-seen time to judge an update by against `slot`: the listing's end when that is before the
 * open (EARLY), its start when that is after the close (LATE), else a time inside the slot.
 */
export function judgedSeenMs(s: Sighting, slot: Pick<UploadSlot, 'openMs' | 'closeMs'>): number {
  if (s.seenByMs < slot.openMs) return s.seenByMs;
  if (s.firstSeenMs > slot.closeMs) return s.firstSeenMs;
  return Math.min(Math.max(s.firstSeenMs, slot.openMs), slot.closeMs);
}
