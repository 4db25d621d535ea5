/**
 * When each upload slot closes, by this process's clock. Window w's slot opens when window w + 1 begins
 * and lasts `uploadSlotMs` (protocol §1); the validator and the aggregator time it from their own arrival
 * of w + 1's event, so the miner does the same with its own. An update put after that is late and counts
 * for nothing, which bounds how long anything may still spend on one (a stopping loop's upload, a new
 * term publishing what the previous one left on the worker).
 */

/** Window starts seen, and the slot ends they imply. */
export class UploadSlots {
  readonly #slotMs: number;
  readonly #starts = new Map<number, number>();

  constructor(uploadSlotMs: number) {
    this.#slotMs = uploadSlotMs;
  }

  /**
   * Window `window` began at `atMs` (the first report counts; a repeat changes nothing). A window below
   * one already seen (the chain went back) forgets the later ones.
   */
  began(window: number, atMs: number): void {
    if (this.#starts.has(window)) return;
    for (const w of this.#starts.keys()) if (w > window || w < window - 4) this.#starts.delete(w);
    this.#starts.set(window, atMs);
  }

  /**
   * When window `window`'s upload slot closes: `uploadSlotMs` after the first window past it began;
   * undefined while none has (the slot is not open yet).
   */
  closesAt(window: number): number | undefined {
    let next: number | undefined;
    for (const w of this.#starts.keys()) if (w > window && (next === undefined || w < next)) next = w;
    const start = next === undefined ? undefined : this.#starts.get(next);
    return start === undefined ? undefined : start + this.#slotMs;
  }
}
