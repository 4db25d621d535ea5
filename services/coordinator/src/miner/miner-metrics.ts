/**
 * The miner loop's metrics (issue: window phase durations, bytes up and down, tokens/s and the fraction
 * of wall time spent training). Labels are bounded: a phase, a result, a reason code; never a window or
 * a hotkey. Compute utilisation = seconds inside TrainWindow ÷ seconds since the loop started, updated
 * at every training's end and at every window change.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

/** The timed phases of a miner's window. */
export type MinerPhaseName = 'train' | 'encode' | 'upload' | 'wait' | 'apply' | 'resync';

/** How an audit of an aggregate ended. */
export type AuditResult = 'passed' | 'refused' | 'skipped_error';

/** What the loop reports. */
export interface MinerMetrics {
  /** Start timing a phase; call the result with how it ended. Returns the elapsed seconds. */
  phase(name: MinerPhaseName): (result: 'ok' | 'error' | 'cancelled') => number;
  bytesUp(bytes: number): void;
  bytesDown(bytes: number): void;
  tokensPerSecond(value: number): void;
  /** Loss of the last inner step of the window's training (on the miner's own pages). */
  trainLoss(value: number): void;
  /** Seconds spent in a training call (successful or not). */
  trained(seconds: number): void;
  contributed(): void;
  skipped(reason: string): void;
  resync(reason: string): void;
  /** An aggregate not applied because it failed the trust checks or an audit (core's AGGREGATE_REFUSALS). */
  aggregateRefused(reason: string): void;
  /** A checkpoint a resync refused (manifest trust, or the worker's checks), by reason. */
  checkpointRejected(reason: string): void;
  /** An audit (re-derivation) of an aggregate that ran: passed, refused, or skipped_error (could not run). */
  audited(result: AuditResult): void;
  windows(chain: number, state: number | undefined): void;
}

const SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900];

/** Register the miner metrics on `registry` (once per process); `now` is injected for tests. */
export function createMinerMetrics(
  registry: Registry,
  now: () => number = () => performance.now(),
): MinerMetrics {
  const started = now();
  let trainingSeconds = 0;
  const phaseSeconds = new Histogram({
    name: 'cohort_miner_phase_seconds',
    help: 'Wall time of each phase of the miner window loop (train, encode, upload, wait for the aggregate, apply, resync), by result',
    labelNames: ['phase', 'result'],
    buckets: SECONDS,
    registers: [registry],
  });
  const bytes = new Counter({
    name: 'cohort_miner_bytes_total',
    help: 'Bytes the miner moved: up (its updates) and down (aggregates and checkpoints)',
    labelNames: ['direction'],
    registers: [registry],
  });
  const tokens = new Gauge({
    name: 'cohort_miner_tokens_per_second',
    help: 'Training throughput of the last completed window',
    registers: [registry],
  });
  const trainLoss = new Gauge({
    name: 'cohort_miner_train_loss',
    help: "Loss of the last inner step of the last trained window, on the miner's assigned pages",
    registers: [registry],
  });
  const utilisation = new Gauge({
    name: 'cohort_miner_compute_utilisation',
    help: 'Fraction of wall time since the loop started spent training (inside TrainWindow)',
    registers: [registry],
  });
  const trainingTotal = new Counter({
    name: 'cohort_miner_training_seconds_total',
    help: 'Seconds spent inside TrainWindow',
    registers: [registry],
  });
  const contributions = new Counter({
    name: 'cohort_miner_windows_total',
    help: 'Windows by outcome: contributed (update uploaded) or skipped, with the reason',
    labelNames: ['outcome', 'reason'],
    registers: [registry],
  });
  const resyncs = new Counter({
    name: 'cohort_miner_resyncs_total',
    help: 'Resyncs (checkpoint load + replay) by reason',
    labelNames: ['reason'],
    registers: [registry],
  });
  const refused = new Counter({
    name: 'cohort_miner_aggregates_refused_total',
    help: 'Aggregates not applied because they failed the trust checks (signer, selection) or an audit (re-derivation), by reason',
    labelNames: ['reason'],
    registers: [registry],
  });
  const checkpointsRejected = new Counter({
    name: 'cohort_miner_checkpoints_rejected_total',
    help: 'Checkpoints a resync refused, by reason: the manifest (MANIFEST_UNTRUSTED, MANIFEST_BAD_SIGNATURE, MANIFEST_UNSIGNED, …) or the worker (CHECKPOINT_CORRUPT, CHECKPOINT_MISSING)',
    labelNames: ['reason'],
    registers: [registry],
  });
  const audits = new Counter({
    name: 'cohort_miner_aggregate_audits_total',
    help: 'Sampled audits (re-derivations from the payloads) of aggregates: passed, refused, or skipped_error when it could not run and the trusted aggregate was applied',
    labelNames: ['result'],
    registers: [registry],
  });
  const chainWindow = new Gauge({
    name: 'cohort_miner_chain_window',
    help: 'The chain window the loop last saw',
    registers: [registry],
  });
  const lag = new Gauge({
    name: 'cohort_miner_state_lag_windows',
    help: "Windows between the chain and the replica's state (-1 while unsynced)",
    registers: [registry],
  });
  const updateUtilisation = (): void => {
    const wall = (now() - started) / 1000;
    if (wall > 0) utilisation.set(Math.min(1, trainingSeconds / wall));
  };
  return {
    phase(name) {
      const t0 = now();
      return (result) => {
        const seconds = (now() - t0) / 1000;
        phaseSeconds.observe({ phase: name, result }, seconds);
        return seconds;
      };
    },
    bytesUp: (n) => bytes.inc({ direction: 'up' }, n),
    bytesDown: (n) => bytes.inc({ direction: 'down' }, n),
    tokensPerSecond: (v) => tokens.set(v),
    trainLoss: (v) => {
      if (Number.isFinite(v)) trainLoss.set(v);
    },
    trained(seconds) {
      trainingSeconds += seconds;
      trainingTotal.inc(seconds);
      updateUtilisation();
    },
    contributed: () => contributions.inc({ outcome: 'contributed', reason: '' }),
    skipped: (reason) => contributions.inc({ outcome: 'skipped', reason }),
    resync: (reason) => resyncs.inc({ reason }),
    aggregateRefused: (reason) => refused.inc({ reason }),
    audited: (result) => audits.inc({ result }),
    checkpointRejected: (reason) => checkpointsRejected.inc({ reason }),
    windows(chain, state) {
      chainWindow.set(chain);
      lag.set(state === undefined ? -1 : chain - state);
      updateUtilisation();
    },
  };
}
