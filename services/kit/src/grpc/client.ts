/**
 * Typed clients for protobuf-es service descriptors over `@grpc/grpc-js`. Unary calls return
 * Promises, streams are async iterables, failures are CohortErrors with the server's code and reason.
 *
 * Two bounds keep a caller from waiting forever (ADR 0010, follow-up 2026-11-25): every transport sends
 * HTTP/2 keepalive pings, so a peer that vanished without closing its socket (killed node, partition)
 * fails the calls on it with UNAVAILABLE within keepalive time + timeout; and a call given `timeoutMs`
 * ends with DEADLINE_EXCEEDED when a live peer never answers. Neither is a default deadline: how long
 * a call may take is the caller's knowledge (a checkpoint load takes minutes, a metadata read seconds).
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { DescMessage, DescMethod, DescService, MessageShape } from '@bufbuild/protobuf';
import { CohortError, Code } from '@cohort/core';
import * as grpc from '@grpc/grpc-js';
import { once } from 'node:events';
import { fromGrpcError } from './status.js';
import type { CallOptions, RequestStream, ServiceClient } from './types.js';

/** One HTTP/2 channel to an address, shared by any number of service clients. */
export interface Transport {
  readonly address: string;
  /** @internal the underlying grpc-js client. */
  readonly channel: grpc.Client;
  /** The grpc-js channel options it was opened with (defaults included), for logs and tests. */
  readonly options: Readonly<grpc.ChannelOptions>;
  /** Resolve once connected, or reject with Unavailable after `timeoutMs`. */
  waitForReady(timeoutMs: number): Promise<void>;
  close(): void;
}

/**
 * Keepalive of every transport: a ping after 30 s without one (idle channels included, so a dead peer
 * is found before the next call rather than by it), the connection dropped when its ack has not come
 * 10 s later. A silent peer then costs at most about 40 s, instead of the kernel's TCP retransmission
 * timeout (15 minutes and more) or forever for an idle socket. Every cohort server is a grpc-js server,
 * which acknowledges pings at any rate (it has no ping policy, so no ENHANCE_YOUR_CALM / too_many_pings
 * GOAWAY; `deadlines.test.ts` holds it to that); a gRPC C-core server would need its
 * `grpc.http2.min_ping_interval_without_data_ms` below 30 s and `grpc.keepalive_permit_without_calls`.
 */
export const KEEPALIVE_TIME_MS = 30_000;
/** How long a keepalive ping may wait for its ack before the connection counts as dead. */
export const KEEPALIVE_TIMEOUT_MS = 10_000;

/** Options of {@link createTransport}. */
export interface TransportOptions {
  readonly credentials?: grpc.ChannelCredentials;
  readonly maxMessageBytes?: number;
  /** Interval of keepalive pings (default {@link KEEPALIVE_TIME_MS}). */
  readonly keepaliveTimeMs?: number;
  /** Wait for a ping's ack before dropping the connection (default {@link KEEPALIVE_TIMEOUT_MS}). */
  readonly keepaliveTimeoutMs?: number;
  /** Raw grpc-js options; they win over everything above. */
  readonly channelOptions?: grpc.ChannelOptions;
}

/** Open a channel to `address` (`host:port`). Plaintext unless credentials are given. */
export function createTransport(address: string, options: TransportOptions = {}): Transport {
  const max = options.maxMessageBytes ?? 8 * 1024 * 1024;
  const channelOptions: grpc.ChannelOptions = {
    'grpc.max_receive_message_length': max,
    'grpc.max_send_message_length': max,
    'grpc.keepalive_time_ms': options.keepaliveTimeMs ?? KEEPALIVE_TIME_MS,
    'grpc.keepalive_timeout_ms': options.keepaliveTimeoutMs ?? KEEPALIVE_TIMEOUT_MS,
    // grpc-js reads this one as `=== 1`: `true` would silently disable it.
    'grpc.keepalive_permit_without_calls': 1,
    ...options.channelOptions,
  };
  const channel = new grpc.Client(
    address,
    options.credentials ?? grpc.credentials.createInsecure(),
    channelOptions,
  );
  return {
    address,
    channel,
    options: Object.freeze(channelOptions),
    waitForReady: (timeoutMs) =>
      new Promise((resolve, reject) => {
        channel.waitForReady(Date.now() + timeoutMs, (err) => {
          if (err === undefined) resolve();
          else
            reject(
              new CohortError(
                Code.Unavailable,
                `${address} not reachable within ${timeoutMs} ms: ${err.message}`,
                { cause: err },
              ),
            );
        });
      }),
    close: () => channel.close(),
  };
}

