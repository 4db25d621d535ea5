/**
 * How the devnet's workers and evaluators get the Brown dataset: from the run's checkpoint-store, as
 * operators on separate machines would (published once under a key prefix, read by range into a cache
 * per process, pinned by its manifest hash; ADR 0015), or from the local directory it was prepared in.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { publishDataset } from '@cohort/data';
import type { StoreClient } from '@cohort/kit';

/** The key prefix the devnet publishes Brown under (outside the run's layout: retention leaves it). */
export const DEVNET_DATASET_PREFIX = 'datasets/brown-gpt2-128/';

/** Where the network's dataset lives, as the services are told. */
export type RunDatasetSource =
  | { readonly kind: 'local'; readonly manifestPath: string }
  | { readonly kind: 'store'; readonly prefix: string; readonly manifestHash: string };

/** Publish the dataset of `manifestPath` to the run's store; returns the source the services read. */
export async function publishToStore(store: StoreClient, manifestPath: string): Promise<RunDatasetSource> {
  const summary = await publishDataset(store, dirname(manifestPath), DEVNET_DATASET_PREFIX);
  return { kind: 'store', prefix: summary.prefix, manifestHash: summary.manifestBlake2b256 };
}

/** The environment that points one service process at the dataset (its own cache directory). */
export function datasetEnv(source: RunDatasetSource, name: string): Record<string, string> {
  if (source.kind === 'local') return { COHORT_DATASET_MANIFEST: source.manifestPath };
  return {
    COHORT_DATASET_PREFIX: source.prefix,
    COHORT_DATASET_MANIFEST_HASH: source.manifestHash,
    COHORT_DATASET_CACHE_DIR: join(mkdtempSync(join(tmpdir(), `cohort-${name}-dataset-`)), 'cache'),
  };
}
