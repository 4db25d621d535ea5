/**
 * The request side of Validate and Decode: one `context` message, then the payload in `chunk` messages.
 * Reading stops as soon as the payload exceeds the cap, so the verdict (TOO_LARGE) goes back without
 * waiting for, or storing, the rest of an oversize upload.
 */
import { InvalidArgumentError } from '@cohort/core';
import type { PayloadContext } from '@cohort/proto/cohort/codec/v1/compressor';

import { ByteCollector } from './byte-collector.js';

/** A request of a context-then-chunks stream (ValidateRequest, DecodeRequest). */
export interface PayloadRequest {
  readonly part:
    | { readonly case: 'context'; readonly value: PayloadContext }
    | { readonly case: 'chunk'; readonly value: Uint8Array }
    | { readonly case: undefined; readonly value?: undefined };
}

/** What arrived: the context and the payload, or only its size when it was over the cap. */
export type ReadPayload =
  | {
      readonly context: PayloadContext;
      readonly tooLarge: false;
      readonly bytes: Uint8Array;
      readonly received: number;
    }
  | { readonly context: PayloadContext; readonly tooLarge: true; readonly received: number };

/**
 * Read a context-then-chunks stream. Throws {@link InvalidArgumentError} (`CONTEXT_REQUIRED`,
 * `CONTEXT_REPEATED`, `EMPTY_PART`) when the stream breaks that shape: that is the caller's fault, not the
 * payload's.
 */
export async function readPayload(
  requests: AsyncIterable<PayloadRequest>,
  maxBytes: number,
): Promise<ReadPayload> {
  let context: PayloadContext | undefined;
  const collector = new ByteCollector(maxBytes);
  for await (const { part } of requests) {
    switch (part.case) {
      case 'context':
        if (context !== undefined) {
          throw new InvalidArgumentError('the payload context was sent twice', {
            reason: 'CONTEXT_REPEATED',
          });
        }
        context = part.value;
        break;
      case 'chunk':
        if (context === undefined) {
          throw new InvalidArgumentError('a payload chunk arrived before the context', {
            reason: 'CONTEXT_REQUIRED',
          });
        }
        if (!collector.add(part.value)) return { context, tooLarge: true, received: collector.received };
        break;
      default:
        throw new InvalidArgumentError('a request message without context or chunk', {
          reason: 'EMPTY_PART',
        });
    }
  }
  if (context === undefined) {
    throw new InvalidArgumentError('the stream ended without a payload context', {
      reason: 'CONTEXT_REQUIRED',
    });
  }
  return { context, tooLarge: false, bytes: collector.bytes(), received: collector.received };
}
