/**
 * Validate: one payload in, a verdict out. An invalid payload is an answer (`valid: false` with a stable
 * reason code), not a failed call; only a malformed request (no context, a bad SS58 hotkey) fails.
 */
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { ValidateResponseSchema } from '@cohort/proto/cohort/codec/v1/compressor';

import type { HandlerDeps } from './handler-deps.js';
import { checkPayload, payloadSummary, tooLarge } from './payload-check.js';
import type { PayloadVerdict } from './payload-check.js';
import { readPayload } from './payload-reader.js';
import type { PayloadRequest } from './payload-reader.js';

type ValidateResponse = MessageInitShape<typeof ValidateResponseSchema>;

/** The Validate handler. */
export function createValidate(
  deps: HandlerDeps,
): (requests: AsyncIterable<PayloadRequest>) => Promise<ValidateResponse> {
  return async (requests) => {
    const payload = await readPayload(requests, deps.limits.maxBytes);
    deps.metrics.bytesIn('validate', payload.received);
    const done = deps.metrics.time('validate');
    let verdict: PayloadVerdict;
    try {
      verdict = payload.tooLarge
        ? tooLarge(deps.limits.maxBytes, payload.received)
        : await checkPayload(payload.bytes, payload.context, deps.limits, false);
    } finally {
      done();
    }
    deps.metrics.payload('validate', verdict.ok ? null : verdict.reason);
    const { context } = payload;
    const where = { run: context.runId, window: context.window.toString(), hotkey: context.hotkey };
    if (!verdict.ok) {
      deps.log.info('payload_invalid', { ...where, reason: verdict.reason, detail: verdict.detail });
      return { valid: false, reasonCode: verdict.reason, detail: verdict.detail };
    }
    deps.log.debug('payload_valid', { ...where, sizeBytes: verdict.summary.sizeBytes });
    return { valid: true, summary: payloadSummary(verdict.summary) };
  };
}
