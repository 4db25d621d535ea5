/**
 * ApplyAggregate: a header (window, outer learning rate, size), then exactly `size_bytes` of aggregate in
 * chunks; the outer step θ_{w+1} = θ_w − α·A_w after the engine validated the aggregate (hash, model, run,
 * window). Answers θ_{w+1}'s fingerprint, the sync proof the coordinator compares across replicas.
 */
import type { MessageInitShape } from '@bufbuild/protobuf';
import type {
  ApplyAggregateHeader,
  ApplyAggregateRequest,
  ApplyAggregateResponseSchema,
} from '@cohort/proto/cohort/worker/v1/gpu_worker';

import type { HandlerDeps } from './handler-deps.js';
import { badRequest } from './worker-errors.js';

type ApplyAggregateResponse = MessageInitShape<typeof ApplyAggregateResponseSchema>;

function sizeMismatch(expected: bigint, received: number): Error {
  return badRequest(
    'SIZE_MISMATCH',
    `the header announced ${expected} aggregate bytes, the stream carried ${received}${received > expected ? ' or more' : ''}`,
  );
}

/** A request of a header-then-chunks aggregate stream (ApplyAggregate, VerifyAggregate). */
export interface AggregateStreamPart<H> {
  readonly part:
    | { readonly case: 'header'; readonly value: H }
    | { readonly case: 'chunk'; readonly value: Uint8Array }
    | { readonly case: undefined; readonly value?: undefined };
}

/**
 * Read the header and exactly the announced bytes; more or fewer is SIZE_MISMATCH. `check` sees the
 * header before any byte is buffered, so a call for the wrong window fails before the upload.
 */
export async function readAggregate<H extends { readonly sizeBytes: bigint }>(
  requests: AsyncIterable<AggregateStreamPart<H>>,
  maxBytes: number,
  check: (header: H) => void,
): Promise<{ header: H; bytes: Uint8Array }> {
  let header: H | undefined;
  let bytes: Uint8Array | undefined;
  let received = 0;
  for await (const { part } of requests) {
    if (part.case === 'header') {
      if (header !== undefined) throw badRequest('HEADER_REPEATED', 'the aggregate header was sent twice');
      header = part.value;
      check(header);
      if (header.sizeBytes > BigInt(maxBytes)) {
        throw badRequest('SIZE_MISMATCH', `an aggregate of ${header.sizeBytes} bytes exceeds ${maxBytes}`);
      }
      bytes = new Uint8Array(Number(header.sizeBytes));
    } else if (part.case === 'chunk') {
      if (header === undefined || bytes === undefined) {
        throw badRequest('HEADER_REQUIRED', 'an aggregate chunk arrived before the header');
      }
      if (received + part.value.length > bytes.length)
        throw sizeMismatch(header.sizeBytes, received + part.value.length);
      bytes.set(part.value, received);
      received += part.value.length;
    } else {
      throw badRequest('EMPTY_PART', 'a request message without header or chunk');
    }
  }
  if (header === undefined || bytes === undefined) {
    throw badRequest('HEADER_REQUIRED', 'the stream ended without an aggregate header');
  }
  if (received !== bytes.length) throw sizeMismatch(header.sizeBytes, received);
  return { header, bytes };
}

/** The ApplyAggregate handler. */
export function createApplyAggregate(
  deps: HandlerDeps,
  maxBytes: number,
): (requests: AsyncIterable<ApplyAggregateRequest>) => Promise<ApplyAggregateResponse> {
  const { replica, metrics, log } = deps;
  return async function applyAggregate(requests) {
    const release = replica.gate.enter('ApplyAggregate');
    try {
      const { header, bytes } = await readAggregate<ApplyAggregateHeader>(requests, maxBytes, (h) =>
        replica.requireWindow('ApplyAggregate', h.window),
      );
      const done = metrics.apply();
      let fingerprint: Uint8Array;
      try {
        fingerprint = await replica.apply(header.window, header.outerLearningRate, bytes);
      } catch (error) {
        done('error');
        throw error;
      }
      done('ok');
      log.info('aggregate_applied', {
        window: header.window.toString(),
        bytes: bytes.length,
        stateWindow: replica.stateWindow.toString(),
        stateFingerprint: Buffer.from(fingerprint).toString('hex'),
      });
      return { stateFingerprint: fingerprint };
    } finally {
      release();
    }
  };
}
