/**
 * Types that connect protobuf-es service descriptors to handler and client signatures, so a service
 * implementation and its callers are checked against the .proto contract at compile time.
 */
import type { DescMessage, DescService, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import type { Metadata } from '@grpc/grpc-js';

/** The per-method shapes of a generated service (`GenService<{ echo: { methodKind, input, output } }>`). */
export type MethodsOf<S extends DescService> = S extends { method: infer M } ? M : never;

/** What a handler learns about its call. */
export interface CallContext {
  /** Aborted when the client cancels or the deadline passes: stop work and return. */
  readonly signal: AbortSignal;
  /** Aborted when the server starts shutting down: long-lived streams should finish now. */
  readonly draining: AbortSignal;
  readonly metadata: Metadata;
  readonly peer: string;
  /** Full method path, `/cohort.x.v1.XService/Method`. */
  readonly path: string;
}

/** Handler of a unary method. */
export type UnaryHandler<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  ctx: CallContext,
) => Promise<MessageInitShape<O>>;
/** Handler of a server-streaming method: yield responses. */
export type ServerStreamingHandler<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  ctx: CallContext,
) => AsyncIterable<MessageInitShape<O>>;
/** Handler of a client-streaming method: consume requests, return one response. */
export type ClientStreamingHandler<I extends DescMessage, O extends DescMessage> = (
  requests: AsyncIterable<MessageShape<I>>,
  ctx: CallContext,
) => Promise<MessageInitShape<O>>;
/** Handler of a bidi-streaming method. */
export type BidiStreamingHandler<I extends DescMessage, O extends DescMessage> = (
  requests: AsyncIterable<MessageShape<I>>,
  ctx: CallContext,
) => AsyncIterable<MessageInitShape<O>>;

/** The handler type of one method shape. */
export type HandlerOf<M> = M extends {
  methodKind: infer K;
  input: infer I extends DescMessage;
  output: infer O extends DescMessage;
}
  ? K extends 'unary'
    ? UnaryHandler<I, O>
    : K extends 'server_streaming'
      ? ServerStreamingHandler<I, O>
      : K extends 'client_streaming'
        ? ClientStreamingHandler<I, O>
        : BidiStreamingHandler<I, O>
  : never;

/** A full implementation of service S: one handler per method, by local (camelCase) name. */
export type ServiceImpl<S extends DescService> = { [K in keyof MethodsOf<S>]: HandlerOf<MethodsOf<S>[K]> };

/** Per-call options on the client side. */
export interface CallOptions {
  /** Cancel the call when this aborts. */
  readonly signal?: AbortSignal;
  /** Deadline relative to now; the server sees it too. */
  readonly timeoutMs?: number;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** Requests for a client-streaming call: any (async) iterable of message inits. */
export type RequestStream<T> = AsyncIterable<T> | Iterable<T>;

/** The client function of one method shape. */
export type ClientMethodOf<M> = M extends {
  methodKind: infer K;
  input: infer I extends DescMessage;
  output: infer O extends DescMessage;
}
  ? K extends 'unary'
    ? (request: MessageInitShape<I>, options?: CallOptions) => Promise<MessageShape<O>>
    : K extends 'server_streaming'
      ? (request: MessageInitShape<I>, options?: CallOptions) => AsyncIterable<MessageShape<O>>
      : K extends 'client_streaming'
        ? (requests: RequestStream<MessageInitShape<I>>, options?: CallOptions) => Promise<MessageShape<O>>
        : (
            requests: RequestStream<MessageInitShape<I>>,
            options?: CallOptions,
          ) => AsyncIterable<MessageShape<O>>
  : never;

/** A typed client of service S: one function per method, by local (camelCase) name. */
export type ServiceClient<S extends DescService> = {
  [K in keyof MethodsOf<S>]: ClientMethodOf<MethodsOf<S>[K]>;
};
