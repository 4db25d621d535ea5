/**
 * Aggregation by the compressor service (`CompressorService.Aggregate`, ADR 0014): the process that
 * parses untrusted payloads is the compressor, so a payload that crashes or exhausts the parser takes it
 * down, not the aggregator holding the replica and the signing key. Request: the header (run, window,
 * hotkeys in selection order, this aggregator's key, θ_w's fingerprint), then every payload's chunks
 * tagged with its index; answer: a summary, then the unsigned aggregate in chunks, accepted only after
 * remote-aggregate-check.ts. `NO_VALID_PAYLOADS` becomes {@link NoValidPayloadsError} (the window is
 * skipped); a compressor down, past `timeoutMs` or answering anything else fails the call with a
 * {@link CompressorCallError} (the window is retried at the next window event, nothing published).
 */
import { CohortError, Code, encodeSs58 } from '@cohort/core';
import { createServiceClient, createTransport } from '@cohort/kit';
import type { ServiceClient, Transport } from '@cohort/kit';
import { CompressorService } from '@cohort/proto/cohort/codec/v1/compressor';
import type { AggregateResponse, AggregateSummary } from '@cohort/proto/cohort/codec/v1/compressor';

import { RemoteAggregateRefusedError, checkRemoteAggregate } from './remote-aggregate-check.js';
import { NoValidPayloadsError } from './payload-aggregator.js';
import type { AggregateRequest, ContributorVerdict, PayloadAggregator } from './payload-aggregator.js';

/** How a call to the compressor ended (the `result` label of `cohort_aggregator_compressor_calls_total`). */
export type CompressorCallResult = 'ok' | 'no_valid' | 'refused' | 'unavailable' | 'timeout' | 'error';

/** The compressor could not aggregate the window: down, too slow, or failing; the window is retried. */
export class CompressorCallError extends CohortError {
  override readonly name: string = 'CompressorCallError';
  constructor(
    reason: 'COMPRESSOR_UNAVAILABLE' | 'COMPRESSOR_TIMEOUT' | 'COMPRESSOR_FAILED',
    message: string,
    cause: CohortError,
  ) {
    super(cause.code, message, { reason, cause, details: { causeReason: cause.reason ?? '' } });
  }
}

/** Options of {@link createRemoteAggregator}. */
export interface RemoteAggregatorOptions {
  /** host:port of the compressor's gRPC API. */
  readonly address: string;
  /** Deadline of one Aggregate call, upload and answer included. */
  readonly timeoutMs: number;
  /** Told how every call ended (a metric). */
  readonly onCall: (result: CompressorCallResult) => void;
  /** Bytes per streamed request chunk (default 1 MiB). */
  readonly chunkBytes?: number;
}

/** Largest aggregate accepted from a compressor (the store client's cap on one object). */
const MAX_AGGREGATE_BYTES = 8 * 1024 ** 3;

function* requests(request: AggregateRequest, chunk: number) {
  yield {
    part: {
      case: 'header' as const,
      value: {
        runId: request.runId,
        window: BigInt(request.window),
        hotkeys: request.payloads.map((p) => p.hotkey),
        aggregatorHotkey: encodeSs58(request.aggregatorKey),
        stateFingerprint: request.stateFingerprint,
        modelFingerprint: request.modelFingerprint,
      },
    },
  };
  for (const [index, { bytes }] of request.payloads.entries()) {
    for (let at = 0; at < bytes.length; at += chunk) {
      yield { part: { case: 'chunk' as const, value: { index, data: bytes.subarray(at, at + chunk) } } };
    }
  }
}

