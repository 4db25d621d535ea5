/**
 * What a new term finds on its worker. A standby that took the lead, or a restarted coordinator, begins
 * with a JOIN resync, and the checkpoint it loads drops what the worker held: among it window s's update
 * when the previous term had encoded it but not published it (stopped while the update waited for its
 * slot, or while it was being put). That encode already subtracted the update from the error feedback,
 * so dropping it loses its signal for good. The worker answers a repeated EncodeUpdate(s) with the same
 * payload while nothing changed its state since (gpu-worker replica.ts, `lastPayload`), so the new term
 * asks for it before its resync and publishes it in s's slot itself.
 *
 * Only an update whose slot is still ahead or open is worth asking for: s = the chain's window (the slot
 * opens with s + 1) or s + 1 = the chain's window. A worker holding a finished training of s that was
 * never encoded encodes it now: the update the previous term would have sent. Anything else (nothing
 * trained: NOT_TRAINED, a busy or absent worker) leaves the resync to proceed as before.
 */
import { CohortError } from '@cohort/core';
import type { Logger } from '@cohort/kit';

import type { WorkerLink } from './worker-link.js';

/** An encoded update of `window` the previous term left unpublished. */
export interface HeldPayload {
  readonly window: number;
  readonly bytes: Uint8Array;
}

/** The worker's unpublished update for the chain's window or the one before it, if it holds one. */
export async function takeHeldPayload(
  worker: Pick<WorkerLink, 'info' | 'encode'>,
  chainWindow: number,
  log: Logger,
): Promise<HeldPayload | undefined> {
  let s: number;
  try {
    s = (await worker.info()).stateWindow;
  } catch (error) {
    log.warn('payload_handover_failed', { chainWindow, error: String(error) });
    return undefined;
  }
  if (s < 0 || (s !== chainWindow && s + 1 !== chainWindow)) return undefined;
  try {
    return { window: s, bytes: await worker.encode(s) };
  } catch (error) {
    if (error instanceof CohortError && error.reason === 'NOT_TRAINED') return undefined;
    log.warn('payload_handover_failed', { window: s, chainWindow, error: String(error) });
    return undefined;
  }
}

/**
 * One term's handover: the update taken off the worker, until the machine claims it (it trains that
 * window: the update is its encode) or its slot opens first (the loop puts it itself).
 */
export class Handover {
  #held: HeldPayload | undefined;
  #sent: number | undefined;

  /** Ask the worker, before the term's JOIN resync loads a checkpoint over what it holds. */
  async take(worker: Pick<WorkerLink, 'info' | 'encode'>, chainWindow: number, log: Logger): Promise<void> {
    const held = await takeHeldPayload(worker, chainWindow, log);
    if (held === undefined) return;
    log.info('payload_taken_over', { window: held.window, bytes: held.bytes.length, chainWindow });
    this.#held = held;
  }

  /** Whether `window` was trained already: its update is held, so training it again is not needed. */
  holds(window: number): boolean {
    return this.#held?.window === window;
  }

  /** The held update of `window` as the machine's encode of it; the handover is done with it then. */
  claim(window: number): Uint8Array | undefined {
    const held = this.#held;
    if (held?.window !== window) return undefined;
    this.#held = undefined;
    return held.bytes;
  }

  /**
   * The held update once its slot is open (`closesAt` its close, undefined: not open yet), for the loop
   * to put now; past the slot it would be late, so it is dropped and logged (`upload_abandoned`).
   */
  due(closesAt: number | undefined, nowMs: number, log: Logger): HeldPayload | undefined {
    const held = this.#held;
    if (held === undefined || closesAt === undefined) return undefined;
    this.#held = undefined;
    if (nowMs >= closesAt) {
      const { window, bytes } = held;
      log.warn('upload_abandoned', { window, bytes: bytes.length, reason: 'UPLOAD_SLOT_CLOSED' });
      return undefined;
    }
    this.#sent = held.window;
    return held;
  }

  /** Whether the handover put `window`'s update (the machine, which never trained it, skips it as LATE_JOIN). */
  sent(window: number): boolean {
    return this.#sent === window;
  }

  /** The window of the update held now, if any. */
  get window(): number | undefined {
    return this.#held?.window;
  }
}
