/**
 * The validator's side of the Gauntlet's work queue: publish, for the updates seen in the slot, first one
 * sample job each (ADR 0018: fetch, validate, index sample and per-tensor norms; cheap), wait for their
 * answers (at most `clipSampleWaitMs`), and then one score job each, in the order given, carrying the
 * window's clip references: the per-tensor lower medians of the sampled norms (core clip-references.ts,
 * protocol §5: every update is measured median-norm clipped, as the aggregate would apply it). JetStream
 * message ids `<window>/<hotkey>/sample` and `<window>/<hotkey>`, so a restarted coordinator does not queue
 * a job twice; every job carries the deadline. Then collect the evaluators' ScoreResults from the
 * results subject until every score job answered or the deadline passed. A job without an answer in time
 * is no verdict (never the miner's fault); the sample of an update left unjudged still takes part in the
 * copy check.
 */
import { fromBinary, toBinary, create } from '@bufbuild/protobuf';
import { clipReferences, decodeIndexSample, runSubjects, scoreResultMsgId } from '@cohort/core';
import type { EvaluationOutcome } from '@cohort/core';
import type { Logger, NatsHandle } from '@cohort/kit';
import { declareScoreStreams, scoreMessageId } from '@cohort/kit';
import { JobKind, ScoreJobSchema, ScoreResultSchema } from '@cohort/proto/cohort/gauntlet/v1/gauntlet';
import type { ScoreResult } from '@cohort/proto/cohort/gauntlet/v1/gauntlet';

/** One job to queue. */
export interface JobSpec {
  readonly uid: number;
  readonly hotkey: string;
  readonly payloadKey: string;
  readonly firstSeenMs: number;
}

