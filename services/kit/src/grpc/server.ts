/**
 * Serve a protobuf-es service descriptor on a `@grpc/grpc-js` server. Handlers are plain async
 * functions and async iterables; thrown errors become gRPC statuses via {@link toGrpcStatus};
 * methods without a handler answer UNIMPLEMENTED with the method's name.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { DescMessage, DescMethod, DescService, MessageShape } from '@bufbuild/protobuf';
import { CohortError, Code, codeName } from '@cohort/core';
import type * as grpc from '@grpc/grpc-js';
import { once } from 'node:events';
import { toGrpcStatus } from './status.js';
import type { CallContext, ServiceImpl } from './types.js';

/** The outcome of one call, for metrics. */
export interface CallObservation {
  readonly service: string;
  readonly method: string;
  /** 0 for OK, else the error code. */
  readonly code: number;
  readonly codeName: string;
  readonly durationSeconds: number;
}

/** Hooks and signals shared by every service on one server. */
export interface RegisterOptions {
  /** Aborted when the server begins shutdown; passed to handlers as `ctx.draining`. */
  readonly draining: AbortSignal;
  readonly onCallStart?: (service: string, method: string) => void;
  readonly onCallEnd?: (call: CallObservation) => void;
}

type AnyHandler = (...args: never[]) => unknown;

/** Serialise without copying the bytes protobuf-es produced. */
function serializer(schema: DescMessage): (msg: MessageShape<DescMessage>) => Buffer {
  return (msg) => {
    const bytes = toBinary(schema, msg);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

function deserializer(schema: DescMessage): (buf: Buffer) => MessageShape<DescMessage> {
  return (buf) => fromBinary(schema, buf);
}

/** The part of every grpc-js server call the context needs. */
interface SurfaceCall {
  readonly cancelled: boolean;
  readonly metadata: grpc.Metadata;
  once(event: 'cancelled', listener: () => void): unknown;
  getPeer(): string;
}

function contextOf(call: SurfaceCall, path: string, draining: AbortSignal): CallContext {
  const controller = new AbortController();
  const abort = (): void =>
    controller.abort(new CohortError(Code.Canceled, `${path} was cancelled by the client`));
  if (call.cancelled) abort();
  else call.once('cancelled', abort);
  return { signal: controller.signal, draining, metadata: call.metadata, peer: call.getPeer(), path };
}

async function writeAll(
  call: grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>,
  source: AsyncIterable<unknown>,
  output: DescMessage,
  signal: AbortSignal,
): Promise<void> {
  for await (const init of source) {
    if (signal.aborted) return;
    if (!call.write(create(output, init as never))) {
      await once(call, 'drain', { signal }).catch(() => undefined);
    }
  }
}

/**
 * The request messages of a streaming call. A plain `for await` over a grpc-js duplex destroys it when
 * the requests end, which would also kill the response side before the status is sent.
 */
function requestsOf(
  call: grpc.ServerReadableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>,
): AsyncIterable<unknown> {
  return { [Symbol.asyncIterator]: () => call.iterator({ destroyOnReturn: false }) };
}

function unimplemented(path: string): () => Promise<never> {
  return () =>
    Promise.reject(
      new CohortError(Code.Unimplemented, `${path} is not implemented by this build of the service`),
    );
}

function methodHandler(
  method: DescMethod,
  impl: AnyHandler | undefined,
  path: string,
  options: RegisterOptions,
): grpc.UntypedHandleCall {
  const service = method.parent.typeName;
  const handler = (impl ?? unimplemented(path)) as (...args: unknown[]) => unknown;
  const begin = (): ((code: number) => void) => {
    const started = performance.now();
    options.onCallStart?.(service, method.name);
    return (code) =>
      options.onCallEnd?.({
        service,
        method: method.name,
        code,
        codeName: code === 0 ? 'OK' : codeName(code),
        durationSeconds: (performance.now() - started) / 1000,
      });
  };
  const fail = (done: (code: number) => void, err: unknown): grpc.StatusObject => {
    const status = toGrpcStatus(err);
    done(status.code);
    return status;
  };

  switch (method.methodKind) {
    case 'unary':
    case 'client_streaming':
      return (
        call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerReadableStream<unknown, unknown>,
        callback: grpc.sendUnaryData<unknown>,
      ) => {
        const done = begin();
        const ctx = contextOf(call, path, options.draining);
        const input =
          method.methodKind === 'unary'
            ? (call as grpc.ServerUnaryCall<unknown, unknown>).request
            : requestsOf(call as grpc.ServerReadableStream<unknown, unknown>);
        Promise.resolve()
          .then(() => handler(input, ctx))
          .then(
            (init) => {
              callback(null, create(method.output, init as never));
              done(0);
            },
            (err: unknown) => callback(fail(done, err)),
          );
      };
    case 'server_streaming':
    case 'bidi_streaming':
      return (
        call: grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>,
      ) => {
        const done = begin();
        const ctx = contextOf(call, path, options.draining);
        const input =
          method.methodKind === 'server_streaming'
            ? (call as grpc.ServerWritableStream<unknown, unknown>).request
            : requestsOf(call as grpc.ServerDuplexStream<unknown, unknown>);
        Promise.resolve()
          .then(() =>
            writeAll(call, handler(input, ctx) as AsyncIterable<unknown>, method.output, ctx.signal),
          )
          .then(
            () => {
              if (ctx.signal.aborted) return done(Code.Canceled);
              call.end();
              done(0);
            },
            (err: unknown) => {
              const status = fail(done, err);
              if (!ctx.signal.aborted) call.emit('error', status);
            },
          );
      };
  }
}

/**
 * Register `impl` for `service` on `server`. Partial implementations are allowed while a service
 * grows: missing methods answer UNIMPLEMENTED (never a silent success).
 */
export function registerService<S extends DescService>(
  server: grpc.Server,
  service: S,
  impl: Partial<ServiceImpl<S>>,
  options: RegisterOptions,
): void {
  const definition: Record<
    string,
    grpc.MethodDefinition<MessageShape<DescMessage>, MessageShape<DescMessage>>
  > = {};
  const implementation: grpc.UntypedServiceImplementation = {};
  const handlers = impl as Record<string, AnyHandler | undefined>;
  for (const method of service.methods) {
    const path = `/${service.typeName}/${method.name}`;
    definition[method.name] = {
      path,
      requestStream: method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming',
      responseStream: method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming',
      requestSerialize: serializer(method.input),
      requestDeserialize: deserializer(method.input),
      responseSerialize: serializer(method.output),
      responseDeserialize: deserializer(method.output),
      originalName: method.localName,
    };
    const fn = handlers[method.localName];
    implementation[method.name] = methodHandler(method, fn?.bind(impl), path, options);
  }
  server.addService(definition, implementation);
}
