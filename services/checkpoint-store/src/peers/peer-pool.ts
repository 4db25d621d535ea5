/**
 * Read-only clients for other operators' buckets, keyed by their committed endpoint and credentials.
 * Each peer gets its own backend, a concurrency limit and retries; a slow or hostile peer only ever
 * holds its own slots. Idle peers are closed after `idleMs`.
 */
import type { ObjectBackend } from '../backends/backend.js';
import { withRetries } from './retry.js';
import type { RetryPolicy } from './retry.js';
import { Semaphore } from './semaphore.js';

/** A peer's bucket as committed on chain (protocol §7). */
export interface PeerBucket {
  readonly endpoint: string;
  readonly bucket: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly pathStyle: boolean;
}

/** Pool settings. */
export interface PeerPoolOptions {
  /** Creates the read-only backend of one peer (S3, or file:// on the devnet). */
  readonly createBackend: (peer: PeerBucket) => Promise<ObjectBackend>;
  readonly concurrencyPerPeer: number;
  readonly retry: RetryPolicy;
  readonly maxPeers: number;
  readonly idleMs: number;
  readonly now?: () => number;
}

interface PeerEntry {
  readonly backend: Promise<ObjectBackend>;
  readonly semaphore: Semaphore;
  lastUsed: number;
}

/** The identity of a peer's bucket: endpoint, bucket and access key (a new key is a new client). */
export function peerId(peer: PeerBucket): string {
  return `${peer.endpoint}|${peer.bucket}|${peer.region}|${peer.accessKeyId}|${peer.pathStyle ? 'path' : 'vhost'}`;
}

export class PeerPool {
  readonly #options: PeerPoolOptions;
  readonly #peers = new Map<string, PeerEntry>();
  readonly #now: () => number;

  constructor(options: PeerPoolOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#peers.size;
  }

  /** Run one read against `peer` within its concurrency limit, with retries for transient failures. */
  run<T>(peer: PeerBucket, fn: (backend: ObjectBackend) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const entry = this.#entry(peer);
    return entry.semaphore.run(
      () => withRetries(async () => fn(await entry.backend), this.#options.retry, signal),
      signal,
    );
  }

  /**
   * Like {@link run} for a read whose body streams after `fn` resolves: the slot is held until the body
   * is consumed or fails, `signal` aborts, or the caller calls `release` (idempotent; call it in a
   * `finally`), so a long download stays within the peer's concurrency and its client is never closed as
   * idle under it.
   */
  async runStreaming<M>(
    peer: PeerBucket,
    fn: (backend: ObjectBackend) => Promise<{ meta: M; body: AsyncIterable<Uint8Array> }>,
    signal?: AbortSignal,
  ): Promise<{ meta: M; body: AsyncIterable<Uint8Array>; release: () => void }> {
    const entry = this.#entry(peer);
    const release = await entry.semaphore.acquire(signal);
    let released = false;
    const done = (): void => {
      if (released) return;
      released = true;
      signal?.removeEventListener('abort', done);
      entry.lastUsed = this.#now();
      release();
    };
    signal?.addEventListener('abort', done, { once: true });
    try {
      const { meta, body } = await withRetries(
        async () => fn(await entry.backend),
        this.#options.retry,
        signal,
      );
      return { meta, body: holding(body, done), release: done };
    } catch (error) {
      done();
      throw error;
    }
  }

  /** Close peers idle for longer than `idleMs`. */
  async sweep(): Promise<void> {
    const cutoff = this.#now() - this.#options.idleMs;
    const idle = [...this.#peers].filter(([, e]) => e.lastUsed < cutoff && e.semaphore.held === 0);
    for (const [id] of idle) this.#peers.delete(id);
    await Promise.allSettled(idle.map(async ([, e]) => (await e.backend).close()));
  }

  async close(): Promise<void> {
    const all = [...this.#peers.values()];
    this.#peers.clear();
    await Promise.allSettled(all.map(async (e) => (await e.backend).close()));
  }

  #entry(peer: PeerBucket): PeerEntry {
    const id = peerId(peer);
    let entry = this.#peers.get(id);
    if (entry === undefined) {
      if (this.#peers.size >= this.#options.maxPeers) this.#evictOldestIdle();
      const backend = this.#options.createBackend(peer);
      backend.catch(() => this.#peers.delete(id)); // a client that cannot be made is not cached
      entry = {
        backend,
        semaphore: new Semaphore(this.#options.concurrencyPerPeer),
        lastUsed: this.#now(),
      };
      this.#peers.set(id, entry);
    }
    entry.lastUsed = this.#now();
    return entry;
  }

  #evictOldestIdle(): void {
    let oldest: [string, PeerEntry] | undefined;
    for (const item of this.#peers) {
      if (item[1].semaphore.held === 0 && (oldest === undefined || item[1].lastUsed < oldest[1].lastUsed))
        oldest = item;
    }
    if (oldest === undefined) return;
    this.#peers.delete(oldest[0]);
    void oldest[1].backend.then((b) => b.close()).catch(() => undefined);
  }
}

/** `body`, calling `done` once it ends, fails or is closed early. */
async function* holding(body: AsyncIterable<Uint8Array>, done: () => void): AsyncGenerator<Uint8Array> {
  try {
    yield* body;
  } finally {
    done();
  }
}
