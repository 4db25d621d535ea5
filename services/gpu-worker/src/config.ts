import { commonFields, defineConfig } from '@cohort/kit';
import type { ConfigOf } from '@cohort/kit';

/** gpu-worker configuration: the common keys (engine keys arrive with the engine issue). */
export const configSpec = defineConfig('gpu-worker', {
  ...commonFields({ grpc: 50055, metrics: 9105 }),
});

export type Config = ConfigOf<typeof configSpec.fields>;
