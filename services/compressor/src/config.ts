import { commonFields, defineConfig, field } from '@cohort/kit';
import type { ConfigOf } from '@cohort/kit';

/** compressor configuration: the common keys plus payload limits. */
export const configSpec = defineConfig('compressor', {
  ...commonFields({ grpc: 50054, metrics: 9104 }),
  maxPayloadBytes: field.int({
    doc: 'Largest payload accepted for validation or decoding; larger streams are refused before decoding',
    default: 4 * 1024 * 1024 * 1024,
    min: 1024,
    max: 64 * 1024 * 1024 * 1024,
    unit: 'bytes',
  }),
  maxAggregatePeers: field.int({
    doc: 'Most payloads one Aggregate call may combine',
    default: 256,
    min: 1,
    max: 4096,
  }),
});

export type Config = ConfigOf<typeof configSpec.fields>;
