/**
 * The two JetStream streams of a run's scoring, declared the same way by every party that touches them
 * (the validator's coordinator publishing jobs and reading results, every evaluator replica consuming
 * jobs and publishing results), so any of them may start first: jobs in a work queue (each taken once),
 * results kept with a long duplicate window so a result republished after a crash is stored once.
 */
import { runSubjects, scoreJobsStream, scoreResultMsgId, scoreResultsStream } from '@cohort/core';
import type { ScoreJobKind } from '@cohort/core';
import { JobKind } from '@cohort/proto/cohort/gauntlet/v1/gauntlet';
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

/** A ScoreJob's or ScoreResult's kind as msgIDs and logs name it: a score, or a sample (ADR 0018). */
export function scoreJobKind(kind: JobKind): ScoreJobKind {
  return kind === JobKind.SAMPLE ? 'sample' : 'score';
}

/**
 * The JetStream msgID of a ScoreJob or of its ScoreResult (core's scoreResultMsgId by the message's
 * window, hotkey and kind): the validator publishes jobs and files results under it, evaluators publish
 * results under it.
 */
export function scoreMessageId(m: {
  readonly window: bigint;
  readonly hotkey: string;
  readonly kind: JobKind;
}): string {
  return scoreResultMsgId(m.window, m.hotkey, scoreJobKind(m.kind));
}
