/**
 * The per-bucket size limit: bytes stored in this operator's bucket, measured by a listing at start and
 * kept current by this store's puts, deletes and retention. Uploads reserve capacity up front (their
 * declared size, or at most what is left), so concurrent puts cannot together pass the limit.
 * Objects written into the bucket behind this store's back are only seen at the next start.
 */
import { StoreError } from './backends/backend.js';
import type { ObjectBackend } from './backends/backend.js';

export class BucketUsage {
  readonly #limit: number;
  #used: number;
  #reserved = 0;

  private constructor(limit: number, used: number) {
    this.#limit = limit;
    this.#used = used;
  }

  /** Sum the sizes of everything in the bucket. `limit` 0 means unlimited (no listing is made). */
  static async measure(backend: ObjectBackend, limit: number): Promise<BucketUsage> {
    let used = 0;
    if (limit > 0) {
      let token: string | undefined;
      do {
        const page = await backend.list('', token);
        for (const meta of page.objects) used += meta.sizeBytes;
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

  /**
   * Reserve capacity for one upload: `bytes` when its size is declared, else everything up to `cap`.
   * Throws BUCKET_FULL when a declared size does not fit. Returns the reserved amount and its release.
   */
  reserve(bytes: number | undefined, cap: number): { bytes: number; release: () => void } {
    if (!this.limited) return { bytes: cap, release: () => undefined };
    const free = this.available;
    if (bytes !== undefined && bytes > free) {
      throw new StoreError(
        'BUCKET_FULL',
        `${bytes} bytes do not fit: ${free} of ${this.#limit} bytes are free`,
      );
    }
    const amount = Math.min(bytes ?? cap, free, cap);
    this.#reserved += amount;
    let released = false;
    return {
      bytes: amount,
      release: () => {
        if (!released) this.#reserved -= amount;
        released = true;
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
