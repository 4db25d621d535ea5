/**
 * The CompressorService implementation: thin handlers over the codec (validate.ts, decode.ts,
 * aggregate.ts), all sharing one {@link HandlerDeps}.
 */
import type { ServiceImpl } from '@cohort/kit';
import type { CompressorService } from '@cohort/proto/cohort/codec/v1/compressor';

import { createAggregate } from './aggregate.js';
import { createDecode } from './decode.js';
import type { HandlerDeps } from './handler-deps.js';
import { createValidate } from './validate.js';

/** Every CompressorService RPC, bound to `deps`. */
export function createCompressorImpl(deps: HandlerDeps): ServiceImpl<typeof CompressorService> {
  return {
    validate: createValidate(deps),
    decode: createDecode(deps),
    aggregate: createAggregate(deps),
  };
}
