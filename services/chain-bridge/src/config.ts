import { commonFields, defineConfig, natsFields } from '@cohort/kit';
import type { ConfigOf } from '@cohort/kit';

/** chain-bridge configuration: the common keys and NATS (chain keys arrive with the chain issue). */
export const configSpec = defineConfig('chain-bridge', {
  ...commonFields({ grpc: 50052, metrics: 9102 }),
  ...natsFields(),
});

export type Config = ConfigOf<typeof configSpec.fields>;
