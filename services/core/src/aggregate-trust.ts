/**
 * Whether a replica may apply an aggregate (protocol §6): the cheap checks every replica runs on every
 * aggregate before its engine sees it — the object names the run and window asked for (and θ_w when the
 * replica knows it), it is signed by the aggregator the replica trusts, and every contributor it names
 * is in the validator's selection for that window with the very digest the validator scored. A selected
 * update may be missing (the aggregator drops a payload it could not fetch in time, and says so); a
 * contributor the selection does not name, or names with another digest, may not. Without a selection
 * (the aggregator's documented fallback when none arrived in time) only the signer is checked.
 *
 * What these checks cannot see — a trusted aggregator that signed wrong values or indices — is caught by
 * re-deriving the aggregate from its payloads (`verifyAggregate` in @cohort/replica, `cohort
 * verify-aggregate`). Every refusal is an {@link AggregateRefused} with a stable reason.
 */
import { readAggregateEnvelope } from './aggregate-envelope.js';
import type { AggregateEnvelope } from './aggregate-envelope.js';
import { CohortError, Code } from './errors.js';
import { verifyDigest } from './hotkey-signature.js';
import type { Selection } from './selection.js';

/** Why a replica refused an aggregate (stable, for logs, metrics and tests). */
export const AGGREGATE_REFUSALS = [
  'AGGREGATE_MALFORMED',
  'WRONG_RUN',
  'WRONG_WINDOW',
  'WRONG_STATE',
  'AGGREGATOR_UNTRUSTED',
  'BAD_SIGNATURE',
  'SELECTION_UNTRUSTED',
  'CONTRIBUTOR_NOT_SELECTED',
  'CONTRIBUTOR_MISMATCH',
  'PAYLOAD_MISSING',
  'PAYLOAD_MISMATCH',
  'DERIVATION_MISMATCH',
] as const;

/** One of {@link AGGREGATE_REFUSALS}. */
export type AggregateRefusal = (typeof AGGREGATE_REFUSALS)[number];

/** An aggregate a replica will not apply, with the rule it broke. */
export class AggregateRefused extends CohortError {
  override readonly name: string = 'AggregateRefused';
  override readonly reason: AggregateRefusal;
  constructor(
    reason: AggregateRefusal,
    message: string,
    details: Readonly<Record<string, string | number | boolean>> = {},
  ) {
    super(Code.FailedPrecondition, message, { reason, details });
    this.reason = reason;
  }
}

/** Whom a replica trusts for a run's aggregates. */
export interface AggregateTrust {
  /** SS58 address of the run's aggregator; undefined accepts any valid signer (say so in the logs). */
  readonly aggregator?: string;
  /** SS58 address of the validator whose selections bind the aggregates; undefined: none checked. */
  readonly selectionValidator?: string;
}

/** What the replica expects of the aggregate it fetched. */
export interface AggregateExpectation {
  readonly runId: string;
  readonly window: number;
  /** θ_w's fingerprint the replica holds (64 hex digits), when it is known. */
  readonly stateFingerprint?: string;
}

/**
 * Check `object` against the expectation, the trust and (when the trust names a validator and it
 * published one) that validator's `selection` for the window. Returns the envelope; throws
 * {@link AggregateRefused}.
 */
export function checkAggregate(
  object: Uint8Array,
  expect: AggregateExpectation,
  trust: AggregateTrust,
  selection?: Selection,
): AggregateEnvelope {
  let envelope: AggregateEnvelope;
  try {
    envelope = readAggregateEnvelope(object);
  } catch (error) {
    throw new AggregateRefused('AGGREGATE_MALFORMED', error instanceof Error ? error.message : String(error));
  }
  const { window } = expect;
  if (envelope.runId !== expect.runId) {
    throw new AggregateRefused(
      'WRONG_RUN',
      `the aggregate is of run "${envelope.runId}", not "${expect.runId}"`,
    );
  }
  if (envelope.window !== window) {
    throw new AggregateRefused(
      'WRONG_WINDOW',
      `the aggregate is of window ${envelope.window}, not ${window}`,
    );
  }
  if (expect.stateFingerprint !== undefined && envelope.stateFingerprint !== expect.stateFingerprint) {
    throw new AggregateRefused(
      'WRONG_STATE',
      `the aggregate applies to θ ${envelope.stateFingerprint}, the replica holds ${expect.stateFingerprint}`,
      { window },
    );
  }
  if (trust.aggregator !== undefined && envelope.aggregator !== trust.aggregator) {
    throw new AggregateRefused(
      'AGGREGATOR_UNTRUSTED',
      `window ${window}'s aggregate is signed by ${envelope.aggregator}, the run's aggregator is ${trust.aggregator}`,
      { window, signer: envelope.aggregator },
    );
  }
  if (!verifyDigest(envelope.digest, envelope.signature, envelope.aggregatorKey)) {
    throw new AggregateRefused('BAD_SIGNATURE', `window ${window}'s aggregate signature does not verify`, {
      window,
    });
  }
  if (trust.selectionValidator !== undefined && selection !== undefined) {
    checkContributors(envelope, trust.selectionValidator, selection);
  }
  return envelope;
}

function checkContributors(envelope: AggregateEnvelope, validator: string, selection: Selection): void {
  const { window } = envelope;
  if (
    selection.validator !== validator ||
    selection.runId !== envelope.runId ||
    selection.window !== window
  ) {
    throw new AggregateRefused(
      'SELECTION_UNTRUSTED',
      `the selection is ${selection.validator}'s for ${selection.runId}/${selection.window}, not ${validator}'s for ${envelope.runId}/${window}`,
      { window },
    );
  }
  const selected = new Map(selection.contributors.map((c) => [c.hotkey, c.payloadDigest]));
  for (const c of envelope.contributors) {
    const digest = selected.get(c.hotkey);
    if (digest === undefined) {
      throw new AggregateRefused(
        'CONTRIBUTOR_NOT_SELECTED',
        `window ${window}'s aggregate includes ${c.hotkey}, whom ${validator} did not select`,
        { window, hotkey: c.hotkey },
      );
    }
    if (digest !== c.digest) {
      throw new AggregateRefused(
        'CONTRIBUTOR_MISMATCH',
        `window ${window}'s aggregate includes ${c.hotkey}'s update ${c.digest}, the validator scored ${digest}`,
        { window, hotkey: c.hotkey },
      );
    }
  }
}