/** An evaluation with what the selection and the copier check need. */
export interface Evaluation {
  readonly outcome: EvaluationOutcome;
  /** BLAKE2b-256 (hex) of the whole object scored; '' when not scored. */
  readonly objectHash: string;
  /** The payload's digest (its signed trailer hash, what an aggregate lists), hex; '' when not scored. */
  readonly payloadDigest: string;
  readonly indexSample: BigUint64Array;
  /** The update's per-tensor L2 norms (empty unless its job answered without a fault). */
  readonly tensorNorms: readonly number[];
  readonly detail: string;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

const MINER_FAULTS = ['MISSING', 'INVALID', 'OUT_OF_SYNC', 'RECEIPT_MISMATCH'] as const;

/** What one window's jobs brought back. */
export interface WindowEvaluations {
  /** The score results by hotkey (the verdicts). */
  readonly evaluations: Map<string, Evaluation>;
  /**
   * Every update's index sample that could be had, by hotkey: its score result's, else its sample
   * job's (an update the evaluators had no time to score, or one that failed its score job).
   */
  readonly samples: Map<string, BigUint64Array>;
  /** The clip references the score jobs carried (empty: measured unclipped). */
  readonly clipReferences: readonly number[];
}

/** How the window's jobs are timed. */
export interface EvaluationTiming {
  /** When the validator stops waiting for score results (local clock, Unix ms; the jobs carry it). */
  readonly deadlineMs: number;
  /** Longest wait for the sample jobs' norms before the score jobs are queued (0: no wait, unclipped). */
  readonly clipSampleWaitMs: number;
}

/** Why a score result's losses cannot be scored ('' when they can): each must be finite and positive. */
function badLosses(r: ScoreResult): string {
  const losses = {
    assignedBefore: r.lossAssignedBefore,
    assignedAfter: r.lossAssignedAfter,
    randomBefore: r.lossRandomBefore,
    randomAfter: r.lossRandomAfter,
  };
  const bad = Object.entries(losses).filter(([, v]) => !(Number.isFinite(v) && v > 0));
  return bad.length === 0
    ? ''
    : `BAD_LOSS: the evaluator reported ${bad.map(([k, v]) => `${k} ${v}`).join(', ')} (a loss must be finite and positive)`;
}

/**
 * A ScoreResult as core's evaluation outcome. A score result without a fault whose losses are not all
 * finite and positive is the evaluator's failure (a broken measurement, never the miner's verdict): it
 * leaves that update unjudged instead of failing the whole window's scoring (core refuses such losses).
 */
export function evaluationOf(r: ScoreResult): Evaluation {
  let sample: BigUint64Array = new BigUint64Array();
  try {
    sample = decodeIndexSample(r.indexSample);
  } catch {
    // a malformed sample only weakens the copier check for this peer
  }
  const base = {
    objectHash: hex(r.objectBlake2b256),
    payloadDigest: hex(r.payloadBlake2b256),
    indexSample: sample,
    tensorNorms: r.fault === '' ? r.tensorNorms : [],
    detail: r.detail,
  };
  // A sample job's result carries no losses (ADR 0018) and is never a verdict.
  const bad = r.fault === '' && r.kind !== JobKind.SAMPLE ? badLosses(r) : '';
  if (bad !== '') return { ...base, outcome: { kind: 'evaluator_failed', detail: bad } };
  if (r.fault === '') {
    return {
      ...base,
      outcome: {
        kind: 'measured',
        losses: {
          assignedBefore: r.lossAssignedBefore,
          assignedAfter: r.lossAssignedAfter,
          randomBefore: r.lossRandomBefore,
          randomAfter: r.lossRandomAfter,
        },
        ...(Number.isFinite(r.updateNorm) && r.updateNorm >= 0 ? { norm: r.updateNorm } : {}),
        // Absent: an evaluator older than ADR 0023 (not reported). 0 is a real factor: a tensor clipped
        // to a zero median norm.
        ...(r.clipFactorMin !== undefined && r.clipFactorMin >= 0 && r.clipFactorMin <= 1
          ? { clipFactor: r.clipFactorMin }
          : {}),
      },
    };
  }
  const fault = MINER_FAULTS.find((f) => f === r.fault);
  return fault === undefined
    ? { ...base, outcome: { kind: 'evaluator_failed', detail: `${r.fault}: ${r.detail}` } }
    : { ...base, outcome: { kind: 'fault', fault } };
}

/** Jobs out, results in. */
export class EvaluationClient {
  readonly #nats: NatsHandle;
  readonly #runId: string;
  readonly #log: Logger;
  /** Results by message id, with their window (results of windows nobody awaits any more are dropped). */
  readonly #results = new Map<string, { readonly window: number; readonly evaluation: Evaluation }>();
  readonly #waiters = new Set<() => void>();
  #ready: Promise<void> | undefined;

