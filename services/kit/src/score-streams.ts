/**
 * The two JetStream streams of a run's scoring, declared the same way by every party that touches them
 * (the validator's coordinator publishing jobs and reading results, every evaluator replica consuming
 * jobs and publishing results), so any of them may start first: jobs in a work queue (each taken once),
 * results kept with a long duplicate window so a result republished after a crash is stored once.
 */
import { runSubjects, scoreJobsStream, scoreResultsStream } from '@cohort/core';
import { RetentionPolicy, StorageType } from '@nats-io/jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';

import { ensureStream } from './nats.js';

/** How long the results stream remembers message ids: far longer than any redelivery. */
export const SCORE_RESULTS_DUPLICATE_WINDOW_MS = 30 * 60 * 1000;

/** Declare the run's score-jobs and score-results streams (idempotent). */
export async function declareScoreStreams(jsm: JetStreamManager, runId: string): Promise<void> {
  const subjects = runSubjects(runId);
  await ensureStream(jsm, {
    name: scoreJobsStream(runId),
    subjects: [subjects.scoreJobs],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
  });
  await ensureStream(jsm, {
    name: scoreResultsStream(runId),
    subjects: [subjects.scoreResults],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    duplicate_window: SCORE_RESULTS_DUPLICATE_WINDOW_MS * 1_000_000,
  });
}
