/**
 * The gpu-worker's refusals, each a {@link CohortError} with a stable reason the coordinator branches on
 * (the gRPC status code is the error's code): a wrong window means "reload or wait", BUSY means "one
 * long call at a time", CANCELLED means the window closed under a training call.
 */
import { Code, CohortError, IllegalStateError, InvalidArgumentError } from '@cohort/core';

/** Stable reasons of the gpu-worker's own errors. */
export type WorkerReason =
  | 'BUSY'
  | 'WRONG_WINDOW'
  | 'WRONG_RUN'
  | 'NOT_TRAINED'
  | 'NO_DATASET'
  | 'NO_HOTKEY'
  | 'BAD_SAMPLES'
  /** window × innerSteps (the learning-rate schedule's position) is not a safe integer. */
  | 'BAD_WINDOW'
  | 'SIZE_MISMATCH'
  | 'HEADER_REQUIRED'
  | 'HEADER_REPEATED'
  | 'EMPTY_PART'
  | 'CANCELLED'
  | 'EF_STATE_INVALID'
  | 'BAD_CHECKPOINT_KEY'
  | 'BAD_CHECKPOINT_PIN'
  | 'CHECKPOINT_MISSING'
  | 'CHECKPOINT_CORRUPT'
  | 'NO_STORE';

/** A second long call (TrainWindow, EncodeUpdate, ApplyAggregate, LoadCheckpoint) while one runs. */
export function busyError(running: string, wanted: string): CohortError {
  return new CohortError(Code.Aborted, `the replica is busy with ${running}; ${wanted} was refused`, {
    reason: 'BUSY' satisfies WorkerReason,
    details: { running, wanted },
  });
}

/** A call for a window the replica's state is not at. */
export function wrongWindowError(what: string, asked: bigint, stateWindow: bigint): IllegalStateError {
  return new IllegalStateError(
    `${what} for window ${asked}, but the replica holds the state of window ${stateWindow}`,
    {
      reason: 'WRONG_WINDOW' satisfies WorkerReason,
      details: { asked: asked.toString(), stateWindow: stateWindow.toString() },
    },
  );
}

/** A call whose precondition is the replica's state, not its arguments. */
export function preconditionError(reason: WorkerReason, message: string): IllegalStateError {
  return new IllegalStateError(message, { reason });
}

/** A malformed request. */
export function badRequest(reason: WorkerReason, message: string): InvalidArgumentError {
  return new InvalidArgumentError(message, { reason });
}

/** A training call stopped because its call was cancelled (client, deadline or shutdown). */
export function cancelledError(window: bigint, stepsDone: number): CohortError {
  return new CohortError(
    Code.Canceled,
    `training of window ${window} was cancelled after ${stepsDone} steps; the replica is back at θ_w`,
    { reason: 'CANCELLED' satisfies WorkerReason, details: { window: window.toString(), stepsDone } },
  );
}

/** A checkpoint from the store that is absent or does not match its manifest: try an older one. */
export function checkpointError(
  reason: 'CHECKPOINT_MISSING' | 'CHECKPOINT_CORRUPT',
  message: string,
): CohortError {
  return new CohortError(reason === 'CHECKPOINT_MISSING' ? Code.NotFound : Code.DataLoss, message, {
    reason,
  });
}
