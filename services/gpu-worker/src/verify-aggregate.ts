/**
 * VerifyAggregate: a header (run, window, size), then the aggregate's bytes; re-derived from the payloads
 * it lists in the run's store and compared bit for bit by @cohort/replica's verifyAggregate (ADR 0013,
 * layer 3). The miner's coordinator asks for it on the windows it samples before it applies an aggregate:
 * the coordinator stays free of native code, and the worker, which already holds the engine and reaches
 * the run's store, runs the derivation. A stateless codec call: it takes no part of the replica's state,
 * so it neither waits for nor blocks the call gate. A mismatch is an answer (matches false, the reason);
 * a store that cannot be read is an error, so the caller can tell "refused" from "could not audit".
 */
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { CallContext } from '@cohort/kit';
import type {
  VerifyAggregateHeader,
  VerifyAggregateRequest,
  VerifyAggregateResponseSchema,
} from '@cohort/proto/cohort/worker/v1/gpu_worker';
import { verifyAggregate } from '@cohort/replica';

import { readAggregate } from './apply-aggregate.js';
import type { HandlerDeps } from './handler-deps.js';
import { preconditionError } from './worker-errors.js';

type VerifyAggregateResponse = MessageInitShape<typeof VerifyAggregateResponseSchema>;

/**
 * The VerifyAggregate handler. The call's deadline or cancellation (the coordinator's `auditTimeoutMs`)
 * stops the payload downloads.
 */
export function createVerifyAggregate(
  deps: HandlerDeps,
  maxAggregateBytes: number,
): (requests: AsyncIterable<VerifyAggregateRequest>, ctx: CallContext) => Promise<VerifyAggregateResponse> {
  const { replica, log } = deps;
  return async function verify(requests, ctx) {
    const { header, bytes } = await readAggregate<VerifyAggregateHeader>(requests, maxAggregateBytes, (h) => {
      if (h.runId !== replica.deps.runId) {
        throw preconditionError(
          'WRONG_RUN',
          `run "${h.runId}" asked, this worker follows "${replica.deps.runId}"`,
        );
      }
    });
    const { store } = deps;
    if (store === null) {
      throw preconditionError('NO_STORE', 'VerifyAggregate needs the run store (storeAddress)');
    }
    const window = Number(header.window);
    const outcome = await verifyAggregate({ runId: header.runId, store, signal: ctx.signal }, window, {
      aggregate: bytes,
    });
    log.info('aggregate_verified', {
      window,
      matches: outcome.matches,
      reason: outcome.reason ?? '',
      contributors: outcome.contributors,
      payloadBytes: outcome.payloadBytes,
    });
    return {
      matches: outcome.matches,
      reasonCode: outcome.reason ?? '',
      detail: outcome.detail,
      contributors: outcome.contributors,
      payloadBytes: BigInt(outcome.payloadBytes),
    };
  };
}
