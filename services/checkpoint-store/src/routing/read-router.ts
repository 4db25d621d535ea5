/**
 * Reads that name no bucket go to the bucket of the key's owner (ADR 0024): an update to its miner's
 * committed bucket, aggregates, checkpoints and LATEST to the run aggregator's, selections to the
 * followed validator's (core's {@link keyOwner}); so every service reads "the run" through its own store
 * and an operator's bucket holds only what that operator wrote. An owner without a commitment, or whose
 * commitment is this operator's own bucket, is read here: a devnet or a run sharing one bucket works
 * unchanged, and so does an operator reading back what it wrote.
 */
import { CohortError, Code, keyOwner, prefixOwner } from '@cohort/core';
import type { KeyOwner, RunRoles } from '@cohort/core';

import type { PeerBucket } from '../peers/peer-pool.js';
import type { CommitmentDirectory } from './commitment-directory.js';

/** An operator's bucket as commitments name it. */
export interface BucketIdentity {
  readonly endpoint: string;
  readonly bucket: string;
}

/** Where a listing goes. */
export type ListRoute =
  | { readonly kind: 'own' }
  | { readonly kind: 'peer'; readonly peer: PeerBucket }
  /**
   * A window's updates: this operator's listing, keeping only hotkeys read here (`ownHotkey`), and
   * each miner's own key in its committed bucket (`peers`).
   */
  | {
      readonly kind: 'updates';
      readonly ownHotkey: (hotkey: string) => boolean;
      readonly peers: ReadonlyArray<{ readonly hotkey: string; readonly peer: PeerBucket }>;
    };

/** Normalized `scheme://host[:port]` (or `file:///path`) without a trailing slash, for comparisons. */
export function normalizeEndpoint(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    if (url.protocol === 'file:') return `file://${url.pathname.replace(/\/+$/, '')}`;
    return `${url.protocol}//${url.host}`.toLowerCase();
  } catch {
    return endpoint.replace(/\/+$/, '').toLowerCase();
  }
}

/** Routes reads by key ownership; see the module comment. */
export class ReadRouter {
  readonly #roles: RunRoles;
  readonly #directory: CommitmentDirectory | undefined;
  readonly #own: BucketIdentity | undefined;

  /**
   * `directory` undefined: routing is off (no chain-bridge configured) and every read is of this
   * operator's bucket. `own`: this operator's bucket as a commitment would name it.
   */
  constructor(roles: RunRoles, directory: CommitmentDirectory | undefined, own: BucketIdentity | undefined) {
    this.#roles = roles;
    this.#directory = directory;
    this.#own = own === undefined ? undefined : { ...own, endpoint: normalizeEndpoint(own.endpoint) };
  }

  /** True when reads are routed by commitments. */
  get enabled(): boolean {
    return this.#directory !== undefined;
  }

  /** The peer bucket a read of `key` goes to, or undefined for this operator's own. */
  route(key: string): PeerBucket | undefined {
    return this.#byOwner(keyOwner(key, this.#roles));
  }

  /** Where a listing of `prefix` goes. */
  routeList(prefix: string): ListRoute {
    const owner = prefixOwner(prefix, this.#roles);
    if (owner.kind !== 'updates') {
      const peer = this.#byOwner(owner);
      return peer === undefined ? { kind: 'own' } : { kind: 'peer', peer };
    }
    if (this.#directory === undefined) return { kind: 'own' };
    const all = this.#directory.all();
    const peers: Array<{ hotkey: string; peer: PeerBucket }> = [];
    for (const [hotkey, committed] of all) {
      if (committed.kind === 'bucket' && !this.#isOwn(committed.bucket)) {
        peers.push({ hotkey, peer: committed.bucket });
      }
    }
    // A hotkey read elsewhere (another bucket, or an unusable commitment) is not read from ours.
    const ownHotkey = (hotkey: string): boolean => {
      const committed = all.get(hotkey);
      return committed === undefined || (committed.kind === 'bucket' && this.#isOwn(committed.bucket));
    };
    return { kind: 'updates', ownHotkey, peers };
  }

  #byOwner(owner: KeyOwner): PeerBucket | undefined {
    if (owner.kind !== 'hotkey' || this.#directory === undefined) return undefined;
    const committed = this.#directory.lookup(owner.hotkey);
    if (committed === undefined) return undefined;
    if (committed.kind === 'unusable') {
      throw new CohortError(
        Code.PermissionDenied,
        `the bucket of ${owner.hotkey} cannot be read: ${committed.why}`,
        { reason: committed.reason },
      );
    }
    return this.#isOwn(committed.bucket) ? undefined : committed.bucket;
  }

  #isOwn(bucket: PeerBucket): boolean {
    return (
      this.#own !== undefined &&
      bucket.bucket === this.#own.bucket &&
      normalizeEndpoint(bucket.endpoint) === this.#own.endpoint
    );
  }
}
