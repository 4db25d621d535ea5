/**
 * The aggregator's metrics on the process registry, so a dashboard shows whether aggregates keep up with
 * the window clock and why contributors are dropped. Labels are bounded (phase, result, reason codes);
 * never a window or a hotkey.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

/** The timed phases of one window (and of a checkpoint). */
export type Phase = 'replay' | 'collect' | 'aggregate' | 'publish' | 'apply' | 'checkpoint' | 'restore';

/** The instruments the window loop feeds. */
export interface AggregatorMetrics {
  /** Start timing a phase; call the result with how it ended. */
  phase(phase: Phase): (result: 'ok' | 'error') => void;
  /** A window ended with a published aggregate of `bytes`. */
  aggregated(bytes: number): void;
  /** The newest window with a published (or replayed) aggregate. */
  lastAggregatedWindow(window: number): void;
  /** A window ended without an aggregate, for `reason` (NO_UPDATES, NO_VALID_UPDATES). */
  skipped(reason: string): void;
  /** A window's processing failed in `phase` and will be retried at the next window event. */
  failed(phase: Phase): void;
  /** Contributors of one window: included, and excluded by reason. */
  contributors(included: number, excluded: readonly { reason: string }[]): void;
  /** The newest checkpoint window published, found published or restored. */
  checkpointed(window: number): void;
  /** A stored checkpoint was refused at restore, for `reason`. */
  checkpointRejected(reason: string): void;
  /** The window the replica's state belongs to. */
  stateWindow(window: number): void;
  /** A call to the compressor ended with `result` (ok, no_valid, refused, unavailable, timeout, error). */
  compressorCall(result: string): void;
}

const SECONDS_BUCKETS = [0.01, 0.05, 0.25, 1, 2.5, 10, 30, 60, 120, 300, 600, 1800];

/** Register the aggregator metrics on `registry` (once per process). */
export function createAggregatorMetrics(registry: Registry): AggregatorMetrics {
  const registers = [registry];
  const phaseSeconds = new Histogram({
    name: 'cohort_aggregator_phase_seconds',
    help: 'Wall time of each phase of a window (replay, collect, aggregate, publish, apply, checkpoint) and of the restore, by result',
    labelNames: ['phase', 'result'],
    buckets: SECONDS_BUCKETS,
    registers,
  });
  const windows = new Counter({
    name: 'cohort_aggregator_windows_total',
    help: 'Windows processed, by result (aggregated, skipped, failed) and reason',
    labelNames: ['result', 'reason'],
    registers,
  });
  const contributors = new Counter({
    name: 'cohort_aggregator_contributors_total',
    help: 'Updates considered for an aggregate, by result (included, excluded) and exclusion reason',
    labelNames: ['result', 'reason'],
    registers,
  });
  const aggregateBytes = new Histogram({
    name: 'cohort_aggregator_aggregate_bytes',
    help: 'Size of each published aggregate',
    buckets: [1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10],
    registers,
  });
  const compressorCalls = new Counter({
    name: 'cohort_aggregator_compressor_calls_total',
    help: 'Aggregate calls to the compressor (compressorAddress set), by result: ok, no_valid, refused (its answer failed the checks), unavailable, timeout, error',
    labelNames: ['result'],
    registers,
  });
  const rejected = new Counter({
    name: 'cohort_aggregator_checkpoints_rejected_total',
    help: 'Stored checkpoints refused while restoring, by reason',
    labelNames: ['reason'],
    registers,
  });
  const gauge = (name: string, help: string): Gauge => {
    const g = new Gauge({ name, help, registers });
    g.set(-1);
    return g;
  };
  const lastAggregated = gauge(
    'cohort_aggregator_last_aggregated_window',
    'Latest window whose aggregate this process published, -1 when none',
  );
  const lastCheckpoint = gauge(
    'cohort_aggregator_last_checkpoint_window',
    'Latest checkpoint window published or restored, -1 when none',
  );
  const state = gauge('cohort_aggregator_state_window', "The window the replica's state θ_w belongs to");
  return {
    phase(name) {
      const end = phaseSeconds.startTimer({ phase: name });
      return (result) => end({ result });
    },
    aggregated(bytes) {
      windows.inc({ result: 'aggregated', reason: '' });
      aggregateBytes.observe(bytes);
    },
    lastAggregatedWindow: (window) => lastAggregated.set(window),
    skipped: (reason) => windows.inc({ result: 'skipped', reason }),
    failed: (phase) => windows.inc({ result: 'failed', reason: phase }),
    contributors(included, excluded) {
      contributors.inc({ result: 'included', reason: '' }, included);
      for (const e of excluded) contributors.inc({ result: 'excluded', reason: e.reason });
    },
    checkpointed: (window) => lastCheckpoint.set(window),
    checkpointRejected: (reason) => rejected.inc({ reason }),
    stateWindow: (window) => state.set(window),
    compressorCall: (result) => compressorCalls.inc({ result }),
  };
}
