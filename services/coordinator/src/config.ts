import { commonFields, defineConfig, field, natsFields } from '@cohort/kit';
import type { ConfigOf } from '@cohort/kit';

/** The roles one coordinator process can hold (several at once). */
export const roles = ['miner', 'validator', 'aggregator'] as const;

/** coordinator configuration: the common keys, NATS, and the roles this operator plays. */
export const configSpec = defineConfig('coordinator', {
  ...commonFields({ grpc: 50051, metrics: 9101 }),
  ...natsFields(),
  roles: field.list({
    doc: 'Roles this operator plays: miner, validator, aggregator (one or more)',
    default: ['miner'],
    item: /^(miner|validator|aggregator)$/,
    itemDoc: 'miner, validator or aggregator',
    min: 1,
  }),
});

export type Config = ConfigOf<typeof configSpec.fields>;
