/**
 * First-seen times of a window's updates (protocol §1): the validator lists `updates/<w>/` from the
 * moment window w begins until w's upload slot closes, and records, by its own clock, when it first saw
 * each key — never the uploader's LastModified, which a self-hosted bucket controls. An update present
 * before the slot opened is early; one that appears after it closed is never seen (missing).
 */
import { tryParseKey, updatesPrefix } from '@cohort/core';
import type { Logger, StoreClient } from '@cohort/kit';

/** Options of {@link watchUploads}. */
export interface UploadWatchOptions {
  readonly store: StoreClient;
  readonly runId: string;
  readonly window: number;
  /** Stop at this time (validator clock, ms): the slot's close. */
  readonly untilMs: number;
  readonly pollMs: number;
  readonly log: Logger;
  readonly signal: AbortSignal;
  /** Injected clock (tests). */
  readonly now?: () => number;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** Poll until `untilMs`; resolves with hotkey → first-seen ms (and the object's store key). */
export async function watchUploads(
  o: UploadWatchOptions,
): Promise<Map<string, { firstSeenMs: number; key: string }>> {
  const now = o.now ?? Date.now;
  const seen = new Map<string, { firstSeenMs: number; key: string }>();
  const prefix = updatesPrefix(o.runId, o.window);
  for (;;) {
    // A poll that starts a little after the close (timer slack) still counts as at the close: an
    // update that was there in time must not turn late because of the validator's own scheduling.
    const t = Math.min(now(), o.untilMs);
    try {
      for (const object of await o.store.list(prefix)) {
        const key = tryParseKey(object.key);
        if (key?.kind !== 'update' || key.window !== o.window || seen.has(key.hotkey)) continue;
        seen.set(key.hotkey, { firstSeenMs: t, key: object.key });
      }
    } catch (error) {
      o.log.warn('upload_watch_failed', { window: o.window, error: String(error) });
    }
    if (o.signal.aborted || now() >= o.untilMs) return seen;
    await sleep(Math.min(o.pollMs, Math.max(0, o.untilMs - now())), o.signal);
  }
}
