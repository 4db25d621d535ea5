import { commonFields, defineConfig, field } from '@cohort/kit';
import type { ConfigOf } from '@cohort/kit';

/** compressor configuration: the common keys plus caps on untrusted payloads. */
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
  maxTensors: field.int({
    doc: "Most tensors a payload's tensor table may list",
    default: 4096,
    min: 1,
    max: 1_000_000,
  }),
  maxElements: field.int({
    doc: "Most parameters (sum of tensor sizes) a payload's tensor table may describe",
    default: 2 ** 37,
    min: 1,
    max: 2 ** 50,
  }),
  maxAbsValue: field.number({
    doc: 'Largest magnitude of a quantization shift, codebook entry or aggregate value before a payload is rejected',
    default: 1e4,
    min: 1e-6,
    max: 1e30,
  }),
  responseChunkBytes: field.int({
    doc: 'Bytes per streamed response message (aggregate chunks, decoded tensor parts); below grpcMaxMessageBytes',
    default: 4 * 1024 * 1024,
    min: 1024,
    max: 256 * 1024 * 1024,
    unit: 'bytes',
  }),
});

export type Config = ConfigOf<typeof configSpec.fields>;
