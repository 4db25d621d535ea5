/**
 * The subnet's bucket commitments (protocol §7), as the store routes reads by them (ADR 0024): which
 * bucket each registered hotkey committed, refreshed from the chain-bridge every `refreshMs`. A refresh
 * that fails keeps the last good directory (commitments change rarely; a stale one only delays a new
 * miner's first reads); before the first good read every routed read is refused as unavailable, never
 * answered from the wrong bucket.
 */
import { CohortError, Code, checkPeerEndpoint } from '@cohort/core';
import type { PeerEndpointPolicy } from '@cohort/core';
import type { Logger } from '@cohort/kit';

import type { PeerBucket } from '../peers/peer-pool.js';

/** One commitment as the chain-bridge lists it (its `ListCommitments` answer, narrowed). */
export interface ListedCommitment {
  /** 4294967295: the hotkey holds no uid on the subnet (any more). */
  readonly uid: number;
  readonly hotkey: string;
  /** Set when the raw bytes decoded as a cohort bucket commitment. */
  readonly bucket?: PeerBucket | undefined;
  /** Why they did not ('' when they did). */
  readonly decodeError: string;
}

/** What the directory knows of one hotkey. */
export type CommittedBucket =
  | { readonly kind: 'bucket'; readonly bucket: PeerBucket }
  /** Committed, but not readable: not a cohort commitment, or an endpoint the policy forbids. */
  | { readonly kind: 'unusable'; readonly reason: string; readonly why: string };

/** The uid the chain-bridge reports for a hotkey without one. */
export const NO_UID = 4294967295;

/** Options of {@link CommitmentDirectory}. */
export interface CommitmentDirectoryOptions {
  /** One read of every commitment of the subnet (the chain-bridge's ListCommitments). */
  readonly fetch: (signal: AbortSignal) => Promise<readonly ListedCommitment[]>;
  readonly refreshMs: number;
  readonly policy: PeerEndpointPolicy;
  readonly log: Logger;
  readonly now?: () => number;
  /** Called after each refresh attempt (metrics). */
  readonly onRefresh?: (ok: boolean, entries: number) => void;
}

/** The subnet's commitments by hotkey, kept fresh in the background. */
export class CommitmentDirectory {
  readonly #o: CommitmentDirectoryOptions;
  readonly #now: () => number;
  readonly #stop = new AbortController();
  #entries: ReadonlyMap<string, CommittedBucket> | undefined;
  #loadedAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #pass: Promise<void> | undefined;

  constructor(options: CommitmentDirectoryOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /** Read now and then every `refreshMs` until {@link stop}. Resolves after the first attempt. */
  async start(): Promise<void> {
    await this.refresh();
    this.#timer = setInterval(() => void this.refresh(), this.#o.refreshMs);
    this.#timer.unref();
  }

  /** One read (a read already under way is joined, not doubled). */
  refresh(): Promise<void> {
    this.#pass ??= this.#read().finally(() => {
      this.#pass = undefined;
    });
    return this.#pass;
  }

  /** Stop refreshing; waits for a read under way. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#stop.abort();
    await this.#pass;
  }

  /** True once one read succeeded. */
  get loaded(): boolean {
    return this.#entries !== undefined;
  }

  /** Milliseconds since the last successful read (Infinity before one). */
  get ageMs(): number {
    return this.#entries === undefined ? Number.POSITIVE_INFINITY : this.#now() - this.#loadedAt;
  }

  /**
   * What `hotkey` committed: undefined when it committed nothing (or holds no uid). Throws Unavailable
   * (reason `COMMITMENTS_UNAVAILABLE`) before the first successful read.
   */
  lookup(hotkey: string): CommittedBucket | undefined {
    return this.#current().get(hotkey);
  }

  /** Every registered hotkey with a commitment, and what it committed. Throws like {@link lookup}. */
  all(): ReadonlyMap<string, CommittedBucket> {
    return this.#current();
  }

  #current(): ReadonlyMap<string, CommittedBucket> {
    if (this.#entries === undefined) {
      throw new CohortError(
        Code.Unavailable,
        'the bucket commitments have not been read from the chain-bridge yet; retry shortly',
        { reason: 'COMMITMENTS_UNAVAILABLE' },
      );
    }
    return this.#entries;
  }

  async #read(): Promise<void> {
    try {
      const listed = await this.#o.fetch(this.#stop.signal);
      const entries = new Map<string, CommittedBucket>();
      for (const c of listed) {
        if (c.uid === NO_UID) continue; // deregistered: its old commitment routes nothing
        entries.set(c.hotkey, this.#entry(c));
      }
      const first = this.#entries === undefined;
      this.#entries = entries;
      this.#loadedAt = this.#now();
      if (first) this.#o.log.info('commitments_loaded', { hotkeys: entries.size });
      this.#o.onRefresh?.(true, entries.size);
    } catch (error) {
      if (this.#stop.signal.aborted) return;
      this.#o.log.warn('commitments_read_failed', {
        error: error instanceof Error ? error.message : String(error),
        loaded: this.loaded,
      });
      this.#o.onRefresh?.(false, this.#entries?.size ?? 0);
    }
  }

  #entry(c: ListedCommitment): CommittedBucket {
    if (c.bucket === undefined || c.bucket.endpoint === '') {
      return {
        kind: 'unusable',
        reason: 'COMMITMENT_INVALID',
        why: `its commitment is not a cohort bucket commitment (${c.decodeError || 'no bucket'})`,
      };
    }
    try {
      checkPeerEndpoint(c.bucket.endpoint, this.#o.policy);
    } catch (error) {
      const e = error as CohortError;
      return { kind: 'unusable', reason: e.reason ?? 'PEER_ENDPOINT_FORBIDDEN', why: e.message };
    }
    return { kind: 'bucket', bucket: c.bucket };
  }
}
