/**
 * The evaluator's metrics on the process registry: how jobs end (by kind, result and fault), where their
 * time goes, whether one is in flight, and which window the replica holds. Labels are bounded (kind,
 * result, fault, phase, reason codes); never a window or a hotkey.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

import type { ScoreJobKind } from '@cohort/core';

import type { CacheOutcome } from './payload-cache.js';

/** The timed phases of one job. */
export type Phase = 'fetch' | 'validate' | 'sync' | 'measure' | 'publish';

/** What a delivery was: a score or sample job, or `unknown` for bytes that are not a job. */
export type JobKindLabel = ScoreJobKind | 'unknown';

/** How a delivery of a job ended. */
export type JobResult = 'scored' | 'sampled' | 'fault' | 'dead_lettered' | 'deferred' | 'failed' | 'expired';

/** The instruments the work queue and the job pipeline feed. */
export interface EvaluatorMetrics {
  /** Start timing a phase; call the result with how it ended. */
  phase(phase: Phase): (result: 'ok' | 'error') => void;
  /** A delivery of a `kind` job ended with `result`; `fault` for fault and dead_lettered results, else ''. */
  job(kind: JobKindLabel, result: JobResult, fault: string): void;
  /** Whole-job wall time, from delivery to ack/nak/term. */
  jobSeconds(seconds: number, result: JobResult): void;
  /** Jobs being worked on now. */
  inFlight(n: number): void;
  /** The window the replica's state belongs to (-1: unknown). */
  stateWindow(window: number): void;
  /** A stored checkpoint was refused while syncing, for `reason`. */
  checkpointRejected(reason: string): void;
  /** Aggregates applied to the replica while syncing. */
  aggregateReplayed(): void;
  /** Checkpoints loaded into the replica. */
  checkpointLoaded(): void;
  /** A job's payload came from the payload cache (hit) or had to be fetched (miss). */
  payloadCache(outcome: CacheOutcome): void;
  /** A score job measured its update with this smallest clip factor (1: nothing clipped; ADR 0023). */
  clipFactor(factor: number): void;
}

const SECONDS_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/** Register the evaluator metrics on `registry` (once per process). */
export function createEvaluatorMetrics(registry: Registry): EvaluatorMetrics {
  const registers = [registry];
  const phaseSeconds = new Histogram({
    name: 'cohort_evaluator_phase_seconds',
    help: 'Wall time of each phase of a job (fetch, validate, sync, measure, publish), by result',
    labelNames: ['phase', 'result'],
    buckets: SECONDS_BUCKETS,
    registers,
  });
  const jobSeconds = new Histogram({
    name: 'cohort_evaluator_job_seconds',
    help: 'Wall time of one delivery of a job, from receipt to ack, nak or term, by result',
    labelNames: ['result'],
    buckets: SECONDS_BUCKETS,
    registers,
  });
  const jobs = new Counter({
    name: 'cohort_evaluator_jobs_total',
    help: 'Deliveries of jobs by kind (score, sample, unknown), result (scored, sampled, fault, dead_lettered, deferred, failed, expired) and fault (MISSING, INVALID, OUT_OF_SYNC, RECEIPT_MISMATCH, EVALUATOR_FAILED)',
    labelNames: ['kind', 'result', 'fault'],
    registers,
  });
  const inFlight = new Gauge({
    name: 'cohort_evaluator_jobs_in_flight',
    help: 'Scoring jobs being worked on by this evaluator',
    registers,
  });
  const state = new Gauge({
    name: 'cohort_evaluator_state_window',
    help: "The window the replica's state θ_w belongs to, -1 when unknown",
    registers,
  });
  state.set(-1);
  const rejected = new Counter({
    name: 'cohort_evaluator_checkpoints_rejected_total',
    help: 'Stored checkpoints refused while syncing the replica, by reason',
    labelNames: ['reason'],
    registers,
  });
  const replayed = new Counter({
    name: 'cohort_evaluator_aggregates_replayed_total',
    help: 'Aggregates applied to the replica while following the run',
    registers,
  });
  const loaded = new Counter({
    name: 'cohort_evaluator_checkpoints_loaded_total',
    help: 'Checkpoints loaded into the replica',
    registers,
  });
  const payloadCache = new Counter({
    name: 'cohort_evaluator_payload_cache_total',
    help: "Jobs whose payload came from this evaluator's payload cache (hit: a sample job fetched it) or from the store (miss)",
    labelNames: ['outcome'],
    registers,
  });
  const clipFactor = new Histogram({
    name: 'cohort_evaluator_clip_factor',
    help: "Smallest factor the window's clip references scaled a tensor of a scored update by (1: unclipped): how far above the window's median norms updates are",
    buckets: [0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1],
    registers,
  });
  return {
    phase(name) {
      const end = phaseSeconds.startTimer({ phase: name });
      return (result) => end({ result });
    },
    job: (kind, result, fault) => jobs.inc({ kind, result, fault }),
    jobSeconds: (seconds, result) => jobSeconds.observe({ result }, seconds),
    inFlight: (n) => inFlight.set(n),
    stateWindow: (window) => state.set(window),
    checkpointRejected: (reason) => rejected.inc({ reason }),
    aggregateReplayed: () => replayed.inc(),
    checkpointLoaded: () => loaded.inc(),
    payloadCache: (outcome) => payloadCache.inc({ outcome }),
    clipFactor: (factor) => clipFactor.observe(factor),
  };
}
