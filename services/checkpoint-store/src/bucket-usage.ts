/**
 * The per-bucket size limit: bytes stored in this operator's bucket, measured by a listing at start and
 * kept current by this store's puts, deletes and retention. Uploads hold capacity before their bytes
 * are stored, so concurrent puts cannot together pass the limit: a declared size up front, an
 * undeclared stream as its bytes arrive (it holds what it received, not every free byte while it is in
 * flight, so one slow undeclared put does not refuse everyone else).
 * Objects written into the bucket behind this store's back (without our metadata too) are only seen at
 * the next start. The counters are this process's: two stores writing one bucket each see only their
 * own puts and deletes, so a limit needs a single writer.
 */
import { StoreError } from './backends/backend.js';
import type { ObjectBackend } from './backends/backend.js';

/** Capacity held for one upload. */
export interface Reservation {
  /** Bytes held now. */
  readonly bytes: number;
  /**
   * Hold `total` bytes in all (nothing to do when it holds that much already). Throws BUCKET_FULL,
   * still holding what it had, when the rest does not fit.
   */
  growTo(total: number): void;
  /** Give the capacity back; call it once the upload ended, stored or not. Idempotent. */
  release(): void;
}

export class BucketUsage {
  readonly #limit: number;
  #used: number;
  #reserved = 0;

  private constructor(limit: number, used: number) {
    this.#limit = limit;
    this.#used = used;
  }

  /**
   * Sum the sizes of everything in the bucket, objects the backend lists as `foreign` (no metadata of
   * ours) included. `limit` 0 means unlimited (no listing is made).
   */
  static async measure(backend: ObjectBackend, limit: number): Promise<BucketUsage> {
    let used = 0;
    if (limit > 0) {
      let token: string | undefined;
      do {
        const page = await backend.list('', token);
        for (const meta of page.objects) used += meta.sizeBytes;
        for (const object of page.foreign ?? []) used += object.sizeBytes;
        token = page.nextPageToken;
      } while (token !== undefined);
    }
    return new BucketUsage(limit, used);
  }

  get limited(): boolean {
    return this.#limit > 0;
  }
  get used(): number {
    return this.#used;
  }
  /** Bytes still free, reservations deducted. */
  get available(): number {
    return this.limited ? Math.max(0, this.#limit - this.#used - this.#reserved) : Number.MAX_SAFE_INTEGER;
  }

  /** Hold `bytes` (an upload's declared size) up front. Throws BUCKET_FULL when they do not fit. */
  reserve(bytes: number): Reservation {
    const reservation = this.reserveAsReceived();
    reservation.growTo(bytes);
    return reservation;
  }

  /** Hold nothing yet: an undeclared upload calls {@link Reservation.growTo} before each chunk it stores. */
  reserveAsReceived(): Reservation {
    let held = 0;
    let released = false;
    return {
      get bytes() {
        return held;
      },
      growTo: (total: number): void => {
        if (released || total <= held) return;
        if (this.limited) {
          const free = this.available;
          if (total - held > free) {
            throw new StoreError(
              'BUCKET_FULL',
              `${total} bytes do not fit: ${held + free} of ${this.#limit} bytes are free`,
            );
          }
          this.#reserved += total - held;
        }
        held = total;
      },
      release: (): void => {
        if (released) return;
        released = true;
        if (this.limited) this.#reserved -= held;
      },
    };
  }

  /** An object of `bytes` was stored (replacing `replaced` bytes). */
  stored(bytes: number, replaced = 0): void {
    this.#used += bytes - replaced;
  }

  /** An object of `bytes` was deleted. */
  deleted(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
  }
}
