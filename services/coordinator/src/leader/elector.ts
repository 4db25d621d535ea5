/**
 * Leader election for coordinator replicas: exactly one replica acts as leader (publishes selections and
 * weights), the others stand by and take over when the leader dies or steps down. The loop is client-go's:
 * every `retryPeriodMs` read the lease, decide with `decideLease` (@cohort/core) and write with optimistic
 * concurrency; a leader that cannot renew for `renewDeadlineMs` steps down before its lease can expire
 * anywhere else (`leaseDurationMs`), so two replicas never act as leader at once.
 *
 * Where the lease lives is a {@link LeaseStore}: a Kubernetes Lease in a cluster, a lock directory on one host.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  Code,
  CohortError,
  IllegalStateError,
  InvalidArgumentError,
  decideLease,
  expectedMessage,
  releaseLease,
} from '@cohort/core';
import type { LeaseRecord } from '@cohort/core';

/** A lease record with the store's opaque version (Kubernetes `resourceVersion`, the lock file counter). */
export interface VersionedLease {
  readonly record: LeaseRecord;
  readonly version: string;
}

/**
 * Where the lease lives. Implementations compare-and-swap on `version` and report a lost race as
 * `undefined`, never as an error; errors (unreachable, forbidden) are CohortErrors.
 */
export interface LeaseStore {
  /** For logs: which lease this is (`kubernetes lease ns/name`, `lock /dir/name`). */
  readonly description: string;
  /** The current record, or `undefined` when none exists. */
  get(): Promise<VersionedLease | undefined>;
  /**
   * Write `record` if the lease is still at `expectedVersion` (`undefined`: create, none may exist).
   * Resolves the new versioned record, or `undefined` when someone else wrote first (conflict).
   */
  write(record: LeaseRecord, expectedVersion: string | undefined): Promise<VersionedLease | undefined>;
}

/** Time for the elector, injected so tests run on a fake clock. */
export interface ElectorClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or as soon as `signal` aborts (never rejects). */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/** The process clock: `Date.now()` and `setTimeout`. */
export const systemClock: ElectorClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done);
    }),
};

/** What the service sees of an election. */
export interface LeaderElector {
  /** Start campaigning (idempotent). Throws `ELECTOR_STOPPED` after {@link LeaderElector.stop}. */
  start(): void;
  /** Stop: step down (`onChange(false)` first) and release the lease if held, so another takes over at once. */
  stop(): Promise<void>;
  /** Whether this replica may act as leader now. */
  readonly isLeader: boolean;
  /** Called on every change of {@link LeaderElector.isLeader}; returns an unsubscribe function. */
  onChange(callback: (isLeader: boolean) => void): () => void;
}

/** Options of {@link createLeaderElector}. Timing defaults follow client-go (15 s / 10 s / 2 s). */
export interface LeaderElectorOptions {
  readonly store: LeaseStore;
  /** Unique among the candidates; see {@link defaultLeaderIdentity}. */
  readonly identity: string;
  /** How long a renewal is valid for followers; whole seconds (the Lease field's unit). Default 15000. */
  readonly leaseDurationMs?: number;
  /** The leader steps down when it has not renewed for this long; < leaseDurationMs. Default 10000. */
  readonly renewDeadlineMs?: number;
  /** Pause between attempts; < renewDeadlineMs. Default 2000. */
  readonly retryPeriodMs?: number;
  readonly clock?: ElectorClock;
  /** Store failures, missed deadlines and throwing callbacks, for logs; the loop carries on. */
  readonly onError?: (error: CohortError) => void;
}

/** `<hostname>_<uuid>`: unique per process, like client-go's default. Prefer the pod name in a cluster. */
export function defaultLeaderIdentity(): string {
  return `${hostname()}_${randomUUID()}`;
}

function requireTiming(options: LeaderElectorOptions): [number, number, number] {
  const lease = options.leaseDurationMs ?? 15_000;
  const deadline = options.renewDeadlineMs ?? 10_000;
  const retry = options.retryPeriodMs ?? 2_000;
  const fail = (expected: string, what: string, value: number): never => {
    throw new InvalidArgumentError(expectedMessage(expected, what, value), { reason: 'BAD_LEADER_TIMING' });
  };
  if (!Number.isSafeInteger(lease) || lease < 1000 || lease % 1000 !== 0)
    fail('a whole number of seconds in ms (>= 1000)', 'leaseDurationMs', lease);
  if (!Number.isSafeInteger(deadline) || deadline < 1 || deadline >= lease)
    fail(`an integer in [1, leaseDurationMs=${lease})`, 'renewDeadlineMs', deadline);
  if (!Number.isSafeInteger(retry) || retry < 1 || retry >= deadline)
    fail(`an integer in [1, renewDeadlineMs=${deadline})`, 'retryPeriodMs', retry);
  if (typeof options.identity !== 'string' || options.identity.length === 0) {
    throw new InvalidArgumentError(expectedMessage('a non-empty string', 'identity', options.identity), {
      reason: 'BAD_IDENTITY',
    });
  }
  return [lease, deadline, retry];
}

/** The lease-based {@link LeaderElector}; {@link LeaseLeaderElector.tick} is public for fake-clock tests. */
export class LeaseLeaderElector implements LeaderElector {
  readonly identity: string;
  readonly #store: LeaseStore;
  readonly #clock: ElectorClock;
  readonly #onError: (error: CohortError) => void;
  readonly #leaseSeconds: number;
  readonly #renewDeadlineMs: number;
  readonly #retryPeriodMs: number;
  readonly #listeners = new Set<(isLeader: boolean) => void>();
  readonly #abort = new AbortController();
  #leader = false;
  #holder: string | undefined;
  #lastRenewMs = 0;
  #observed: { version: string | undefined; atMs: number } | undefined;
  #pending: Promise<void> | undefined;
  #loop: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;

