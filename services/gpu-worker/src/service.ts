/**
 * gpu-worker: one model replica on a GPU through the native engine. This build loads the engine at
 * start (a missing or broken addon fails the start with its reason) and reports what it runs on; the
 * training RPCs arrive with the engine issue.
 */
import { buildInfo } from '@cohort/native';
import { GpuWorkerService } from '@cohort/proto/cohort/worker/v1/gpu_worker';
import { COHORT_VERSION } from '@cohort/kit';
import type { ServiceDefinition } from '@cohort/kit';
import { configSpec } from './config.js';

/** The gpu-worker service definition, run by main.ts. */
export const gpuWorkerService: ServiceDefinition<typeof configSpec.fields> = {
  name: 'gpu-worker',
  spec: configSpec,
  start(ctx) {
    const engine = buildInfo();
    ctx.log.info('engine_loaded', { ...engine });
    const cudaAvailable = engine.cudaKernelsCompiled && engine.cudaDeviceCount > 0;
    ctx.addGrpcService(GpuWorkerService, {
      getInfo: () =>
        Promise.resolve({
          device: cudaAvailable ? 'cuda' : 'cpu',
          preset: '',
          parameterCount: 0n,
          engineVersion: `${COHORT_VERSION} (engine ${engine.engineVersion})`,
          torchVersion: engine.torchVersion,
          cudaAvailable,
          stateWindow: -1n,
        }),
    });
    return Promise.resolve();
  },
};
