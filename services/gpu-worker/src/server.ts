/**
 * The GpuWorkerService implementation: the long calls in their own modules (train-window.ts,
 * encode-update.ts, apply-aggregate.ts, verify-aggregate.ts), the short ones here. Every handler shares
 * one {@link HandlerDeps}.
 */
import type { ServiceImpl } from '@cohort/kit';
import type { GpuWorkerService } from '@cohort/proto/cohort/worker/v1/gpu_worker';

import { createApplyAggregate } from './apply-aggregate.js';
import { createEncodeUpdate } from './encode-update.js';
import { loadCheckpointFromStore } from './checkpoint-fetch.js';
import type { HandlerDeps } from './handler-deps.js';
import { createTrainWindow } from './train-window.js';
import { createVerifyAggregate } from './verify-aggregate.js';
import { badRequest } from './worker-errors.js';

/** Every GpuWorkerService RPC, bound to `deps`. */
export function createGpuWorkerImpl(
  deps: HandlerDeps,
  maxAggregateBytes: number,
): ServiceImpl<typeof GpuWorkerService> {
  const { replica, log } = deps;
  return {
    getInfo: () => Promise.resolve({ ...deps.info, stateWindow: replica.stateWindow }),
    // A manifest key in the run's store when the worker has one, else a local checkpoint directory.
    loadCheckpoint: async (request) => {
      if (request.key === '') throw badRequest('BAD_CHECKPOINT_KEY', 'LoadCheckpoint needs a checkpoint key');
      const { store } = deps;
      const { fingerprint, downloadedBytes } = await replica.gate.run('LoadCheckpoint', async () =>
        store === null
          ? { fingerprint: await replica.load(request.key, request.window), downloadedBytes: 0 }
          : loadCheckpointFromStore(store, replica, request.key, request.window, request.manifestBlake2b256),
      );
      deps.metrics.downloaded(downloadedBytes);
      log.info('checkpoint_loaded', {
        key: request.key,
        window: request.window.toString(),
        downloadedBytes,
        stateFingerprint: Buffer.from(fingerprint).toString('hex'),
      });
      return { stateFingerprint: fingerprint, downloadedBytes: BigInt(downloadedBytes) };
    },
    trainWindow: createTrainWindow(deps),
    encodeUpdate: createEncodeUpdate(deps),
    applyAggregate: createApplyAggregate(deps, maxAggregateBytes),
    getStateFingerprint: () =>
      Promise.resolve({ window: replica.stateWindow, stateFingerprint: replica.fingerprint }),
    verifyAggregate: createVerifyAggregate(deps, maxAggregateBytes),
  };
}
