/**
 * The run's dataset as a worker (gpu-worker, gauntlet-evaluator) reads it: either a local directory
 * (`datasetManifest`, memory-mapped as it is) or a prefix in the run's checkpoint-store (`datasetPrefix`),
 * read by range into a sparse local cache that the engine memory-maps (`@cohort/data`'s dataset-cache,
 * docs/data.md §6). Either way the engine gets one {@link Dataset}; before any call that reads samples
 * the worker awaits {@link RunDataset.ensure}, which is free for a local dataset.
 */
import { performance } from 'node:perf_hooks';
import { CohortError, Code } from '@cohort/core';
import { createObjectStoreSource, openDatasetCache } from '@cohort/data';
import type { DatasetCache, ObjectRangeReader } from '@cohort/data';
import type { Logger } from '@cohort/kit';
import { openDataset } from '@cohort/native';
import type { Dataset, Split } from '@cohort/native';
import type { Registry } from 'prom-client';
import { createDatasetMetrics } from './dataset-metrics.js';

/** The dataset keys of a worker's configuration (kit's `datasetStoreFields` plus `datasetManifest`). */
export interface RunDatasetConfig {
  readonly datasetManifest: string;
  readonly datasetPrefix: string;
  readonly datasetCacheDir: string;
  readonly datasetManifestHash: string;
}

/** What {@link openRunDataset} needs besides the configuration. */
export interface RunDatasetDeps {
  /** The run's checkpoint-store client (`StoreClient`); required with `datasetPrefix`. */
  readonly store: ObjectRangeReader | null;
  /** The store's address, for messages. */
  readonly storeAddress?: string;
  /** Where the metrics go (the process registry). */
  readonly registry: Registry;
  readonly log: Logger;
}

/** The run's dataset, open for the engine. */
export interface RunDataset {
  /** The dataset the engine reads (memory-mapped). */
  readonly dataset: Dataset;
  /** Where it comes from, for logs and status: a directory, or `store:<prefix>`. */
  readonly origin: string;
  /** True when samples come from the store (the cache); false for a local directory. */
  readonly remote: boolean;
  /** Make `indices` of `split` readable by the engine (fetch and verify what the cache lacks). */
  ensure(split: Split, indices: Uint32Array, signal?: AbortSignal): Promise<void>;
  /**
   * Like {@link RunDataset.ensure} for samples a later call will need (the next window's pages): counted
   * as `prefetched`, not as hits or fetches of a call. Resolves with the samples fetched.
   */
  prefetch(split: Split, indices: Uint32Array, signal?: AbortSignal): Promise<number>;
  /** Close the engine's mapping and the cache's files. */
  close(): Promise<void>;
}

function localDataset(dataset: Dataset, origin: string): RunDataset {
  return {
    dataset,
    origin,
    remote: false,
    ensure: () => Promise.resolve(),
    prefetch: () => Promise.resolve(0),
    close: () => Promise.resolve(dataset.close()),
  };
}

function cachedDataset(
  cache: DatasetCache,
  dataset: Dataset,
  prefix: string,
  deps: RunDatasetDeps,
): RunDataset {
  const metrics = createDatasetMetrics(deps.registry);
  const held = (): void => {
    const { present, total } = cache.presence();
    metrics.held(present, total);
  };
  held();
  const run = async (split: Split, indices: Uint32Array, signal: AbortSignal | undefined, ahead: boolean) => {
    const started = performance.now();
    try {
      const stats = await cache.ensure(split, indices, signal === undefined ? {} : { signal });
      metrics.ensured(stats, (performance.now() - started) / 1000, ahead);
      if (stats.fetched > 0) {
        const fields = { split, samples: stats.fetched, bytes: stats.bytes, ranges: stats.ranges };
        deps.log.debug(ahead ? 'dataset_prefetched' : 'dataset_fetched', fields);
      }
      return stats.fetched;
    } catch (error) {
      const reason = error instanceof CohortError ? (error.reason ?? 'UNKNOWN') : 'UNKNOWN';
      metrics.failed(reason);
      deps.log.warn('dataset_fetch_failed', { split, reason, prefetch: ahead, error: String(error) });
      throw error;
    } finally {
      held();
    }
  };
  return {
    dataset,
    origin: `store:${prefix}`,
    remote: true,
    async ensure(split, indices, signal) {
      await run(split, indices, signal, false);
    },
    prefetch: (split, indices, signal) => run(split, indices, signal, true),
    async close() {
      dataset.close();
      await cache.close();
    },
  };
}

/**
 * Open the configured dataset, or null when neither key is set (the worker then refuses the calls
 * that need data). Config rules across keys are kit's `checkDatasetSource`; this throws the dataset's
 * own errors (DataError reasons: MANIFEST_HASH_MISMATCH, SHARD_FILE_MISSING, SHARD_HASH_MISMATCH, ...).
 */
export async function openRunDataset(
  config: RunDatasetConfig,
  deps: RunDatasetDeps,
): Promise<RunDataset | null> {
  if (config.datasetManifest !== '') {
    return localDataset(await openDataset(config.datasetManifest), config.datasetManifest);
  }
  if (config.datasetPrefix === '') return null;
  if (deps.store === null) {
    throw new CohortError(Code.FailedPrecondition, 'datasetPrefix needs the run store (storeAddress)', {
      reason: 'NO_STORE',
    });
  }
  if (config.datasetManifestHash === '') {
    deps.log.warn('dataset_unpinned', {
      prefix: config.datasetPrefix,
      detail: "no datasetManifestHash: the store's manifest is trusted as it is",
    });
  }
  const source = createObjectStoreSource(deps.store, {
    prefix: config.datasetPrefix,
    where: `store ${deps.storeAddress ?? ''}`.trim(),
  });
  const cache = await openDatasetCache({
    source,
    dir: config.datasetCacheDir,
    ...(config.datasetManifestHash === '' ? {} : { manifestBlake2b256: config.datasetManifestHash }),
  });
  let dataset: Dataset;
  try {
    dataset = await openDataset(cache.manifestPath);
  } catch (error) {
    await cache.close();
    throw error;
  }
  const { present, total } = cache.presence();
  deps.log.info('dataset_cache_open', {
    prefix: config.datasetPrefix,
    dir: config.datasetCacheDir,
    manifestBlake2b256: cache.manifestBlake2b256,
    cachedSamples: present,
    samples: total,
  });
  return cachedDataset(cache, dataset, config.datasetPrefix, deps);
}
