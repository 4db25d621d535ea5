/**
 * Decode: one payload in; its summary, then its tensors out (flat ascending uint32 indices and float32
 * values, little-endian bytes). A tensor larger than one response message arrives as consecutive
 * SparseTensor messages with the same name whose entries concatenate. A rejected payload fails the call
 * with {@link PayloadRejectedError}: InvalidArgument, the reason in `cohort-reason`.
 */
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { SparseTensor } from '@cohort/native';
import type { DecodeResponseSchema } from '@cohort/proto/cohort/codec/v1/compressor';
import { endianness } from 'node:os';

import type { HandlerDeps } from './handler-deps.js';
import { PayloadRejectedError, checkPayload, payloadSummary, tooLarge } from './payload-check.js';
import type { PayloadVerdict } from './payload-check.js';
import { readPayload } from './payload-reader.js';
import type { PayloadRequest } from './payload-reader.js';

type DecodeResponse = MessageInitShape<typeof DecodeResponseSchema>;

const hostIsLittleEndian = endianness() === 'LE';

/** A typed array's elements as little-endian bytes (a view on little-endian hosts, a copy otherwise). */
export function littleEndianBytes(array: Uint32Array | Float32Array): Uint8Array {
  if (hostIsLittleEndian) return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  const out = new DataView(new ArrayBuffer(array.byteLength));
  array.forEach((v, i) =>
    array instanceof Float32Array ? out.setFloat32(4 * i, v, true) : out.setUint32(4 * i, v, true),
  );
  return new Uint8Array(out.buffer);
}

/** One tensor as SparseTensor messages of at most `entriesPerPart` entries each (at least one message). */
export function* tensorParts(tensor: SparseTensor, entriesPerPart: number): Generator<DecodeResponse> {
  const shape = tensor.shape.map((d) => BigInt(d));
  const n = tensor.indices.length;
  for (let at = 0; at === 0 || at < n; at += entriesPerPart) {
    const end = Math.min(n, at + entriesPerPart);
    yield {
      part: {
        case: 'tensor',
        value: {
          name: tensor.name,
          shape,
          indices: littleEndianBytes(tensor.indices.subarray(at, end)),
          values: littleEndianBytes(tensor.values.subarray(at, end)),
        },
      },
    };
  }
}

/** The Decode handler. */
export function createDecode(
  deps: HandlerDeps,
): (requests: AsyncIterable<PayloadRequest>) => AsyncIterable<DecodeResponse> {
  return async function* decode(requests) {
    const payload = await readPayload(requests, deps.limits.maxBytes);
    deps.metrics.bytesIn('decode', payload.received);
    const done = deps.metrics.time('decode');
    let verdict: PayloadVerdict;
    try {
      verdict = payload.tooLarge
        ? tooLarge(deps.limits.maxBytes, payload.received)
        : await checkPayload(payload.bytes, payload.context, deps.limits, true);
    } finally {
      done();
    }
    deps.metrics.payload('decode', verdict.ok ? null : verdict.reason);
    if (!verdict.ok) {
      const { context } = payload;
      deps.log.info('payload_invalid', {
        run: context.runId,
        window: context.window.toString(),
        hotkey: context.hotkey,
        reason: verdict.reason,
        detail: verdict.detail,
      });
      throw new PayloadRejectedError(verdict.reason, verdict.detail);
    }
    yield { part: { case: 'summary', value: payloadSummary(verdict.summary) } };
    const entriesPerPart = Math.max(1, Math.floor(deps.responseChunkBytes / 8));
    for (const tensor of verdict.tensors ?? []) yield* tensorParts(tensor, entriesPerPart);
  };
}
