/**
 * EncodeUpdate: the window's signed update payload (error feedback + encode inside the engine, signed with
 * the configured hotkey, e persisted), streamed as one PayloadInfo (size, the object digest the hotkey
 * signed, kept values) and then chunks of at most payloadChunkBytes. Asking again for the same window
 * before anything else changes the replica returns the same payload.
 */
import type { MessageInitShape } from '@bufbuild/protobuf';
import type {
  EncodeUpdateRequest,
  EncodeUpdateResponseSchema,
} from '@cohort/proto/cohort/worker/v1/gpu_worker';

import type { HandlerDeps } from './handler-deps.js';
import type { SignedPayload } from './replica.js';

type EncodeUpdateResponse = MessageInitShape<typeof EncodeUpdateResponseSchema>;

/** The EncodeUpdate handler. */
export function createEncodeUpdate(
  deps: HandlerDeps,
): (request: EncodeUpdateRequest) => AsyncIterable<EncodeUpdateResponse> {
  const { replica, metrics, log } = deps;
  return async function* encodeUpdate(request) {
    const done = metrics.encode();
    let encoded: { payload: SignedPayload; resent: boolean };
    try {
      encoded = await replica.gate.run('EncodeUpdate', () => replica.encode(request.window));
    } catch (error) {
      done('error');
      throw error;
    }
    done('ok');
    const { payload, resent } = encoded;
    if (!resent) metrics.payloadBytes(payload.bytes.length);
    log.info('update_encoded', {
      window: payload.window.toString(),
      bytes: payload.bytes.length,
      keptValues: payload.keptValues,
      errorFeedbackNorm: payload.errorFeedbackNorm,
      resent,
    });
    const { bytes } = payload;
    yield {
      part: {
        case: 'info',
        value: {
          sizeBytes: BigInt(bytes.length),
          blake2b256: payload.digest,
          keptValues: BigInt(payload.keptValues),
        },
      },
    };
    for (let at = 0; at < bytes.length; at += deps.payloadChunkBytes) {
      yield { part: { case: 'chunk', value: bytes.subarray(at, at + deps.payloadChunkBytes) } };
    }
  };
}