  constructor(nats: NatsHandle, runId: string, log: Logger) {
    this.#nats = nats;
    this.#runId = runId;
    this.#log = log;
    nats.nc.subscribe(runSubjects(runId).scoreResults, {
      callback: (error, msg) => {
        if (error) return;
        try {
          const r = fromBinary(ScoreResultSchema, msg.data);
          if (r.runId !== runId) return;
          const evaluation = evaluationOf(r);
          if (r.fault === '' && evaluation.outcome.kind === 'evaluator_failed') {
            log.warn('score_result_unusable', {
              window: Number(r.window),
              hotkey: r.hotkey,
              evaluator: r.evaluatorId,
              detail: evaluation.outcome.detail,
            });
          }
          this.#results.set(scoreMessageId(r), { window: Number(r.window), evaluation });
          for (const wake of this.#waiters) wake();
        } catch (e) {
          log.warn('score_result_invalid', { error: String(e) });
        }
      },
    });
  }

  /**
   * Queue the window's sample jobs, wait for their norms (see the module comment), queue its score jobs
   * in `jobs`' order with the clip references, and wait for the score results until `timing.deadlineMs`
   * (local clock; the jobs carry it, so evaluators drop what nobody waits for).
   */
  async evaluate(
    window: number,
    jobs: readonly JobSpec[],
    job: { readonly innerSteps: number; readonly batchSize: number; readonly evaluationSeed: Uint8Array },
    timing: EvaluationTiming,
    signal: AbortSignal,
  ): Promise<WindowEvaluations> {
    const { deadlineMs } = timing;
    // Late answers to windows already scored (or another validator's jobs) must not pile up.
    for (const [id, r] of this.#results) if (r.window < window) this.#results.delete(id);
    this.#ready ??= declareScoreStreams(this.#nats.jsm, this.#runId);
    await this.#ready;
    await this.#publish(window, jobs, job, JobKind.SAMPLE, deadlineMs, []);
    const sampleIds = jobs.map((j) => scoreResultMsgId(window, j.hotkey, 'sample'));
    const sampleWaitEnd = Math.min(deadlineMs, Date.now() + timing.clipSampleWaitMs);
    await this.#until(sampleIds, sampleWaitEnd, signal);
    const norms = sampleIds.flatMap((id) => {
      const sampled = this.#results.get(id)?.evaluation;
      return sampled === undefined || sampled.tensorNorms.length === 0 ? [] : [sampled.tensorNorms];
    });
    const { references, from } = clipReferences(norms);
    await this.#publish(window, jobs, job, JobKind.UNSPECIFIED, deadlineMs, references);
    this.#log.info('score_jobs_queued', {
      window,
      jobs: jobs.length,
      sampleJobs: jobs.length,
      // The updates whose norms set the clip references (0: measured unclipped).
      clipSampled: from,
      clipTensors: references.length,
    });
    const ids = jobs.map((j) => scoreResultMsgId(window, j.hotkey));
    await this.#until(ids, deadlineMs, signal);
    const evaluations = new Map<string, Evaluation>();
    const samples = new Map<string, BigUint64Array>();
    for (const j of jobs) {
      const scoreId = scoreResultMsgId(window, j.hotkey);
      const sampleId = scoreResultMsgId(window, j.hotkey, 'sample');
      const scored = this.#results.get(scoreId)?.evaluation;
      const sampled = this.#results.get(sampleId)?.evaluation;
      this.#results.delete(scoreId);
      this.#results.delete(sampleId);
      if (scored !== undefined) evaluations.set(j.hotkey, scored);
      // Only an answer without a fault carries a sample (an empty one otherwise).
      const sample = scored?.indexSample.length ? scored.indexSample : sampled?.indexSample;
      if (sample !== undefined && sample.length > 0) samples.set(j.hotkey, sample);
    }
    return { evaluations, samples, clipReferences: references };
  }

  /** Publish one job of `kind` per update, in order. */
  async #publish(
    window: number,
    jobs: readonly JobSpec[],
    job: { readonly innerSteps: number; readonly batchSize: number; readonly evaluationSeed: Uint8Array },
    kind: JobKind,
    deadlineMs: number,
    clipNorms: readonly number[],
  ): Promise<void> {
    const subject = runSubjects(this.#runId).scoreJobs;
    for (const j of jobs) {
      const message = create(ScoreJobSchema, {
        runId: this.#runId,
        window: BigInt(window),
        uid: j.uid,
        hotkey: j.hotkey,
        payloadKey: j.payloadKey,
        firstSeenUnixMs: BigInt(Math.round(j.firstSeenMs)),
        innerSteps: job.innerSteps,
        batchSize: job.batchSize,
        kind,
        deadlineUnixMs: BigInt(Math.round(deadlineMs)),
        clipNorms: [...clipNorms],
        evaluationSeed: job.evaluationSeed,
      });
      await this.#nats.js.publish(subject, toBinary(ScoreJobSchema, message), {
        msgID: scoreMessageId(message),
      });
    }
  }

  /** Wait until every result in `ids` is in, `untilMs` (local clock) passes or `signal` aborts. */
  async #until(ids: readonly string[], untilMs: number, signal: AbortSignal): Promise<void> {
    const done = (): boolean => ids.every((id) => this.#results.has(id));
    while (!done() && Date.now() < untilMs && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.#waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.max(0, Math.min(1000, untilMs - Date.now())));
        this.#waiters.add(wake);
      });
    }
  }
}
