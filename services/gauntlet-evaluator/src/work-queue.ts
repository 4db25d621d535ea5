/**
 * The evaluators' share of the run's scoring jobs: one durable pull consumer (`gauntlet-evaluators`) on
 * the run's score-jobs work queue, shared by every evaluator replica, explicit acks. Each evaluator pulls
 * one job at a time (never a prefetched second one whose ack clock would run while it works), so any
 * number of replicas split the queue and a dead one's job comes back after `ackWaitMs`.
 *
 * A delivery ends in one of five ways:
 * - past the job's deadline (the validator no longer waits for it): ack, no answer (`job_expired`), so
 *   a backlog of a finished window never delays the next window's jobs;
 * - an answer (scored, sampled, or the miner's fault): ScoreResult published to the run's results subject
 *   with JetStream msgID `<window>/<hotkey>` (`…/sample` for a sample job, ADR 0018) into the results
 *   stream (duplicates dropped inside its window), so
 *   a job redelivered after a crash between publish and ack is recorded once; the ack follows the
 *   publish's ack. While the job runs, `working()` every third of `ackWaitMs` keeps it from being
 *   redelivered as long as this evaluator is alive.
 * - θ_w not buildable yet (an aggregate missing): nak with `notReadyRetryMs` (`job_deferred`);
 * - a failure: nak with a short delay (`job_failed`);
 * - on the last delivery (`maxDeliver`), a failure or a still-missing aggregate, or at once for a job that
 *   can never be scored: ScoreResult with fault EVALUATOR_FAILED and the reason, then term
 *   (`job_dead_lettered`).
 * A job whose last delivery died with its evaluator (JetStream's MAX_DELIVERIES advisory) is answered
 * EVALUATOR_FAILED (reason MAX_DELIVERIES) by whichever evaluator receives the advisory, and removed.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { Code, CohortError, runSubjects, scoreJobsStream } from '@cohort/core';
import { declareScoreStreams, scoreJobKind, scoreMessageId } from '@cohort/kit';
import type { Logger, NatsHandle } from '@cohort/kit';
import { ScoreJobSchema, ScoreResultSchema } from '@cohort/proto/cohort/gauntlet/v1/gauntlet';
import type { ScoreJob } from '@cohort/proto/cohort/gauntlet/v1/gauntlet';
import { AckPolicy, DeliverPolicy } from '@nats-io/jetstream';
import type { Consumer, ConsumerConfig, ConsumerMessages, JsMsg } from '@nats-io/jetstream';

import { CannotScoreError, NotReadyError } from './errors.js';
import type { EvaluatorMetrics, JobResult } from './evaluator-metrics.js';
import type { ScoreAnswer } from './score-job.js';

/** The shared durable consumer every evaluator of a run pulls from. */
export const CONSUMER_NAME = 'gauntlet-evaluators';
/** How long a pull waits for a job before asking again (and noticing shutdown). */
const PULL_EXPIRES_MS = 2000;
/** Delay before a failed delivery is redelivered. */
const FAILURE_RETRY_MS = 1000;
const nanos = (ms: number): number => ms * 1_000_000;

/**
 * How long past its deadline a job is still worked on: the validator's clock and this one may differ by
 * this much before a job it still waits for is dropped.
 */
export const EXPIRY_GRACE_MS = 2000;

/** Whether `job` is past its deadline (plus {@link EXPIRY_GRACE_MS}) at `nowMs`; 0 never expires. */
export function expired(job: Pick<ScoreJob, 'deadlineUnixMs'>, nowMs: number): boolean {
  return job.deadlineUnixMs > 0n && nowMs > Number(job.deadlineUnixMs) + EXPIRY_GRACE_MS;
}

/** The work queue's knobs. */
export interface WorkQueueSettings {
  readonly runId: string;
  readonly evaluatorId: string;
  readonly ackWaitMs: number;
  readonly maxDeliver: number;
  readonly notReadyRetryMs: number;
}

/** What the loop reports to GetStatus. */
export interface WorkQueueCounters {
  inFlight: number;
  completed: bigint;
  failed: bigint;
  attemptsFailed: bigint;
  expired: bigint;
}

