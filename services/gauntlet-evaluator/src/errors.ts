/**
 * The two ways a job can end without a measurement that are not plain failures: θ_w cannot be built
 * *yet* (retried after a delay), or the job can never be scored by any evaluator (answered at once).
 * Anything else thrown while working on a job is a failed attempt: the job is redelivered, and its last
 * delivery is answered EVALUATOR_FAILED.
 */
import { Code, CohortError } from '@cohort/core';

/** Why θ_w is not buildable yet. */
export type NotReadyReason = 'AGGREGATE_NOT_READY' | 'NO_CHECKPOINT';

/** θ_w needs something the run has not published yet (an aggregate, its first checkpoint). */
export class NotReadyError extends CohortError {
  override readonly name: string = 'NotReadyError';
  constructor(reason: NotReadyReason, message: string, details: Record<string, string | number> = {}) {
    super(Code.Unavailable, message, { reason, details });
  }
}

/** Why a job cannot be scored at all. */
export type CannotScoreReason =
  'BAD_JOB' | 'NO_CHECKPOINT_BEFORE' | 'NO_USABLE_CHECKPOINT' | 'AGGREGATE_REFUSED';

/**
 * No delivery of this job will ever be scored: a malformed job, no usable checkpoint at or before its
 * window, or θ_w needs an aggregate the evaluator's trust refuses (core's checkAggregate).
 */
export class CannotScoreError extends CohortError {
  override readonly name: string = 'CannotScoreError';
  constructor(reason: CannotScoreReason, message: string, details: Record<string, string | number> = {}) {
    super(Code.FailedPrecondition, message, { reason, details });
  }
}

/** The replica did not come back to θ_w after a measurement: its state is dropped and reloaded. */
export class ReplicaCorruptError extends CohortError {
  override readonly name: string = 'ReplicaCorruptError';
  constructor(expected: string, actual: string) {
    super(
      Code.Internal,
      `the replica should be back at ${expected} after a measurement, it is at ${actual}`,
      {
        reason: 'REPLICA_CORRUPT',
        details: { expected, actual },
      },
    );
  }
}
