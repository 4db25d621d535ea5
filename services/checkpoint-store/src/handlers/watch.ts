/**
 * Watch: poll a (peer's) bucket for a key until it appears or the deadline passes, and answer with the
 * time this store first saw it (protocol §1: the validator's clock, never the peer's LastModified). A
 * validator watches every expected update during the upload slot; early and late are judged from this.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import { InvalidArgumentError, validateKey } from '@cohort/core';
import type { CallContext } from '@cohort/kit';
import type { WatchRequest } from '@cohort/proto/cohort/store/v1/checkpoint_store';

import { isRetryable } from '../peers/retry.js';
import { reasonOf } from './put.js';
import type { StoreDeps } from './store-deps.js';
import { bucketFor, objectInfo, readFrom } from './store-deps.js';

/** The Watch handler. */
export function createWatch(deps: StoreDeps) {
  return async (request: WatchRequest, ctx: CallContext) => {
    const done = deps.metrics.time('watch');
    try {
      const key = validateKey(request.key);
      const peer = bucketFor(deps, request.bucket, key);
      const deadline = Number(request.deadlineUnixMs);
      const now = deps.now();
      if (!(deadline > now) || deadline - now > deps.maxWatchMs) {
        throw new InvalidArgumentError(
          `a watch deadline must be in the future and at most ${deps.maxWatchMs} ms away`,
          { reason: 'BAD_DEADLINE', details: { deadline, now } },
        );
      }
      const interval = Math.max(deps.minPollIntervalMs, request.pollIntervalMs);
      for (;;) {
        try {
          const meta = await readFrom(deps, peer, (b) => b.head(key, ctx.signal), ctx.signal);
          if (meta !== undefined) {
            deps.metrics.request('watch', 'ok');
            return { found: true, info: objectInfo(deps, peer, meta) };
          }
        } catch (error) {
          // A flaky peer is retried until the deadline; anything else (denied, bad reply) ends the watch.
          if (!isRetryable(error)) throw error;
          deps.log.debug('watch_poll_failed', { key, reason: reasonOf(error) });
        }
        const left = deadline - deps.now();
        if (left <= 0 || ctx.signal.aborted || ctx.draining.aborted) {
          deps.metrics.request('watch', 'not_found');
          return { found: false };
        }
        await sleep(Math.min(interval, left), undefined, { signal: ctx.signal }).catch(() => undefined);
      }
    } catch (error) {
      deps.metrics.request('watch', reasonOf(error));
      throw error;
    } finally {
      done();
    }
  };
}
