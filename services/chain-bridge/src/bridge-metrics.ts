/**
 * chain-bridge's own metrics: how far behind the chain the bridge is, connection churn, and every
 * extrinsic's latency and outcome (failures by reason: the dispatch error's name, or why it was dropped).
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

/** The metric handles. */
export interface BridgeMetrics {
  readonly headBlock: Gauge;
  readonly window: Gauge;
  /** Seconds since the last new block arrived (-1 before the first). */
  readonly headAgeSeconds: Gauge;
  readonly stale: Gauge;
  readonly connected: Gauge;
  readonly reconnects: Counter;
  readonly extrinsicSeconds: Histogram<'call' | 'status'>;
  readonly extrinsicFailures: Counter<'call' | 'reason'>;
  readonly readSeconds: Histogram<'read' | 'result'>;
  readonly pendingReveals: Gauge;
}

/** Register the bridge metrics on `registry`. */
export function createBridgeMetrics(registry: Registry): BridgeMetrics {
  const registers = [registry];
  return {
    headBlock: new Gauge({ name: 'cohort_chain_head_block', help: 'Latest block number seen', registers }),
    window: new Gauge({
      name: 'cohort_chain_window',
      help: 'Current window (floor(block / blocksPerWindow))',
      registers,
    }),
    headAgeSeconds: new Gauge({
      name: 'cohort_chain_head_age_seconds',
      help: 'Seconds since the last new block arrived (block lag); -1 before the first',
      registers,
    }),
    stale: new Gauge({ name: 'cohort_chain_stale', help: '1 while the head is stale', registers }),
    connected: new Gauge({
      name: 'cohort_chain_connected',
      help: '1 while connected to a chain endpoint',
      registers,
    }),
    reconnects: new Counter({
      name: 'cohort_chain_connects_total',
      help: 'Chain connections established',
      registers,
    }),
    extrinsicSeconds: new Histogram({
      name: 'cohort_chain_extrinsic_seconds',
      help: 'Submission to outcome, by call and status',
      labelNames: ['call', 'status'],
      buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300],
      registers,
    }),
    extrinsicFailures: new Counter({
      name: 'cohort_chain_extrinsic_failures_total',
      help: 'Extrinsics that failed, by call and reason (dispatch error name or drop reason)',
      labelNames: ['call', 'reason'],
      registers,
    }),
    readSeconds: new Histogram({
      name: 'cohort_chain_read_seconds',
      help: 'Chain reads by kind and result',
      labelNames: ['read', 'result'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 15],
      registers,
    }),
    pendingReveals: new Gauge({
      name: 'cohort_chain_pending_reveals',
      help: 'Weight commits waiting for their reveal window',
      registers,
    }),
  };
}