/** Declare the jobs and results streams and the shared consumer (idempotent: any replica, any order). */
export async function declareWorkQueue(nats: NatsHandle, settings: WorkQueueSettings): Promise<Consumer> {
  const jobs = scoreJobsStream(settings.runId);
  await declareScoreStreams(nats.jsm, settings.runId);
  const config: Partial<ConsumerConfig> = {
    durable_name: CONSUMER_NAME,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(settings.ackWaitMs),
    max_deliver: settings.maxDeliver,
  };
  try {
    const info = await nats.jsm.consumers.info(jobs, CONSUMER_NAME);
    if (info.config.ack_wait !== config.ack_wait || info.config.max_deliver !== config.max_deliver) {
      await nats.jsm.consumers.update(jobs, CONSUMER_NAME, {
        ack_wait: nanos(settings.ackWaitMs),
        max_deliver: settings.maxDeliver,
      });
    }
  } catch (error) {
    if (!isNotFound(error)) throw CohortError.from(error, Code.Unavailable);
    try {
      await nats.jsm.consumers.add(jobs, config);
    } catch (addError) {
      // Another replica created it between our info and add: theirs is the same consumer.
      if (!/already (exists|in use)/i.test(String((addError as Error).message))) {
        throw CohortError.from(addError, Code.Unavailable);
      }
    }
  }
  return nats.js.consumers.get(jobs, CONSUMER_NAME);
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; api_error?: { err_code?: number } };
  return (
    e.name === 'ConsumerNotFoundError' ||
    e.api_error?.err_code === 10014 ||
    /consumer not found/i.test(String((error as Error).message))
  );
}

/** Why a job could not be scored, for EVALUATOR_FAILED results and logs. */
function reasonOf(error: unknown): string {
  return error instanceof CohortError && error.reason !== undefined ? error.reason : 'ERROR';
}

/** The loop pulling and answering jobs, one at a time. */
export class WorkQueue {
  readonly counters: WorkQueueCounters = {
    inFlight: 0,
    completed: 0n,
    failed: 0n,
    attemptsFailed: 0n,
    expired: 0n,
  };
  readonly #nats: NatsHandle;
  readonly #consumer: Consumer;
  readonly #settings: WorkQueueSettings;
  readonly #score: (job: ScoreJob) => Promise<ScoreAnswer>;
  readonly #metrics: EvaluatorMetrics;
  readonly #log: Logger;
  readonly #stop = new AbortController();
  #pulling: ConsumerMessages | undefined;
  #running: Promise<void> | undefined;

  constructor(options: {
    nats: NatsHandle;
    consumer: Consumer;
    settings: WorkQueueSettings;
    score: (job: ScoreJob) => Promise<ScoreAnswer>;
    metrics: EvaluatorMetrics;
    log: Logger;
    /** Shutdown: stops the loop like {@link WorkQueue.stop}. */
    signal: AbortSignal;
  }) {
    options.signal.addEventListener('abort', () => this.#stop.abort(), { once: true });
    this.#nats = options.nats;
    this.#consumer = options.consumer;
    this.#settings = options.settings;
    this.#score = options.score;
    this.#metrics = options.metrics;
    this.#log = options.log;
  }

  /** Start pulling jobs, and answering the MAX_DELIVERIES advisories of the shared consumer. */
  start(): void {
    const stream = scoreJobsStream(this.#settings.runId);
    this.#nats.nc.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${stream}.${CONSUMER_NAME}`, {
      queue: CONSUMER_NAME,
      callback: (error, msg) => {
        if (error) this.#log.warn('advisory_subscription_error', { error });
        else void this.#onMaxDeliveries(msg.data);
      },
    });
    this.#running = this.#loop();
  }

  /** Stop pulling; resolves when the job in hand (if any) is answered or handed back. */
  async stop(): Promise<void> {
    this.#stop.abort();
    this.#pulling?.stop();
    await this.#running;
  }

