/**
 * Garbage collection of old windows in this operator's bucket (protocol §8): list the layout, find each
 * run's newest window, and delete what `retentionPlan` (services/core) allows. The plan is pure; this is
 * its I/O shell. Objects outside the layout are never touched.
 */
import { STORAGE_LAYOUT_VERSION, retentionPlan, tryParseKey } from '@cohort/core';
import type { Logger } from '@cohort/kit';

import type { ObjectBackend } from './backends/backend.js';

/** Retention settings. */
export interface RetentionSettings {
  /** Windows kept behind each run's newest window. */
  readonly keepWindows: number;
  /** Complete checkpoints kept per run, newest first. */
  readonly keepCheckpoints: number;
}

/** What one pass did. */
export interface RetentionResult {
  readonly scanned: number;
  readonly deleted: number;
}

/** All keys under `prefix`, page by page. */
async function listAll(backend: ObjectBackend, prefix: string): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  let token: string | undefined;
  do {
    const page = await backend.list(prefix, token);
    for (const meta of page.objects) sizes.set(meta.key, meta.sizeBytes);
    token = page.nextPageToken;
  } while (token !== undefined);
  return sizes;
}

/** One retention pass over every run in the bucket. */
export async function runRetention(
  backend: ObjectBackend,
  settings: RetentionSettings,
  log: Logger,
  onDeleted: (sizeBytes: number) => void = () => undefined,
): Promise<RetentionResult> {
  const sizes = await listAll(backend, `cohort/${STORAGE_LAYOUT_VERSION}/`);
  const keys = [...sizes.keys()];
  const byRun = new Map<string, { keys: string[]; newest: number }>();
  for (const key of keys) {
    const parsed = tryParseKey(key);
    if (parsed === undefined) continue;
    const run = byRun.get(parsed.run) ?? { keys: [], newest: -1 };
    run.keys.push(key);
    if (parsed.kind !== 'latest') run.newest = Math.max(run.newest, parsed.window);
    byRun.set(parsed.run, run);
  }
  let deleted = 0;
  for (const [run, { keys: runKeys, newest }] of byRun) {
    if (newest < 0) continue;
    const plan = retentionPlan(runKeys, {
      currentWindow: newest,
      keepWindows: settings.keepWindows,
      keepCheckpoints: settings.keepCheckpoints,
    });
    for (const key of plan) {
      if (await backend.delete(key)) {
        deleted++;
        onDeleted(sizes.get(key) ?? 0);
      }
    }
    if (plan.length > 0) log.info('retention_pass', { run, newestWindow: newest, deleted: plan.length });
  }
  return { scanned: keys.length, deleted };
}
