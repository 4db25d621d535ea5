/**
 * Metrics of a worker's dataset cache (gpu-worker, gauntlet-evaluator), so a dashboard shows how much of
 * the run's dataset a node holds, what it fetches per window and whether the store serves it good bytes.
 * Labels are bounded (result, reason); never a shard or a sample.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

/** The instruments {@link openRunDataset} feeds. */
export interface DatasetMetrics {
  /**
   * One ensure call: samples already local, samples and bytes fetched, GETs sent, seconds. A prefetch
   * (`ahead`) counts its fetched samples as `prefetched` and neither its hits nor its time.
   */
  ensured(
    stats: { hits: number; fetched: number; bytes: number; ranges: number },
    seconds: number,
    ahead?: boolean,
  ): void;
  /** An ensure call that failed, by the error's reason code. */
  failed(reason: string): void;
  /** Samples held locally and in all. */
  held(present: number, total: number): void;
}

/** Register the dataset cache metrics on `registry` (once per process). */
export function createDatasetMetrics(registry: Registry): DatasetMetrics {
  const samples = new Counter({
    name: 'cohort_dataset_samples_total',
    help: 'Samples a training or evaluation call needed, by result: hit (already local) or fetched (by a ranged GET, verified); prefetched: fetched ahead for the next window',
    labelNames: ['result'],
    registers: [registry],
  });
  const bytes = new Counter({
    name: 'cohort_dataset_fetch_bytes_total',
    help: 'Token bytes fetched from the object store into the dataset cache',
    registers: [registry],
  });
  const ranges = new Counter({
    name: 'cohort_dataset_fetch_ranges_total',
    help: 'Ranged GETs sent for dataset samples',
    registers: [registry],
  });
  const failures = new Counter({
    name: 'cohort_dataset_fetch_failures_total',
    help: 'Sample fetches that failed, by reason (SAMPLE_ID_MISMATCH: the store served bytes that are not the dataset)',
    labelNames: ['reason'],
    registers: [registry],
  });
  const seconds = new Histogram({
    name: 'cohort_dataset_ensure_seconds',
    help: 'Wall time of making one call’s samples local (0 when all were hits)',
    buckets: [0.001, 0.01, 0.05, 0.25, 1, 5, 30, 120],
    registers: [registry],
  });
  const present = new Gauge({
    name: 'cohort_dataset_cached_samples',
    help: 'Samples of the dataset held in the local cache',
    registers: [registry],
  });
  const total = new Gauge({
    name: 'cohort_dataset_samples',
    help: 'Samples in the dataset (both splits)',
    registers: [registry],
  });
  return {
    ensured(stats, elapsed, ahead = false) {
      bytes.inc(stats.bytes);
      ranges.inc(stats.ranges);
      if (ahead) {
        samples.inc({ result: 'prefetched' }, stats.fetched);
        return;
      }
      samples.inc({ result: 'hit' }, stats.hits);
      samples.inc({ result: 'fetched' }, stats.fetched);
      seconds.observe(elapsed);
    },
    failed(reason) {
      failures.inc({ reason });
    },
    held(p, t) {
      present.set(p);
      total.set(t);
    },
  };
}