  async #loop(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      let msg: JsMsg | undefined;
      try {
        const pulled = await this.#consumer.fetch({ max_messages: 1, expires: PULL_EXPIRES_MS });
        this.#pulling = pulled;
        for await (const m of pulled) {
          msg = m;
          break;
        }
      } catch (error) {
        if (signal.aborted) break;
        this.#log.warn('job_pull_failed', { error });
        await delay(1000, undefined, { signal }).catch(() => undefined);
        continue;
      } finally {
        this.#pulling = undefined;
      }
      if (msg === undefined) continue;
      if (signal.aborted) {
        msg.nak(); // pulled as shutdown began: straight back to the queue
        break;
      }
      await this.#handle(msg);
    }
  }

  /** Work on one delivery, renewing its ack deadline while alive. */
  async #handle(msg: JsMsg): Promise<void> {
    const started = performance.now();
    const attempt = msg.info.deliveryCount;
    const heartbeat = setInterval(
      () => msg.working(),
      Math.max(250, Math.floor(this.#settings.ackWaitMs / 3)),
    );
    this.counters.inFlight = 1;
    this.#metrics.inFlight(1);
    let result: JobResult = 'failed';
    try {
      result = await this.#process(msg, attempt);
    } finally {
      clearInterval(heartbeat);
      this.counters.inFlight = 0;
      this.#metrics.inFlight(0);
      this.#metrics.jobSeconds((performance.now() - started) / 1000, result);
    }
  }

  async #process(msg: JsMsg, attempt: number): Promise<JobResult> {
    let job: ScoreJob;
    try {
      job = fromBinary(ScoreJobSchema, msg.data);
    } catch (error) {
      // Not a job at all: no window or hotkey to answer for.
      msg.term('BAD_JOB');
      this.counters.failed += 1n;
      this.#metrics.job('unknown', 'dead_lettered', 'EVALUATOR_FAILED');
      this.#log.error('job_dead_lettered', { seq: msg.seq, attempt, reason: 'BAD_JOB', error });
      return 'dead_lettered';
    }
    const kind = scoreJobKind(job.kind);
    const facts = { window: job.window, hotkey: job.hotkey, kind, attempt };
    if (expired(job, Date.now())) {
      // Done with, not failed: an ack removes it from the work queue (a term does not, on NATS 2.9).
      await this.#ack(msg, facts);
      this.counters.expired += 1n;
      this.#metrics.job(kind, 'expired', '');
      this.#log.info('job_expired', { ...facts, deadlineUnixMs: job.deadlineUnixMs });
      return 'expired';
    }
    this.#log.info('job_started', { ...facts, uid: job.uid, payloadKey: job.payloadKey });
    const last = attempt >= this.#settings.maxDeliver;
    try {
      const answer = await this.#score(job);
      await this.#publish(job, { ...answer, attempt });
      await this.#ack(msg, facts);
      const fault = answer.fault;
      this.counters.completed += 1n;
      const result: JobResult = fault !== '' ? 'fault' : kind === 'sample' ? 'sampled' : 'scored';
      this.#metrics.job(kind, result, fault);
      if (result === 'scored' && answer.clipFactorMin !== undefined)
        this.#metrics.clipFactor(answer.clipFactorMin);
      this.#log.info(kind === 'sample' ? 'job_sampled' : 'job_scored', {
        ...facts,
        fault,
        ...(fault === ''
          ? {}
          : { rejectionReason: answer.rejectionReason ?? '', detail: answer.detail ?? '' }),
        lossAssignedBefore: answer.lossAssignedBefore ?? 0,
        lossAssignedAfter: answer.lossAssignedAfter ?? 0,
        lossRandomBefore: answer.lossRandomBefore ?? 0,
        lossRandomAfter: answer.lossRandomAfter ?? 0,
        evalSamples: answer.evalSamples ?? 0,
        // 1: nothing clipped; below 1: the window's clip references scaled a tensor down by that much.
        ...(kind === 'score' && fault === '' ? { clipFactorMin: answer.clipFactorMin ?? 1 } : {}),
        stateFingerprint: answer.stateFingerprint ?? new Uint8Array(),
      });
      return result;
    } catch (error) {
      if (this.#stop.signal.aborted) {
        msg.nak(); // cut by shutdown: another evaluator takes it now
        return 'failed';
      }
      if (error instanceof CannotScoreError || last) return this.#deadLetter(msg, job, attempt, error);
      this.counters.attemptsFailed += 1n;
      if (error instanceof NotReadyError) {
        msg.nak(this.#settings.notReadyRetryMs);
        this.#metrics.job(kind, 'deferred', '');
        this.#log.info('job_deferred', {
          ...facts,
          reason: error.reason,
          detail: error.message,
          retryMs: this.#settings.notReadyRetryMs,
        });
        return 'deferred';
      }
      msg.nak(FAILURE_RETRY_MS);
      this.#metrics.job(kind, 'failed', '');
      this.#log.warn('job_failed', { ...facts, error, retryMs: FAILURE_RETRY_MS });
      return 'failed';
    }
  }

  /** Answer EVALUATOR_FAILED with the reason, then remove the job from the queue. */
  async #deadLetter(msg: JsMsg, job: ScoreJob, attempt: number, error: unknown): Promise<JobResult> {
    const reason = reasonOf(error);
    const detail = error instanceof Error ? error.message : String(error);
    const facts = { window: job.window, hotkey: job.hotkey, kind: scoreJobKind(job.kind), attempt };
    try {
      await this.#publishFailure(job, attempt, reason, detail);
    } catch (publishError) {
      this.counters.attemptsFailed += 1n;
      msg.nak(FAILURE_RETRY_MS);
      this.#metrics.job(facts.kind, 'failed', '');
      this.#log.warn('job_failed', { ...facts, error: publishError, retryMs: FAILURE_RETRY_MS });
      return 'failed';
    }
    msg.term(reason);
    await this.#remove(msg.seq);
    this.counters.failed += 1n;
    this.#metrics.job(facts.kind, 'dead_lettered', 'EVALUATOR_FAILED');
    this.#log.warn('job_dead_lettered', { ...facts, reason, error });
    return 'dead_lettered';
  }

  #publishFailure(job: ScoreJob, attempt: number, reason: string, detail: string): Promise<void> {
    return this.#publish(job, {
      runId: job.runId,
      window: job.window,
      uid: job.uid,
      hotkey: job.hotkey,
      fault: 'EVALUATOR_FAILED',
      detail: `${reason}: ${detail}`,
      attempt,
    });
  }

  async #publish(job: ScoreJob, answer: ScoreAnswer): Promise<void> {
    const result = create(ScoreResultSchema, {
      ...answer,
      tensorNorms: [...(answer.tensorNorms ?? [])],
      kind: job.kind,
      evaluatorId: this.#settings.evaluatorId,
    });
    const ack = await this.#nats.js.publish(
      runSubjects(this.#settings.runId).scoreResults,
      toBinary(ScoreResultSchema, result),
      { msgID: scoreMessageId(job) },
    );
    if (ack.duplicate) {
      this.#log.info('result_duplicate', {
        window: job.window,
        hotkey: job.hotkey,
        kind: scoreJobKind(job.kind),
        seq: ack.seq,
      });
    }
  }

  /** Delete a terminated job from the work queue (NATS 2.9 keeps a termed message in a work queue). */
  async #remove(seq: number): Promise<void> {
    try {
      await this.#nats.jsm.streams.deleteMessage(scoreJobsStream(this.#settings.runId), seq, false);
    } catch (error) {
      // Already gone (a newer server removes it on term): nothing left to do.
      this.#log.debug('job_remove_skipped', { seq, error: String(error) });
    }
  }

  async #ack(msg: JsMsg, facts: Record<string, unknown>): Promise<void> {
    try {
      await msg.ackAck();
    } catch (error) {
      // The result is recorded; a redelivery will find it a duplicate.
      this.#log.warn('job_ack_failed', { ...facts, error });
    }
  }

  /** A job's last delivery died with its evaluator: answer EVALUATOR_FAILED and remove it. */
  async #onMaxDeliveries(data: Uint8Array): Promise<void> {
    const stream = scoreJobsStream(this.#settings.runId);
    try {
      const advisory = JSON.parse(new TextDecoder().decode(data)) as {
        stream_seq?: number;
        deliveries?: number;
      };
      const seq = advisory.stream_seq;
      if (seq === undefined) return;
      const stored = await this.#nats.jsm.streams.getMessage(stream, { seq });
      if (stored === null) return;
      const job = fromBinary(ScoreJobSchema, stored.data);
      const attempt = advisory.deliveries ?? this.#settings.maxDeliver;
      await this.#publishFailure(
        job,
        attempt,
        'MAX_DELIVERIES',
        `delivered ${attempt} times without an answer`,
      );
      await this.#remove(seq);
      this.counters.failed += 1n;
      this.#metrics.job(scoreJobKind(job.kind), 'dead_lettered', 'EVALUATOR_FAILED');
      this.#log.warn('job_dead_lettered', {
        window: job.window,
        hotkey: job.hotkey,
        attempt,
        reason: 'MAX_DELIVERIES',
        seq,
      });
    } catch (error) {
      this.#log.warn('max_deliveries_unhandled', { error });
    }
  }
}
