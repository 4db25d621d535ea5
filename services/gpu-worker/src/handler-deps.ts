/**
 * What the gpu-worker's RPC handlers share: the replica, the metrics, the logger and the streaming chunk
 * size. Built once by service.ts; handlers are functions of it.
 */
import type { Logger, StoreClient } from '@cohort/kit';

import type { Replica } from './replica.js';
import type { WorkerMetrics } from './worker-metrics.js';

/** Dependencies of every GpuWorkerService handler. */
export interface HandlerDeps {
  readonly replica: Replica;
  readonly metrics: WorkerMetrics;
  readonly log: Logger;
  /** The run's checkpoint-store, where LoadCheckpoint fetches from; null: local directories only. */
  readonly store: StoreClient | null;
  /** Largest payload bytes in one EncodeUpdate response message. */
  readonly payloadChunkBytes: number;
  /** GetInfo's static facts. */
  readonly info: {
    readonly device: string;
    readonly preset: string;
    readonly parameterCount: bigint;
    readonly engineVersion: string;
    readonly torchVersion: string;
    readonly cudaAvailable: boolean;
    readonly trainSampleCount: bigint;
    /** SS58 of the signing hotkey ('' without one). */
    readonly hotkey: string;
  };
}
