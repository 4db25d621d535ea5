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

/**
 * The JetStream message id of a score result: one result per (window, hotkey), so a job redelivered
 * after a crash between publish and ack is still recorded once.
 */
export function scoreResultMsgId(window: bigint | number, hotkey: string): string {
  return `${window}/${hotkey}`;
}
