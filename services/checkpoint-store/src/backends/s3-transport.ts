/**
 * The HTTP transport under the S3 client: request timeouts and per-call abort signals, which the
 * `minio` client has no options for. Every request the client sends goes through `request()` here,
 * which reads the caller's signal from an AsyncLocalStorage set by {@link withSignal}, so an abort
 * cancels the request in flight (even a body download already handed to the caller), and a socket
 * that moves no bytes for `timeoutMs` (connect, waiting for headers, or mid-body) is destroyed with
 * an {@link S3TimeoutError}.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import http from 'node:http';
import https from 'node:https';

/** The transport shape the `minio` client calls (`transport.request(options, callback)`). */
export interface S3Transport {
  readonly request: typeof http.request;
}

/** A request that moved no bytes for the configured time; mapped to `PEER_TIMEOUT`. */
export class S3TimeoutError extends Error {
  override readonly name = 'S3TimeoutError';
  readonly code = 'COHORT_S3_TIMEOUT';
}

const callSignal = new AsyncLocalStorage<AbortSignal | undefined>();

/**
 * Statuses `minio` treats as retryable: it throws "Retryable HTTP status" without reading the reply's
 * body (even with retries off), which would pin the socket until the timeout. Drained here instead.
 */
const UNREAD_STATUSES = new Set([408, 429, 499, 500, 502, 503, 504, 520]);

/**
 * Run `fn` with `signal` attached to every S3 request it makes (undefined detaches the caller's
 * signal: cleanup requests after an abort must still go out).
 */
export function withSignal<T>(signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  return callSignal.run(signal, fn);
}

/** A transport and its keep-alive agent, for one endpoint protocol; destroy the agent on close. */
export function createS3Transport(
  protocol: 'http:' | 'https:',
  timeoutMs: number,
): { transport: S3Transport; agent: http.Agent } {
  const base = protocol === 'https:' ? https : http;
  const agent = new base.Agent({ keepAlive: true, maxSockets: 64 });
  const request = ((options: http.RequestOptions, callback?: (res: http.IncomingMessage) => void) => {
    const signal = callSignal.getStore();
    let response: http.IncomingMessage | undefined;
    const req = base.request(
      { ...options, timeout: timeoutMs, ...(signal === undefined ? {} : { signal }) },
      (res) => {
        response = res;
        if (UNREAD_STATUSES.has(res.statusCode ?? 0)) res.resume();
        callback?.(res);
      },
    );
    req.on('timeout', () => {
      const error = new S3TimeoutError(`the S3 endpoint moved no bytes for ${timeoutMs} ms`);
      // Mid-body, the reader iterates the response: fail it with the timeout, not a bare "aborted".
      if (response !== undefined && !response.complete) response.destroy(error);
      req.destroy(error);
    });
    return req;
  }) as typeof http.request;
  return { transport: { request }, agent };
}
