/**
 * The two JetStream streams of a run's scoring, declared the same way by every party that touches them
 * (the validator's coordinator publishing jobs and reading results, every evaluator replica consuming
 * jobs and publishing results), so any of them may start first: jobs in a work queue (each taken once),
 * results kept with a long duplicate window so a result republished after a crash is stored once.
 *
 * Both streams drop messages older than {@link SCORE_STREAMS_MAX_AGE_MS}. Nothing reads a job or a
 * result after its window is scored (the validator stops waiting at the window's deadline, an evaluator
 * drops a job pulled past it), so without an age limit the results stream, Limits-retained and tens of
 * KB a result, would only grow until NATS storage is full. The limit is part of the declaration, so
 * every declarer's start brings an existing stream to it (ensureStream updates the stream's config).
 */
import { runSubjects, scoreJobsStream, scoreResultMsgId, scoreResultsStream } from '@cohort/core';
import type { ScoreJobKind } from '@cohort/core';
import { JobKind } from '@cohort/proto/cohort/gauntlet/v1/gauntlet';
import { RetentionPolicy, StorageType } from '@nats-io/jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';

import { ensureStream } from './nats.js';

/** How long the results stream remembers message ids: far longer than any redelivery. */
export const SCORE_RESULTS_DUPLICATE_WINDOW_MS = 30 * 60 * 1000;

/**
 * How long the score streams keep a message: many windows (production windows are 25 minutes, the upload
 * slot and the evaluation deadline a few minutes), and far above the results' duplicate window.
 */
export const SCORE_STREAMS_MAX_AGE_MS = 6 * 60 * 60 * 1000;

const NS_PER_MS = 1_000_000;

/** Declare the run's score-jobs and score-results streams (idempotent; brings existing ones to the limits). */
export async function declareScoreStreams(jsm: JetStreamManager, runId: string): Promise<void> {
  const subjects = runSubjects(runId);
  await ensureStream(jsm, {
    name: scoreJobsStream(runId),
    subjects: [subjects.scoreJobs],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    max_age: SCORE_STREAMS_MAX_AGE_MS * NS_PER_MS,
  });
  await ensureStream(jsm, {
    name: scoreResultsStream(runId),
    subjects: [subjects.scoreResults],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    duplicate_window: SCORE_RESULTS_DUPLICATE_WINDOW_MS * NS_PER_MS,
    max_age: SCORE_STREAMS_MAX_AGE_MS * NS_PER_MS,
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
