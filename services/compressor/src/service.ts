/**
 * compressor: the SparseLoCo codec as a stateless service. Validates untrusted payloads (structure, caps,
 * expectations, hash, sr25519 signature by the expected hotkey), decodes them into sparse tensors, and
 * aggregates a selection into the canonical aggregate. The codec runs in @cohort/native off the event loop.
 */
import { ConfigError, envName } from '@cohort/kit';
import type { ServiceDefinition } from '@cohort/kit';
import { buildInfo } from '@cohort/native';
import { CompressorService } from '@cohort/proto/cohort/codec/v1/compressor';

import { createCompressorMetrics } from './compressor-metrics.js';
import { configSpec } from './config.js';
import type { Config } from './config.js';
import { handlerDeps } from './handler-deps.js';
import { createCompressorImpl } from './server.js';

/** Room left in a response message for everything but the payload bytes it carries. */
const MESSAGE_OVERHEAD_BYTES = 64 * 1024;

/** Streamed responses must fit in one gRPC message. */
export function checkResponseChunk(config: Config): void {
  if (config.responseChunkBytes + MESSAGE_OVERHEAD_BYTES > config.grpcMaxMessageBytes) {
    throw new ConfigError(
      `responseChunkBytes (env ${envName('responseChunkBytes')}) must be at least ${MESSAGE_OVERHEAD_BYTES} ` +
        `bytes below grpcMaxMessageBytes (${config.grpcMaxMessageBytes})`,
      'CONFIG_CONFLICT',
      'responseChunkBytes',
      undefined,
    );
  }
}

/** The compressor service definition, run by main.ts. */
export const compressorService: ServiceDefinition<typeof configSpec.fields> = {
  name: 'compressor',
  spec: configSpec,
  validate: checkResponseChunk,
  start(ctx) {
    // Load the native codec now: a missing or stale addon fails the start, not the first payload, and
    // the first call does not stall the event loop loading libtorch.
    const engine = buildInfo();
    const deps = handlerDeps(ctx.config, createCompressorMetrics(ctx.metrics.registry), ctx.log);
    ctx.addGrpcService(CompressorService, createCompressorImpl(deps));
    ctx.log.info('compressor_limits', {
      maxPayloadBytes: ctx.config.maxPayloadBytes,
      maxAggregatePeers: ctx.config.maxAggregatePeers,
      maxTensors: ctx.config.maxTensors,
      maxElements: ctx.config.maxElements,
      engineVersion: engine.engineVersion,
    });
    return Promise.resolve();
  },
};
