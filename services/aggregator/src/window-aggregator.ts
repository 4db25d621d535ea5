/**
 * What the aggregator does when window W begins (protocol §6): bring its replica from its state window s
 * up to θ_W, one window at a time. For each s < W, after adopting anything already published for s
 * (replay.ts), and — for s = W−1 only — after the upload slot (`uploadSlotMs` from W's arrival):
 *
 *   collect updates of s → aggregate against θ_s → sign → put `aggregates/<s>` → apply: θ_{s+1}
 *
 * The aggregation runs in this process or in the compressor (deps.aggregator, ADR 0014); either way
 * the bytes are signed here, and a failed aggregation (a compressor down or too slow) publishes nothing.
 *
 * A window without any valid update publishes no aggregate; θ_{s+1} = θ_s, and checkpoint s+1 is
 * published at once so miners waiting for A_s see a newer checkpoint and resync. Otherwise checkpoint
 * s+1 follows when s+1 is a multiple of `checkpointEveryWindows`. A checkpoint that failed to publish
 * is retried before the replica moves on, so it cannot be lost. Any failure ends the event with the
 * replica at its last good window; the next window event resumes there.
 *
 * Without any checkpoint in the store (restore found none), the first window event W anchors the seeded
 * state as θ_W and publishes it as the genesis checkpoint.
 */
import { aggregateKey } from '@cohort/core';
import { signObject } from '@cohort/native';

import type { Phase } from './aggregator-metrics.js';
import { publishCheckpoint } from './checkpoint-publisher.js';
import type { AggregatorDeps } from './deps.js';
import { NoValidPayloadsError } from './payload-aggregator.js';
import type { AggregateOutcome } from './payload-aggregator.js';
import { adoptPublished } from './replay.js';
import { CATCH_UP_SELECTION_WAIT_MS, awaitSelection } from './selection-wait.js';
import { collectUpdates } from './update-collector.js';
import type { CollectedUpdate, Exclusion } from './update-collector.js';

/** A window event as the loop received it. */
export interface WindowArrival {
  readonly window: number;
  /** Local clock when the event arrived: the upload slot of window−1 ends `uploadSlotMs` later. */
  readonly arrivedUnixMs: number;
}

/** Why a window published no aggregate. */
export type SkipReason = 'NO_UPDATES' | 'NO_VALID_UPDATES';

/** A failure with the phase it happened in, for logs and metrics. */
class PhaseError extends Error {
  constructor(
    readonly phase: Phase,
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

async function timed<T>(deps: AggregatorDeps, phase: Phase, fn: () => Promise<T>): Promise<T> {
  const done = deps.metrics.phase(phase);
  try {
    const out = await fn();
    done('ok');
    return out;
  } catch (error) {
    done('error');
    throw error instanceof PhaseError ? error : new PhaseError(phase, error);
  }
}

const exclusionsOf = (excluded: readonly Exclusion[]): { hotkey: string; reason: string; detail: string }[] =>
  excluded.map(({ hotkey, reason, detail }) => ({ hotkey, reason, detail }));

/** The per-window pipeline over one replica. One event at a time (the caller serialises). */
export class WindowAggregator {
  readonly #deps: AggregatorDeps;
  /** The checkpoint window the replica must publish before it moves on, if any. */
  #checkpointDue: number | undefined;

  constructor(deps: AggregatorDeps) {
    this.#deps = deps;
  }

  /** Handle window `event.window`: genesis, or every window from the replica's up to event.window − 1. */
  async onWindow(event: WindowArrival): Promise<void> {
    const { replica, log, metrics } = this.#deps;
    try {
      if (replica.window < 0) {
        await this.#genesis(event.window);
        return;
      }
      this.#dueIfPeriodic();
      await this.#settleCheckpoint();
      while (replica.window < event.window && !this.#deps.signal.aborted) {
        await this.#advance(event);
        await this.#settleCheckpoint();
      }
    } catch (error) {
      if (this.#deps.signal.aborted) return; // shutdown cut a wait or a transfer: resumed after restart
      const phase = error instanceof PhaseError ? error.phase : 'collect';
      const cause = error instanceof PhaseError ? error.cause : error;
      metrics.failed(phase);
      log.error('window_failed', { window: event.window, stateWindow: replica.window, phase, error: cause });
    }
  }

  async #genesis(window: number): Promise<void> {
    const { replica, log } = this.#deps;
    replica.anchor(window);
    this.#deps.metrics.stateWindow(window);
    log.info('aggregator_restored', { window, fingerprint: replica.fingerprint, from: 'genesis' });
    this.#checkpointDue = window;
    await this.#settleCheckpoint();
  }

  async #settleCheckpoint(): Promise<void> {
    if (this.#checkpointDue === undefined || this.#checkpointDue !== this.#deps.replica.window) return;
    await timed(this.#deps, 'checkpoint', () => publishCheckpoint(this.#deps));
    this.#checkpointDue = undefined;
  }

  /** Move the replica from s to s+1. */
  async #advance(event: WindowArrival): Promise<void> {
    const deps = this.#deps;
    const s = deps.replica.window;
    if ((await timed(deps, 'replay', () => adoptPublished(deps))) === undefined) {
      if (s === event.window - 1) await this.#waitForSlot(s, event);
      const { selectionWaitMs } = deps.settings;
      // A window being caught up still reads its selection (and polls briefly): the validator's
      // selection of an older window is there, or about to be, far more often than not.
      const waitMs =
        s === event.window - 1 ? selectionWaitMs : Math.min(selectionWaitMs, CATCH_UP_SELECTION_WAIT_MS);
      const selection = await awaitSelection(deps, s, waitMs);
      const collected = await timed(deps, 'collect', () => collectUpdates(deps, s, selection));
      if (collected.updates.length === 0) {
        this.#skip(s, collected.listed === 0 ? 'NO_UPDATES' : 'NO_VALID_UPDATES', collected.excluded);
      } else {
        await this.#aggregate(s, collected.updates, collected.excluded);
      }
    }
    deps.metrics.stateWindow(deps.replica.window);
    this.#dueIfPeriodic();
  }

  /**
   * A checkpoint is due when the state window is a multiple of `checkpointEveryWindows` and not yet
   * checkpointed (also right after a restore: a crash may have come between the aggregate and it).
   */
  #dueIfPeriodic(): void {
    const { replica, published, settings } = this.#deps;
    const window = replica.window;
    if (window % settings.checkpointEveryWindows === 0 && published.lastCheckpointWindow < window) {
      this.#checkpointDue = window;
    }
  }

  async #waitForSlot(window: number, event: WindowArrival): Promise<void> {
    const { clock, settings, log, signal } = this.#deps;
    const waitMs = event.arrivedUnixMs + settings.uploadSlotMs - clock.now();
    if (waitMs <= 0) return;
    log.info('upload_slot_waiting', { window, waitMs });
    await clock.sleep(waitMs, signal);
  }

