/**
 * Garbage collection of old windows in this operator's bucket (protocol §8): list the layout and delete
 * what `retentionPlan` (services/core) allows. The plan is pure and decides from the listing alone
 * (keys and when the store made each visible, so a stray key of a far window cannot move the horizon);
 * this is its I/O shell. Objects outside the layout are never touched, and neither are objects the
 * backend leaves out of its listing (no content hash: copied in by another tool).
 */
import { STORAGE_LAYOUT_VERSION, retentionPlan, tryParseKey } from '@cohort/core';
import type { RetentionObject } from '@cohort/core';
import type { Logger } from '@cohort/kit';

import type { ObjectBackend } from './backends/backend.js';

/** Retention settings. */
export interface RetentionSettings {
  /** A window goes once this many + 1 newer windows of its run were written after it. */
  readonly keepWindows: number;
  /** Complete checkpoints kept per chain of a run, newest first. */
  readonly keepCheckpoints: number;
}

/** What one pass did. */
export interface RetentionResult {
  readonly scanned: number;
  readonly deleted: number;
}

/** Every object under `prefix` with its size and stored time, page by page. */
async function listAll(
  backend: ObjectBackend,
  prefix: string,
): Promise<Map<string, RetentionObject & { sizeBytes: number }>> {
  const objects = new Map<string, RetentionObject & { sizeBytes: number }>();
  let token: string | undefined;
  do {
    const page = await backend.list(prefix, token);
    for (const { key, sizeBytes, storedUnixMs } of page.objects) {
      objects.set(key, { key, sizeBytes, storedUnixMs });
    }
    token = page.nextPageToken;
  } while (token !== undefined);
  return objects;
}

/**
 * One retention pass over every run in the bucket. Deletes in the plan's order (old windows first, a
 * checkpoint's manifest before its files) and stops at the first failure, so an interrupted pass never
 * leaves a manifest naming missing files; the next pass goes on from there.
 */
export async function runRetention(
  backend: ObjectBackend,
  settings: RetentionSettings,
  log: Logger,
  onDeleted: (sizeBytes: number) => void = () => undefined,
): Promise<RetentionResult> {
  const objects = await listAll(backend, `cohort/${STORAGE_LAYOUT_VERSION}/`);
  const plan = retentionPlan([...objects.values()], settings);
  const deletedByRun = new Map<string, number>();
  let deleted = 0;
  try {
    for (const key of plan) {
      if (!(await backend.delete(key))) continue;
      deleted++;
      onDeleted(objects.get(key)?.sizeBytes ?? 0);
      const run = tryParseKey(key)?.run ?? '';
      deletedByRun.set(run, (deletedByRun.get(run) ?? 0) + 1);
    }
  } finally {
    // Also after a failure: what did go is reported.
    for (const [run, count] of deletedByRun) log.info('retention_pass', { run, deleted: count });
  }
  return { scanned: objects.size, deleted };
}
