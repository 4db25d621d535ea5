/**
 * The seam between the window loop and whatever turns a window's payloads into the unsigned aggregate:
 * the engine in this process (in-process-aggregator.ts) or the compressor service
 * (remote-aggregator.ts, ADR 0014). The loop signs, publishes and applies the result, so both must give
 * the same bytes and the same verdicts for the same payloads; which one ran is named by `kind` in logs.
 */
import { CohortError, Code } from '@cohort/core';

/** One payload of the selection, in hotkey (selection) order. */
export interface SelectedPayload {
  /** SS58 of the miner that must have signed it. */
  readonly hotkey: string;
  readonly publicKey: Uint8Array;
  readonly bytes: Uint8Array;
}

/** What to aggregate and what the aggregate's header must say. */
export interface AggregateRequest {
  readonly runId: string;
  readonly window: number;
  /** The aggregator's public key, written into the header (signing stays with the caller). */
  readonly aggregatorKey: Uint8Array;
  /** θ_w's fingerprint (32 bytes): payloads of another state are excluded (WRONG_STATE). */
  readonly stateFingerprint: Uint8Array;
  /**
   * The replica's model fingerprint (32 bytes): payloads of another model are excluded (WRONG_MODEL),
   * even when they are the window's majority, so no aggregate is built that the replicas cannot apply.
   */
  readonly modelFingerprint: Uint8Array;
  readonly payloads: readonly SelectedPayload[];
}

/** What became of payload `index` of the request. */
export interface ContributorVerdict {
  readonly index: number;
  readonly included: boolean;
  /** The codec's reason code when excluded; null when included. */
  readonly reason: string | null;
  readonly detail: string | null;
  /** SS58 of the contributor and its update digest (trailer hash); null when it did not decode. */
  readonly hotkey: string | null;
  readonly digest: Uint8Array | null;
}

/** The unsigned aggregate of a window and a verdict per requested payload, by index. */
export interface AggregateOutcome {
  readonly bytes: Uint8Array;
  readonly contributors: readonly ContributorVerdict[];
}

/** Where the aggregation ran, for logs: `in-process` (the engine here) or `compressor` (the service). */
export type AggregatorKind = 'in-process' | 'compressor';

/** Turns a window's selected payloads into its unsigned aggregate. */
export interface PayloadAggregator {
  readonly kind: AggregatorKind;
  /**
   * The aggregate of `request.payloads`; throws {@link NoValidPayloadsError} when none is valid (the
   * window is skipped) and any other error when aggregation could not run (the window is retried).
   */
  aggregate(request: AggregateRequest, signal: AbortSignal): Promise<AggregateOutcome>;
  /** Release connections (shutdown). */
  close(): void;
}

/**
 * No payload of the window was valid, so there is no aggregate: the loop skips the window
 * (`NO_VALID_UPDATES`) with each payload's verdict, whichever aggregator found it.
 */
export class NoValidPayloadsError extends CohortError {
  override readonly name: string = 'NoValidPayloadsError';
  readonly contributors: readonly ContributorVerdict[];
  constructor(contributors: readonly ContributorVerdict[], options: { readonly cause?: unknown } = {}) {
    super(Code.FailedPrecondition, `none of the ${contributors.length} payloads is valid`, {
      reason: 'NO_VALID_UPDATES',
      details: { payloads: contributors.length },
      cause: options.cause,
    });
    this.contributors = contributors;
  }
}
