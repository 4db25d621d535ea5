/**
 * The one way a miner fetches an aggregate it is about to apply (the wait and the resync replay alike):
 * kit's fetchTrustedAggregate (signer and selection, ADR 0013 layer 2), then, on the windows core's
 * {@link auditSampled} picks for this miner, the re-derivation (layer 3) on its gpu-worker, which holds
 * the engine and reaches the run's store — so the coordinator stays free of native code and a wrong
 * value or index signed by the trusted aggregator itself is caught by whichever miners audit that window.
 *
 * A failed audit is a refusal like any other: {@link AggregateRefused} with DERIVATION_MISMATCH,
 * PAYLOAD_MISMATCH or PAYLOAD_MISSING, which the callers log and count as `aggregate_refused`. An audit
 * that cannot run (worker or store unreachable, the worker has no store, `auditTimeoutMs` passed) must
 * not stall the miner: it is logged (`aggregate_audit_failed`), counted (`skipped_error`) and the trusted
 * aggregate is applied, which is what a miner not sampling that window does anyway. Verdicts are kept per
 * (window, aggregate digest), so polling a refused aggregate does not download its payloads again, and a
 * different object for the same window is audited afresh.
 */
import { AGGREGATE_REFUSALS, AggregateRefused, auditSampled } from '@cohort/core';
import type { AggregateRefusal, AggregateTrust } from '@cohort/core';
import { fetchTrustedAggregate } from '@cohort/kit';
import type { Logger, StoreClient, TrustedAggregate } from '@cohort/kit';

import type { MinerMetrics } from './miner-metrics.js';
import type { WorkerLink } from './worker-link.js';

/** Where a miner gets the aggregate of a window it applies. */
export interface AggregateSource {
  /**
   * Window `window`'s aggregate when published, trusted and (when sampled) audited; undefined while
   * not published. Throws {@link AggregateRefused} for one that must not be applied, or the store's error.
   */
  fetch(window: number, signal: AbortSignal): Promise<TrustedAggregate | undefined>;
}

/** What {@link AuditedAggregates} needs. */
export interface AuditedAggregatesOptions {
  readonly runId: string;
  /** SS58 of this miner's hotkey: miners audit different windows. */
  readonly hotkey: string;
  readonly trust: AggregateTrust;
  /** The coordinator's `auditRate`. */
  readonly rate: number;
  /** Random bytes drawn once per process: the aggregator cannot predict which windows are audited. */
  readonly salt: Uint8Array;
  readonly timeoutMs: number;
  readonly store: StoreClient;
  readonly worker: Pick<WorkerLink, 'verify'>;
  readonly log: Logger;
  readonly metrics: Pick<MinerMetrics, 'audited'>;
}

/** Verdicts remembered (per window and digest); a miner looks at a handful of windows at a time. */
const REMEMBERED = 16;

const refusalOf = (reason: string): AggregateRefusal =>
  (AGGREGATE_REFUSALS as readonly string[]).includes(reason)
    ? (reason as AggregateRefusal)
    : 'DERIVATION_MISMATCH';

/** Trusted, and audited on the sampled windows; see the module comment. */
export class AuditedAggregates implements AggregateSource {
  readonly #o: AuditedAggregatesOptions;
  /** `<window>/<digest hex>` → the refusal, or null when the audit passed. */
  readonly #verdicts = new Map<string, AggregateRefused | null>();

  constructor(options: AuditedAggregatesOptions) {
    this.#o = options;
  }

  /** Whether this miner audits `window`. */
  sampled(window: number): boolean {
    const { runId, hotkey, rate, salt } = this.#o;
    return auditSampled({ runId, hotkey, window, rate, salt });
  }

  async fetch(window: number, signal: AbortSignal): Promise<TrustedAggregate | undefined> {
    const { store, runId, trust } = this.#o;
    const trusted = await fetchTrustedAggregate({ store, runId, trust, signal }, window);
    if (trusted === undefined || !this.sampled(window)) return trusted;
    const key = `${window}/${Buffer.from(trusted.envelope.digest).toString('hex')}`;
    let verdict = this.#verdicts.get(key);
    if (verdict === undefined) {
      const audited = await this.#audit(window, trusted.bytes, signal);
      if (audited === undefined) return trusted; // could not run: logged, counted, applied
      verdict = audited;
      this.#verdicts.set(key, verdict);
      for (const old of this.#verdicts.keys()) {
        if (this.#verdicts.size <= REMEMBERED) break;
        this.#verdicts.delete(old);
      }
    }
    if (verdict !== null) throw verdict;
    return trusted;
  }

  /** Re-derive on the worker: null (passed), the refusal, or undefined when it could not run. */
  async #audit(
    window: number,
    bytes: Uint8Array,
    signal: AbortSignal,
  ): Promise<AggregateRefused | null | undefined> {
    const { worker, runId, timeoutMs, log, metrics } = this.#o;
    let outcome;
    try {
      outcome = await worker.verify(runId, window, bytes, { timeoutMs, signal });
    } catch (error) {
      if (signal.aborted) throw error; // stopping: nothing to count
      metrics.audited('skipped_error');
      log.warn('aggregate_audit_failed', {
        window,
        error: String(error),
        detail: 'the audit could not run; the trusted aggregate is applied',
      });
      return undefined;
    }
    const { contributors, payloadBytes } = outcome;
    if (outcome.matches) {
      metrics.audited('passed');
      log.info('aggregate_audited', { window, result: 'passed', contributors, payloadBytes });
      return null;
    }
    metrics.audited('refused');
    const reason = refusalOf(outcome.reason);
    log.info('aggregate_audited', { window, result: 'refused', reason, contributors, payloadBytes });
    return new AggregateRefused(reason, `audit: ${outcome.detail}`, { window });
  }
}
