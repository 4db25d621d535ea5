/**
 * How many score jobs wait in the run's work queue, read from the evaluators' shared JetStream consumer
 * at scrape time: the backlog an operator scales evaluators on (the HPA, or KEDA's nats-jetstream
 * scaler, which reads the same consumer) and the first sign that scoring cannot keep up with a window.
 */
import { scoreJobsStream } from '@cohort/core';
import type { JetStreamManager } from '@nats-io/jetstream';
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

import { CONSUMER_NAME } from './work-queue.js';

/**
 * Register `cohort_evaluator_queue_jobs{state}`: `pending` (not yet delivered to any evaluator) and
 * `in_progress` (delivered, not yet acknowledged: being scored, or deferred until its aggregate exists).
 * A scrape while NATS is unreachable keeps the last values (`cohort_nats_connected` says why).
 */
export function registerQueueGauge(registry: Registry, jsm: JetStreamManager, runId: string): void {
  new Gauge({
    name: 'cohort_evaluator_queue_jobs',
    help: "Score jobs in the run's work queue, by state: pending (not delivered yet) or in_progress (delivered, not acknowledged)",
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      try {
        const info = await jsm.consumers.info(scoreJobsStream(runId), CONSUMER_NAME);
        this.set({ state: 'pending' }, info.num_pending);
        this.set({ state: 'in_progress' }, info.num_ack_pending);
      } catch {
        // NATS down or the consumer not declared yet: keep the last values.
      }
    },
  });
}
