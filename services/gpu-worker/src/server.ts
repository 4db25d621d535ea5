/**
 * The GpuWorkerService implementation: the long calls in their own modules (train-window.ts,
 * encode-update.ts, apply-aggregate.ts), the short ones here. Every handler shares one {@link HandlerDeps}.
 */
import type { ServiceImpl } from '@cohort/kit';
import type { GpuWorkerService } from '@cohort/proto/cohort/worker/v1/gpu_worker';

import { createApplyAggregate } from './apply-aggregate.js';
import { createEncodeUpdate } from './encode-update.js';
import type { HandlerDeps } from './handler-deps.js';
import { createTrainWindow } from './train-window.js';
import { badRequest } from './worker-errors.js';

/** Every GpuWorkerService RPC, bound to `deps`. */
export function createGpuWorkerImpl(
  deps: HandlerDeps,
  maxAggregateBytes: number,
): ServiceImpl<typeof GpuWorkerService> {
  const { replica, log } = deps;
  return {
    getInfo: () => Promise.resolve({ ...deps.info, stateWindow: replica.stateWindow }),
    // The key is a local checkpoint directory for now; the object-store fetch comes with the coordinator.
    loadCheckpoint: async (request) => {
      if (request.key === '') throw badRequest('BAD_CHECKPOINT_KEY', 'LoadCheckpoint needs a checkpoint key');
      const fingerprint = await replica.gate.run('LoadCheckpoint', () =>
        replica.load(request.key, request.window),
      );
      log.info('checkpoint_loaded', {
        key: request.key,
        window: request.window.toString(),
        stateFingerprint: Buffer.from(fingerprint).toString('hex'),
      });
      return { stateFingerprint: fingerprint };
    },
    trainWindow: createTrainWindow(deps),
    encodeUpdate: createEncodeUpdate(deps),
    applyAggregate: createApplyAggregate(deps, maxAggregateBytes),
    getStateFingerprint: () =>
      Promise.resolve({ window: replica.stateWindow, stateFingerprint: replica.fingerprint }),
  };
}
