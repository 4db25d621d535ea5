/**
 * compressor: the SparseLoCo codec as a stateless service (validate, decode, aggregate untrusted
 * payloads). The codec itself arrives with the codec issue; until then its RPCs answer UNIMPLEMENTED.
 */
import { CompressorService } from '@cohort/proto/cohort/codec/v1/compressor';
import type { ServiceDefinition } from '@cohort/kit';
import { configSpec } from './config.js';

/** The compressor service definition, run by main.ts. */
export const compressorService: ServiceDefinition<typeof configSpec.fields> = {
  name: 'compressor',
  spec: configSpec,
  start(ctx) {
    ctx.addGrpcService(CompressorService, {});
    ctx.log.info('compressor_limits', {
      maxPayloadBytes: ctx.config.maxPayloadBytes,
      maxAggregatePeers: ctx.config.maxAggregatePeers,
    });
    return Promise.resolve();
  },
};