  /** No aggregate for s: θ_{s+1} = θ_s, and checkpoint s+1 right away. */
  #skip(window: number, reason: SkipReason, excluded: readonly Exclusion[]): void {
    const { replica, log, metrics } = this.#deps;
    metrics.skipped(reason);
    metrics.contributors(0, excluded);
    log.info('aggregate_skipped', {
      window,
      reason,
      excluded: exclusionsOf(excluded),
      stateFingerprint: replica.fingerprint,
    });
    replica.carryOver();
    this.#checkpointDue = window + 1;
  }

  async #aggregate(window: number, updates: CollectedUpdate[], excluded: Exclusion[]): Promise<void> {
    const deps = this.#deps;
    const { replica, hotkey, log, metrics, runId } = deps;
    let result: AggregateOutcome;
    try {
      result = await timed(deps, 'aggregate', () =>
        deps.aggregator.aggregate(
          {
            runId,
            window,
            aggregatorKey: hotkey.publicKey,
            stateFingerprint: replica.fingerprintBytes,
            modelFingerprint: replica.engine.info().modelFingerprint,
            payloads: updates.map((u) => ({ hotkey: u.hotkey, publicKey: u.publicKey, bytes: u.bytes })),
          },
          deps.signal,
        ),
      );
    } catch (error) {
      if (!(error instanceof PhaseError && error.cause instanceof NoValidPayloadsError)) throw error;
      const refused = error.cause.contributors.map((c) => ({
        hotkey: updates[c.index]?.hotkey ?? '',
        reason: c.reason ?? 'UNKNOWN',
        detail: c.detail ?? '',
      }));
      this.#skip(window, 'NO_VALID_UPDATES', [...excluded, ...refused]);
      return;
    }
    const included: CollectedUpdate[] = [];
    const all = [...excluded];
    result.contributors.forEach((c) => {
      const update = updates[c.index];
      if (update === undefined) return;
      if (c.included) included.push(update);
      else all.push({ hotkey: update.hotkey, reason: c.reason ?? 'UNKNOWN', detail: c.detail ?? '' });
    });
    signObject(result.bytes, hotkey);
    const key = aggregateKey(runId, window);
    const { info } = await timed(deps, 'publish', () =>
      deps.store.put(key, result.bytes, {
        contentType: 'application/vnd.cohort.aggregate',
        signal: deps.signal,
      }),
    );
    const before = replica.fingerprint;
    await timed(deps, 'apply', () => replica.apply(result.bytes));
    metrics.aggregated(result.bytes.length);
    metrics.contributors(included.length, all);
    deps.published.aggregate({
      window,
      key,
      sizeBytes: result.bytes.length,
      blake2b256: info?.blake2b256 ?? new Uint8Array(),
      contributors: result.contributors.flatMap((c) =>
        c.included && c.hotkey !== null && c.digest !== null
          ? [{ hotkey: c.hotkey, payloadBlake2b256: c.digest }]
          : [],
      ),
    });
    log.info('aggregate_published', {
      window,
      key,
      included: included.map((u) => u.hotkey),
      excluded: exclusionsOf(all),
      bytes: result.bytes.length,
      aggregatedBy: deps.aggregator.kind,
      stateFingerprintBefore: before,
      stateFingerprintAfter: replica.fingerprint,
    });
  }
}