/** Read the answer: the summary first, then at most its announced size of chunks. */
async function readAnswer(
  stream: AsyncIterable<AggregateResponse>,
): Promise<{ summary: AggregateSummary; bytes: Uint8Array }> {
  let summary: AggregateSummary | undefined;
  let bytes = new Uint8Array(0);
  let received = 0;
  for await (const { part } of stream) {
    if (part.case === 'summary' && summary === undefined) {
      summary = part.value;
      if (summary.sizeBytes > BigInt(MAX_AGGREGATE_BYTES)) {
        throw new RemoteAggregateRefusedError(
          'SIZE_MISMATCH',
          `the summary announces ${summary.sizeBytes} bytes, over ${MAX_AGGREGATE_BYTES}`,
        );
      }
      bytes = new Uint8Array(Number(summary.sizeBytes));
    } else if (part.case === 'chunk' && summary !== undefined) {
      if (received + part.value.length > bytes.length) {
        throw new RemoteAggregateRefusedError(
          'SIZE_MISMATCH',
          `more than the ${bytes.length} announced bytes arrived`,
        );
      }
      bytes.set(part.value, received);
      received += part.value.length;
    } else {
      throw new RemoteAggregateRefusedError(
        'AGGREGATE_MALFORMED',
        `a ${part.case ?? 'empty'} message arrived out of order`,
      );
    }
  }
  if (summary === undefined) {
    throw new RemoteAggregateRefusedError('AGGREGATE_MALFORMED', 'the answer ended without a summary');
  }
  return { summary, bytes: bytes.subarray(0, received) };
}

/**
 * Each payload's verdict from the compressor's NO_VALID_PAYLOADS status: its `reasonsByPayload` when it
 * lists one per payload, else the status's one reason, else NO_VALID_PAYLOADS.
 */
export function refusedVerdicts(request: AggregateRequest, error: CohortError): ContributorVerdict[] {
  const byPayload = String(error.details.reasonsByPayload ?? '').split(',');
  const reasons = String(error.details.reasons ?? '').split(',');
  const fallback = reasons.length === 1 && reasons[0] !== '' ? reasons[0]! : 'NO_VALID_PAYLOADS';
  const perPayload = byPayload.length === request.payloads.length;
  return request.payloads.map((p, index) => ({
    index,
    included: false,
    reason: (perPayload ? byPayload[index] : undefined) || fallback,
    detail: 'refused by the compressor (its aggregate_excluded log has the detail)',
    hotkey: p.hotkey,
    digest: null,
  }));
}

/** The failure of a call that did not end in an answer, classified for the log and the metric. */
function callFailure(address: string, error: CohortError): [CompressorCallResult, CompressorCallError] {
  if (error.code === Code.Unavailable) {
    return [
      'unavailable',
      new CompressorCallError(
        'COMPRESSOR_UNAVAILABLE',
        `the compressor at ${address} is unavailable: ${error.message}`,
        error,
      ),
    ];
  }
  if (error.code === Code.DeadlineExceeded) {
    return [
      'timeout',
      new CompressorCallError(
        'COMPRESSOR_TIMEOUT',
        `the compressor at ${address} did not answer in time: ${error.message}`,
        error,
      ),
    ];
  }
  return [
    'error',
    new CompressorCallError(
      'COMPRESSOR_FAILED',
      `the compressor at ${address} failed: ${error.toString()}`,
      error,
    ),
  ];
}

/** A {@link PayloadAggregator} that asks the compressor at `options.address`. */
export function createRemoteAggregator(options: RemoteAggregatorOptions): PayloadAggregator {
  const transport: Transport = createTransport(options.address);
  const client: ServiceClient<typeof CompressorService> = createServiceClient(CompressorService, transport);
  const chunk = options.chunkBytes ?? 1024 * 1024;
  return {
    kind: 'compressor',
    async aggregate(request, signal) {
      let answer: { summary: AggregateSummary; bytes: Uint8Array };
      try {
        answer = await readAnswer(
          client.aggregate(requests(request, chunk), { signal, timeoutMs: options.timeoutMs }),
        );
      } catch (raw) {
        if (raw instanceof RemoteAggregateRefusedError) {
          options.onCall('refused');
          throw raw;
        }
        const error = CohortError.from(raw);
        if (error.reason === 'NO_VALID_PAYLOADS') {
          options.onCall('no_valid');
          throw new NoValidPayloadsError(refusedVerdicts(request, error), { cause: error });
        }
        if (signal.aborted) throw error; // shutdown cut the call: not the compressor's failure
        const [result, failure] = callFailure(options.address, error);
        options.onCall(result);
        throw failure;
      }
      try {
        const outcome = await checkRemoteAggregate(request, answer.summary, answer.bytes);
        options.onCall('ok');
        return outcome;
      } catch (error) {
        options.onCall('refused');
        throw error;
      }
    },
    close: () => transport.close(),
  };
}
