/**
 * The checkpoint-store's metrics on the process registry: requests by RPC and result (ok or the stable
 * reason), bytes in and out split by own bucket vs peers', and time per RPC. Bounded labels only: never
 * a key, a peer endpoint or a window. With a bucket limit, also the bucket's usage against it.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

import type { BucketUsage } from './bucket-usage.js';
import type { StoreMetrics } from './handlers/store-deps.js';

/** Register the store metrics on `registry` (once per process). */
export function createStoreMetrics(registry: Registry): StoreMetrics {
  const requests = new Counter({
    name: 'cohort_store_requests_total',
    help: 'Store RPCs by method and result (ok, not_found for an expired Watch, or the reason code)',
    labelNames: ['rpc', 'result'],
    registers: [registry],
  });
  const bytes = new Counter({
    name: 'cohort_store_bytes_total',
    help: 'Object bytes streamed in (Put) and out (Get), by own bucket or peers',
    labelNames: ['direction', 'bucket'],
    registers: [registry],
  });
  const seconds = new Histogram({
    name: 'cohort_store_rpc_seconds',
    help: 'Time per store RPC, including streaming (Watch: until found or the deadline)',
    labelNames: ['rpc'],
    buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 1, 2.5, 10, 30, 120, 600],
    registers: [registry],
  });
  return {
    request(rpc, result) {
      requests.inc({ rpc, result });
    },
    bytes(direction, bucket, n) {
      bytes.inc({ direction, bucket }, n);
    },
    time(rpc) {
      return seconds.startTimer({ rpc });
    },
  };
}

/**
 * Gauges of the operator bucket against its limit (`maxBucketBytes`), read at scrape time, so an
 * operator is warned before puts fail with BUCKET_FULL. Registered only when a limit is set: without
 * one the store never lists the bucket, so it does not know its usage.
 */
export function registerBucketGauges(registry: Registry, usage: BucketUsage, limitBytes: number): void {
  if (!usage.limited) return;
  new Gauge({
    name: 'cohort_store_bucket_used_bytes',
    help: "Bytes in this operator's bucket: listed at start, then kept current by this store's puts and deletes",
    registers: [registry],
    collect() {
      this.set(usage.used);
    },
  });
  new Gauge({
    name: 'cohort_store_bucket_limit_bytes',
    help: "The bucket's size limit (maxBucketBytes)",
    registers: [registry],
  }).set(limitBytes);
}

/** The retention passes that failed (the `retention_failed` log line says why); 0 while retention is off. */
export function createRetentionMetrics(registry: Registry): Counter {
  return new Counter({
    name: 'cohort_store_retention_failures_total',
    help: 'Garbage-collection passes that failed; the retention_failed log line says why',
    registers: [registry],
  });
}
