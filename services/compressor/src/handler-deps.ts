/**
 * What the compressor's RPC handlers share: the caps from config, the metrics and the logger. Built once
 * by service.ts; handlers are pure functions of it, so tests can build one without a server.
 */
import type { Logger } from '@cohort/kit';
import type { DecodeLimits } from '@cohort/native';

import type { CompressorMetrics } from './compressor-metrics.js';
import type { Config } from './config.js';

/** Dependencies of the Validate, Decode and Aggregate handlers. */
export interface HandlerDeps {
  /** Codec caps; `maxBytes` is also the cap on one streamed payload. */
  readonly limits: DecodeLimits;
  readonly maxAggregatePeers: number;
  /** Largest bytes of payload data in one streamed response message. */
  readonly responseChunkBytes: number;
  readonly metrics: CompressorMetrics;
  readonly log: Logger;
}

/** The handler dependencies a config implies. */
export function handlerDeps(config: Config, metrics: CompressorMetrics, log: Logger): HandlerDeps {
  return {
    limits: {
      maxBytes: config.maxPayloadBytes,
      maxTensors: config.maxTensors,
      maxElements: config.maxElements,
      maxAbsValue: config.maxAbsValue,
    },
    maxAggregatePeers: config.maxAggregatePeers,
    responseChunkBytes: config.responseChunkBytes,
    metrics,
    log,
  };
}
