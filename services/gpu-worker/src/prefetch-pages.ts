/**
 * The next window's pages, fetched while the miner uploads and waits for the aggregate: the pages of
 * window w + 1 are public and fixed (core's sampler: run, hotkey, window, pool size, count), so a worker
 * that reads its dataset from the store (`datasetPrefix`) need not pay the round trips when the next
 * TrainWindow starts. Best effort: a failure is logged and the next TrainWindow fetches what is missing.
 */
import { encodeSs58, pagesFor } from '@cohort/core';
import type { HotkeyPair } from '@cohort/core';
import type { Logger } from '@cohort/kit';
import type { RunDataset } from '@cohort/replica';

/** What a prefetch needs from the worker. */
export interface PrefetchDeps {
  readonly source: RunDataset;
  readonly hotkey: HotkeyPair | null;
  readonly runId: string;
  readonly log: Logger;
}

/**
 * Start fetching the pages window `window + 1` will train on (`count` samples, as this window), unless
 * the dataset is local or the worker has no hotkey (its pages are those of the hotkey it signs with).
 * Returns the running prefetch (resolving when it ended, never rejecting), or undefined when none ran.
 */
export function prefetchNextPages(
  deps: PrefetchDeps,
  window: bigint,
  count: number,
  signal?: AbortSignal,
): Promise<void> | undefined {
  const { source, hotkey } = deps;
  if (!source.remote || hotkey === null || count < 1) return undefined;
  const next = Number(window) + 1;
  const poolSize = source.dataset.sampleCount('train');
  const pages = pagesFor({
    runId: deps.runId,
    hotkey: encodeSs58(hotkey.publicKey),
    window: next,
    poolSize,
    count: Math.min(count, poolSize),
  });
  return source.prefetch('train', Uint32Array.from(pages), signal).then(
    (fetched) => deps.log.info('pages_prefetched', { window: String(next), samples: pages.length, fetched }),
    (error: unknown) =>
      deps.log.warn('pages_prefetch_failed', { window: String(next), error: String(error) }),
  );
}
