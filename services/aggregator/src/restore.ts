/**
 * Bring the replica to where this aggregator left the run before the window loop starts: the newest
 * usable checkpoint, then every aggregate (and carried-over window) published since. Logs
 * `aggregator_restored` {window, fingerprint, from: 'checkpoint', checkpointWindow, replayed}; with no
 * checkpoint at all, `aggregator_genesis_pending` (the first window event makes the genesis checkpoint).
 * A store that does not answer yet is waited for (`store_unavailable`, retried every second) until
 * shutdown.
 */
import type { AggregatorDeps } from './deps.js';
import { isTransient, restoreCheckpoint } from './checkpoint-restore.js';
import { replayPublished } from './replay.js';

const RETRY_MS = 1000;

async function restoreOnce(deps: AggregatorDeps): Promise<void> {
  const { replica, log, metrics, published } = deps;
  const checkpointWindow = await restoreCheckpoint(deps);
  if (checkpointWindow === undefined) {
    log.info('aggregator_genesis_pending', { fingerprint: replica.fingerprint });
    return;
  }
  published.checkpoint(checkpointWindow);
  const replayed = await replayPublished(deps);
  metrics.stateWindow(replica.window);
  log.info('aggregator_restored', {
    window: replica.window,
    fingerprint: replica.fingerprint,
    from: 'checkpoint',
    checkpointWindow,
    replayed,
  });
}

/** Restore the replica (see the module comment); rejects on shutdown or when no checkpoint is usable. */
export async function restoreReplica(deps: AggregatorDeps): Promise<void> {
  for (;;) {
    const done = deps.metrics.phase('restore');
    try {
      await restoreOnce(deps);
      done('ok');
      return;
    } catch (error) {
      done('error');
      if (!isTransient(error) || deps.signal.aborted) throw error;
      deps.log.warn('store_unavailable', { error, retryMs: RETRY_MS });
      deps.replica.anchor(-1);
    }
    await deps.clock.sleep(RETRY_MS, deps.signal);
  }
}