  constructor(options: LeaderElectorOptions) {
    const [lease, deadline, retry] = requireTiming(options);
    this.identity = options.identity;
    this.#store = options.store;
    this.#clock = options.clock ?? systemClock;
    this.#onError = options.onError ?? (() => undefined);
    this.#leaseSeconds = lease / 1000;
    this.#renewDeadlineMs = deadline;
    this.#retryPeriodMs = retry;
  }

  get isLeader(): boolean {
    return this.#leader;
  }

  /** The holder seen at the last read (`undefined` before the first, `''` when released). */
  get holderIdentity(): string | undefined {
    return this.#holder;
  }

  onChange(callback: (isLeader: boolean) => void): () => void {
    this.#listeners.add(callback);
    return () => void this.#listeners.delete(callback);
  }

  start(): void {
    if (this.#stopping !== undefined)
      throw new IllegalStateError('The leader elector was stopped', { reason: 'ELECTOR_STOPPED' });
    if (this.#loop !== undefined) return;
    const signal = this.#abort.signal;
    this.#loop = (async () => {
      while (!signal.aborted) {
        await this.tick();
        await this.#clock.sleep(this.#retryPeriodMs, signal);
      }
    })();
  }

  /**
   * One round: read, decide, write (at most one round in flight). A leader's round is cut at its renew
   * deadline, so a hung API call cannot keep a stale leader acting; stop() cuts any round.
   */
  async tick(): Promise<void> {
    this.#enforceDeadline();
    this.#pending ??= this.#attempt()
      .catch((error: unknown) => this.#report(CohortError.from(error, Code.Unavailable)))
      .finally(() => (this.#pending = undefined));
    const cut = new AbortController();
    const waits = [this.#pending, this.#whenAborted(cut.signal)];
    if (this.#leader) {
      const left = this.#lastRenewMs + this.#renewDeadlineMs - this.#clock.now();
      waits.push(this.#clock.sleep(Math.max(0, left), cut.signal));
    }
    await Promise.race(waits);
    cut.abort();
    this.#enforceDeadline();
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#abort.abort();
      await this.#loop;
      this.#setLeader(false);
      const budget = new AbortController();
      await Promise.race([
        this.#release(),
        this.#clock.sleep(this.#renewDeadlineMs, budget.signal).then(() => {
          if (budget.signal.aborted) return; // released in time
          this.#report(
            new CohortError(
              Code.DeadlineExceeded,
              'Releasing the lease timed out',
              this.#why('LEASE_RELEASE_TIMEOUT'),
            ),
          );
        }),
      ]);
      budget.abort();
    })();
    return this.#stopping;
  }

  async #attempt(): Promise<void> {
    const current = await this.#store.get();
    const nowMs = this.#clock.now();
    if (this.#observed?.version !== current?.version || this.#observed === undefined) {
      this.#observed = { version: current?.version, atMs: nowMs };
    }
    this.#holder = current?.record.holderIdentity;
    const decision = decideLease({
      current: current?.record,
      identity: this.identity,
      nowMs,
      leaseDurationSeconds: this.#leaseSeconds,
      observedAtMs: this.#observed.atMs,
    });
    if (decision.action === 'follow') {
      this.#setLeader(false);
      return;
    }
    if (this.#abort.signal.aborted) return;
    const written = await this.#store.write(decision.record, current?.version);
    if (written === undefined) return; // someone else won this round; the next read says who
    this.#observed = { version: written.version, atMs: nowMs };
    this.#holder = this.identity;
    if (this.#abort.signal.aborted || this.#clock.now() - nowMs >= this.#renewDeadlineMs) return;
    this.#lastRenewMs = nowMs;
    this.#setLeader(true);
  }

  #enforceDeadline(): void {
    if (!this.#leader || this.#clock.now() - this.#lastRenewMs < this.#renewDeadlineMs) return;
    this.#setLeader(false);
    this.#report(
      new CohortError(
        Code.DeadlineExceeded,
        `No lease renewal within ${this.#renewDeadlineMs} ms; stepping down`,
        this.#why('LEASE_RENEW_DEADLINE'),
      ),
    );
  }

  async #release(): Promise<void> {
    try {
      await this.#pending;
      const current = await this.#store.get();
      const released = releaseLease(current?.record, this.identity, this.#clock.now());
      if (current !== undefined && released !== undefined) await this.#store.write(released, current.version);
    } catch (error) {
      this.#report(CohortError.from(error, Code.Unavailable));
    }
  }

  #setLeader(value: boolean): void {
    if (this.#leader === value) return;
    this.#leader = value;
    for (const listener of [...this.#listeners]) {
      try {
        listener(value);
      } catch (error) {
        this.#report(CohortError.from(error, Code.Internal));
      }
    }
  }

  #whenAborted(cut: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.#abort.signal;
      if (signal.aborted) return resolve();
      const done = () => {
        signal.removeEventListener('abort', done);
        cut.removeEventListener('abort', done);
        resolve();
      };
      signal.addEventListener('abort', done);
      cut.addEventListener('abort', done);
    });
  }

  #why(reason: string) {
    return { reason, details: { lease: this.#store.description, identity: this.identity } };
  }

  #report(error: CohortError): void {
    try {
      this.#onError(error);
    } catch {
      // A throwing error sink must not break the election loop.
      return;
    }
  }
}

/** A lease-based elector over `options.store`; validates timing (`BAD_LEADER_TIMING`) and identity. */
export function createLeaderElector(options: LeaderElectorOptions): LeaseLeaderElector {
  return new LeaseLeaderElector(options);
}
