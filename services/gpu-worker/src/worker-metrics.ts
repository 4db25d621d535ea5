/**
 * The gpu-worker's metrics on the process registry: how long each phase of a window takes (train,
 * encode, apply), the training throughput and the payload size, so a dashboard shows whether a miner
 * keeps up with the window clock. Labels are bounded (result only); never a window or a hotkey.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

/** How a timed phase ended. */
export type PhaseResult = 'ok' | 'cancelled' | 'error';

/** The instruments the handlers feed. */
export interface WorkerMetrics {
  /** Start timing a TrainWindow; call the result with how it ended. */
  train(): (result: PhaseResult) => void;
  /** The tokens/s of the last completed training call. */
  tokensPerSecond(value: number): void;
  /** Start timing an EncodeUpdate (error feedback, encode, sign, persist). */
  encode(): (result: PhaseResult) => void;
  /** Bytes of one signed payload. */
  payloadBytes(bytes: number): void;
  /** Start timing an ApplyAggregate's outer step. */
  apply(): (result: PhaseResult) => void;
  /** Checkpoint bytes downloaded from the store by LoadCheckpoint. */
  downloaded(bytes: number): void;
}

const SECONDS_BUCKETS = [0.01, 0.05, 0.25, 1, 2.5, 10, 30, 60, 120, 300, 600, 1800];

/** Register the gpu-worker metrics on `registry` (once per process). */
export function createWorkerMetrics(registry: Registry): WorkerMetrics {
  const histogram = (name: string, help: string): Histogram =>
    new Histogram({ name, help, labelNames: ['result'], buckets: SECONDS_BUCKETS, registers: [registry] });
  const trainSeconds = histogram(
    'cohort_gpu_worker_train_seconds',
    'Wall time of TrainWindow calls, by result (ok, cancelled, error)',
  );
  const encodeSeconds = histogram(
    'cohort_gpu_worker_encode_seconds',
    'Wall time of error feedback + encode + sign + state persistence, by result',
  );
  const applySeconds = histogram(
    'cohort_gpu_worker_apply_seconds',
    'Wall time of the outer step of ApplyAggregate (after the aggregate arrived), by result',
  );
  const tokens = new Gauge({
    name: 'cohort_gpu_worker_tokens_per_second',
    help: 'Training throughput of the last completed TrainWindow',
    registers: [registry],
  });
  const payload = new Histogram({
    name: 'cohort_gpu_worker_payload_bytes',
    help: 'Size of each signed update payload produced by EncodeUpdate',
    buckets: [1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10],
    registers: [registry],
  });
  const payloads = new Counter({
    name: 'cohort_gpu_worker_payload_bytes_total',
    help: 'Bytes of signed update payloads produced',
    registers: [registry],
  });
  const downloads = new Counter({
    name: 'cohort_gpu_worker_checkpoint_download_bytes_total',
    help: 'Checkpoint bytes downloaded from the store by LoadCheckpoint',
    registers: [registry],
  });
  const timer = (h: Histogram) => (): ((result: PhaseResult) => void) => {
    const end = h.startTimer();
    return (result) => end({ result });
  };
  return {
    train: timer(trainSeconds),
    tokensPerSecond: (value) => tokens.set(value),
    encode: timer(encodeSeconds),
    payloadBytes(bytes) {
      payload.observe(bytes);
      payloads.inc(bytes);
    },
    apply: timer(applySeconds),
    downloaded: (bytes) => downloads.inc(bytes),
  };
}
