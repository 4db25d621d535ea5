/**
 * The uploads a stopping miner loop lets finish. Shutdown and a lost lead cut training and waiting at
 * once, but an update being put has already left the worker's error feedback (the encode subtracted what
 * it sends): cutting the put loses that signal for good, and the window with it. So a put under way runs
 * on until the stop's deadline (the service's `shutdownGraceMs`) or the close of its upload slot, after
 * which it would be late anyway, whichever comes first; only then is it aborted, with the reason
 * (`SHUTDOWN_GRACE`, `UPLOAD_SLOT_CLOSED`) as the abort signal's reason, for the caller's
 * `upload_abandoned`. The put touches the run's store alone, never the worker, so it may outlive the lead:
 * a new leader that sends the same update again writes the same bytes (a write-once key answers
 * `created: false`).
 */

/** Why an upload in flight was cut. */
export type AbandonReason = 'SHUTDOWN_GRACE' | 'UPLOAD_SLOT_CLOSED';

/** One put in flight. */
export interface InflightUpload {
  readonly window: number;
  /** When its upload slot closes (local clock, ms); undefined: not known. */
  readonly closesAt: number | undefined;
  /** Aborted, with an {@link AbandonReason}, to cut the put. */
  readonly abort: AbortController;
}

/** The reason `signal` was aborted with by {@link UploadDrain}, if it was. */
export function abandonReason(signal: AbortSignal): AbandonReason | undefined {
  const reason: unknown = signal.aborted ? signal.reason : undefined;
  return reason === 'SHUTDOWN_GRACE' || reason === 'UPLOAD_SLOT_CLOSED' ? reason : undefined;
}

/** The puts of one loop; see the module comment. */
export class UploadDrain {
  readonly #now: () => number;
  readonly #uploads = new Map<InflightUpload, { settled: Promise<void>; timer?: NodeJS.Timeout }>();
  #deadline: number | undefined;

  constructor(now: () => number = () => Date.now()) {
    this.#now = now;
  }

  /** Follow `upload` until `put` settles (either way). A draining loop bounds it at once. */
  track(upload: InflightUpload, put: Promise<unknown>): void {
    const settled = put.then(
      () => this.#forget(upload),
      () => this.#forget(upload),
    );
    this.#uploads.set(upload, { settled });
    if (this.#deadline !== undefined) this.#arm(upload);
  }

  /**
   * Let the puts in flight run until `deadlineMs` (local clock) at the latest, and none past its slot.
   * A second call can only bring the deadline forward. Resolves once every put has settled.
   */
  drain(deadlineMs: number): Promise<void> {
    this.#deadline = Math.min(this.#deadline ?? deadlineMs, deadlineMs);
    for (const upload of this.#uploads.keys()) this.#arm(upload);
    return Promise.all([...this.#uploads.values()].map((u) => u.settled)).then(() => undefined);
  }

  #arm(upload: InflightUpload): void {
    const entry = this.#uploads.get(upload);
    if (entry === undefined || this.#deadline === undefined) return;
    clearTimeout(entry.timer);
    const closes = upload.closesAt ?? Infinity;
    const slot = closes < this.#deadline;
    const reason: AbandonReason = slot ? 'UPLOAD_SLOT_CLOSED' : 'SHUTDOWN_GRACE';
    const waitMs = (slot ? closes : this.#deadline) - this.#now();
    if (waitMs <= 0) {
      upload.abort.abort(reason);
      return;
    }
    entry.timer = setTimeout(() => upload.abort.abort(reason), waitMs);
  }

  #forget(upload: InflightUpload): void {
    clearTimeout(this.#uploads.get(upload)?.timer);
    this.#uploads.delete(upload);
  }
}