const ser =
  (schema: DescMessage) =>
  (msg: MessageShape<DescMessage>): Buffer => {
    const bytes = toBinary(schema, msg);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
const de =
  (schema: DescMessage) =>
  (buf: Buffer): MessageShape<DescMessage> =>
    fromBinary(schema, buf);

function metadataOf(options: CallOptions): grpc.Metadata {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(options.metadata ?? {})) md.set(k, v);
  return md;
}

function callOptionsOf(options: CallOptions): grpc.CallOptions {
  return options.timeoutMs === undefined ? {} : { deadline: Date.now() + options.timeoutMs };
}

/** Cancel `call` when `signal` aborts; returns the detach function. */
function linkAbort(call: { cancel(): void }, signal: AbortSignal | undefined): () => void {
  if (signal === undefined) return () => undefined;
  if (signal.aborted) {
    call.cancel();
    return () => undefined;
  }
  const onAbort = (): void => call.cancel();
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

type AnyMessage = MessageShape<DescMessage>;

async function pump(
  call: grpc.ClientWritableStream<AnyMessage>,
  requests: RequestStream<unknown>,
  input: DescMessage,
): Promise<void> {
  for await (const init of requests) {
    if (!call.write(create(input, init as never))) await once(call, 'drain');
  }
  call.end();
}

async function* readAll(
  call: grpc.ClientReadableStream<unknown> | grpc.ClientDuplexStream<unknown, unknown>,
  detach: () => void,
  pumpFailure: () => unknown = () => undefined,
): AsyncGenerator<never> {
  try {
    for await (const msg of call) yield msg as never;
  } catch (err) {
    // When our own request stream failed, that failure (not the resulting CANCELLED) is the cause.
    throw fromGrpcError(pumpFailure() ?? err);
  } finally {
    detach();
    call.cancel(); // no-op after a normal end; stops the server when the consumer broke out early
  }
}

/**
 * A call with one response (unary, client streaming): settle a Promise from grpc-js's callback, map errors,
 * and cancel the call when `signal` aborts.
 */
function singleResponse(
  signal: AbortSignal | undefined,
  start: (callback: grpc.requestCallback<unknown>, fail: (err: unknown) => void) => { cancel(): void },
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let detach = (): void => undefined;
    const fail = (err: unknown): void => {
      detach();
      reject(fromGrpcError(err));
    };
    const call = start((err, value) => {
      if (err) return fail(err);
      detach();
      resolve(value);
    }, fail);
    detach = linkAbort(call, signal);
  });
}

function clientMethod(transport: Transport, service: DescService, method: DescMethod): unknown {
  const path = `/${service.typeName}/${method.name}`;
  const { channel } = transport;
  const [reqSer, resDe] = [ser(method.input), de(method.output)];
  switch (method.methodKind) {
    case 'unary':
      return (request: unknown, options: CallOptions = {}) =>
        singleResponse(options.signal, (callback) =>
          channel.makeUnaryRequest(
            path,
            reqSer,
            resDe,
            create(method.input, request as never),
            metadataOf(options),
            callOptionsOf(options),
            callback,
          ),
        );
    case 'server_streaming':
      return (request: unknown, options: CallOptions = {}) => {
        const call = channel.makeServerStreamRequest(
          path,
          reqSer,
          resDe,
          create(method.input, request as never),
          metadataOf(options),
          callOptionsOf(options),
        );
        return readAll(call, linkAbort(call, options.signal));
      };
    case 'client_streaming':
      return (requests: RequestStream<unknown>, options: CallOptions = {}) =>
        singleResponse(options.signal, (callback, fail) => {
          const call = channel.makeClientStreamRequest(
            path,
            reqSer,
            resDe,
            metadataOf(options),
            callOptionsOf(options),
            callback,
          );
          pump(call, requests, method.input).catch((err: unknown) => {
            call.cancel();
            fail(err);
          });
          return call;
        });
    case 'bidi_streaming':
      return (requests: RequestStream<unknown>, options: CallOptions = {}) => {
        const call = channel.makeBidiStreamRequest(
          path,
          reqSer,
          resDe,
          metadataOf(options),
          callOptionsOf(options),
        );
        let failure: unknown;
        pump(call, requests, method.input).catch((err: unknown) => {
          failure = err;
          call.cancel();
        });
        return readAll(call, linkAbort(call, options.signal), () => failure);
      };
  }
}

/** A typed client for `service` over `transport`. */
export function createServiceClient<S extends DescService>(
  service: S,
  transport: Transport,
): ServiceClient<S> {
  const client: Record<string, unknown> = {};
  for (const method of service.methods) client[method.localName] = clientMethod(transport, service, method);
  return client as ServiceClient<S>;
}
