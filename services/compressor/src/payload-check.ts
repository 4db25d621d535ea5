/**
 * One payload checked against what its receiver expects (a PayloadContext): the codec's structural and
 * header checks, the BLAKE2b-256 trailer, the sr25519 signature by the context's hotkey and, when the
 * context names one, the θ_w state fingerprint. Shared by Validate and Decode.
 */
import { CohortError, Code, InvalidArgumentError, decodeSs58 } from '@cohort/core';
import { decodeUpdate } from '@cohort/native';
import type { DecodeLimits, SparseTensor, UpdateSummary } from '@cohort/native';
import type { PayloadContext, PayloadSummary } from '@cohort/proto/cohort/codec/v1/compressor';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { PayloadSummarySchema } from '@cohort/proto/cohort/codec/v1/compressor';

/**
 * The reason a payload is rejected when its state fingerprint differs from the context's (out of sync).
 * Compressor-level: the codec does not know θ_w.
 */
export const WRONG_STATE = 'WRONG_STATE';

/** A payload's verdict: its summary (and tensors when asked for), or a stable reason and a detail. */
export type PayloadVerdict =
  | { readonly ok: true; readonly summary: UpdateSummary; readonly tensors: readonly SparseTensor[] | null }
  | { readonly ok: false; readonly reason: string; readonly detail: string };

/** A payload that failed its checks, as Decode and Aggregate report it: `reason` is the stable code. */
export class PayloadRejectedError extends CohortError {
  override readonly name: string = 'PayloadRejectedError';
  constructor(reason: string, detail: string) {
    super(Code.InvalidArgument, `payload rejected: ${reason}: ${detail}`, { reason, details: { detail } });
  }
}

function optional32(value: Uint8Array, what: string): Uint8Array | undefined {
  if (value.length === 0) return undefined;
  if (value.length !== 32) {
    throw new InvalidArgumentError(`the context's ${what} has ${value.length} bytes, expected 32 or none`, {
      reason: 'CONTEXT_INVALID',
    });
  }
  return value;
}

/** The verdict on a payload streamed past the cap (the codec never sees it). */
export function tooLarge(maxBytes: number, received: number): PayloadVerdict {
  return {
    ok: false,
    reason: 'TOO_LARGE',
    detail: `more than ${maxBytes} bytes streamed (${received} received before refusing)`,
  };
}

/** The public key of the context's SS58 hotkey; InvalidArgument when missing or malformed. */
export function contextHotkey(context: PayloadContext): Uint8Array {
  if (context.hotkey === '') {
    throw new InvalidArgumentError('the payload context names no hotkey', { reason: 'CONTEXT_INVALID' });
  }
  return decodeSs58(context.hotkey);
}

/** Check `bytes` against `context`; with `tensors`, decode the kept entries too. */
export async function checkPayload(
  bytes: Uint8Array,
  context: PayloadContext,
  limits: DecodeLimits,
  tensors: boolean,
): Promise<PayloadVerdict> {
  if (context.runId === '') {
    throw new InvalidArgumentError('the payload context names no run', { reason: 'CONTEXT_INVALID' });
  }
  const hotkey = contextHotkey(context);
  const modelFingerprint = optional32(context.modelFingerprint, 'model fingerprint');
  const state = optional32(context.stateFingerprint, 'state fingerprint');
  const out = await decodeUpdate(bytes, {
    expect: {
      runId: context.runId,
      window: context.window,
      hotkey,
      ...(modelFingerprint === undefined ? {} : { modelFingerprint }),
    },
    limits,
    tensors,
  });
  if (out.ok && state !== undefined && !Buffer.from(state).equals(out.summary.stateFingerprint)) {
    const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
    return {
      ok: false,
      reason: WRONG_STATE,
      detail: `computed from θ ${hex(out.summary.stateFingerprint)}, expected ${hex(state)}`,
    };
  }
  return out;
}

/** The wire form of an update's summary. */
export function payloadSummary(summary: UpdateSummary): MessageInitShape<typeof PayloadSummarySchema> {
  const init: Omit<PayloadSummary, '$typeName'> = {
    formatVersion: summary.formatVersion,
    sizeBytes: BigInt(summary.sizeBytes),
    blake2b256: summary.digest,
    tensorCount: summary.tensorCount,
    keptValues: BigInt(summary.keptValues),
    stateFingerprint: summary.stateFingerprint,
    dataReceipt: summary.dataReceipt,
  };
  return init;
}
