import { commonFields, defineConfig, natsFields } from '@cohort/kit';
import type { ConfigOf } from '@cohort/kit';

/** gauntlet-evaluator configuration: the common keys and NATS. */
export const configSpec = defineConfig('gauntlet-evaluator', {
  ...commonFields({ grpc: 50057, metrics: 9107 }),
  ...natsFields(),
});

export type Config = ConfigOf<typeof configSpec.fields>;
