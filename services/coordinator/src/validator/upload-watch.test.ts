/**
 * The upload watch's sightings on an injected clock: each keeps when its listing started and ended, so a
 * slow listing can neither make an update early nor late by itself (upload-slot.ts judges by both).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeSs58, updateKey } from '@cohort/core';
import { createLogger } from '@cohort/kit';

import { UploadWatch } from './upload-watch.js';
import type { UploadWatchOptions } from './upload-watch.js';

const RUN = 'watch-test';
const W = 4;
const [A, B] = [1, 2].map((i) => encodeSs58(new Uint8Array(32).fill(i))) as [string, string];

test('a sighting spans its listing; an update only in the listing after the close is after it', async () => {
  let clock = 1000;
  const keys = new Set([updateKey(RUN, W, A)]);
  const store: UploadWatchOptions['store'] = {
    list: () => {
      const answer = [...keys].map((key) => ({ key }));
      clock += 500; // a slow listing
      return Promise.resolve(answer as Awaited<ReturnType<UploadWatchOptions['store']['list']>>);
    },
  };
  const watch = new UploadWatch({
    store,
    runId: RUN,
    window: W,
    pollMs: 1,
    log: createLogger({ service: 'test', write: () => undefined }),
    now: () => clock,
  });
  watch.start();
  const seen = await watch.close(1200); // the first listing (1000 → 1500) outlasts the close
  assert.deepEqual(seen.get(A), { firstSeenMs: 1000, seenByMs: 1500, key: updateKey(RUN, W, A) });
  keys.add(updateKey(RUN, W, B));
  const late = await watch.lateArrivals();
  assert.deepEqual([...late.keys()], [B]);
  assert.deepEqual(late.get(B), { firstSeenMs: 1500, seenByMs: 2000, key: updateKey(RUN, W, B) });
});
