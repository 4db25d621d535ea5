/**
 * NATS subject and JetStream stream names of one run, in one place so publishers and consumers
 * cannot drift apart. Run ids are validated by config (lowercase, digits, dashes).
 */

/** Subjects of the events published inside one operator's cluster. */
export interface RunSubjects {
  readonly block: string;
  readonly window: string;
  readonly metagraph: string;
  /** Scoring jobs (JetStream work queue). */
  readonly scoreJobs: string;
  /** Scoring results. */
  readonly scoreResults: string;
}

/** Subjects of run `runId`, all under `cohort.<runId>.`. */
export function runSubjects(runId: string): RunSubjects {
  const root = `cohort.${runId}`;
  return {
    block: `${root}.chain.block`,
    window: `${root}.chain.window`,
    metagraph: `${root}.chain.metagraph`,
    scoreJobs: `${root}.gauntlet.jobs`,
    scoreResults: `${root}.gauntlet.results`,
  };
}

/** JetStream stream that holds a run's scoring jobs until an evaluator acknowledges them. */
export function scoreJobsStream(runId: string): string {
  return `cohort-${runId}-score-jobs`;
}

/** JetStream stream that keeps a run's score results, deduplicated by {@link scoreResultMsgId}. */
export function scoreResultsStream(runId: string): string {
  return `cohort-${runId}-score-results`;
}

/** A job's kind on the wire ids: a full score, or only an index sample for the copy check (ADR 0018). */
export type ScoreJobKind = 'score' | 'sample';

/**
 * The JetStream message id of a score job and of its result: one per (window, hotkey, kind), so a job
 * queued twice or redelivered after a crash between publish and ack is still recorded once.
 * `<window>/<hotkey>` for a score, `<window>/<hotkey>/sample` for a sample.
 */
export function scoreResultMsgId(
  window: bigint | number,
  hotkey: string,
  kind: ScoreJobKind = 'score',
): string {
  return kind === 'score' ? `${window}/${hotkey}` : `${window}/${hotkey}/${kind}`;
}
