import { commonFields, defineConfig, natsFields } from '@cohort/kit';
import type { ConfigOf } from '@cohort/kit';

/** aggregator configuration: the common keys and NATS. */
export const configSpec = defineConfig('aggregator', {
  ...commonFields({ grpc: 50056, metrics: 9106 }),
  ...natsFields(),
});

export type Config = ConfigOf<typeof configSpec.fields>;
