/**
 * The bridge's one connection to subtensor, kept alive with back-off. polkadot.js can reconnect by itself,
 * but with a fixed delay and hidden state; here a dropped socket ends the connection's life, listeners hear
 * `down`, and a new ApiPromise (fresh metadata: the runtime may have upgraded) is built after a delay that
 * doubles from `minMs` to `maxMs` with full jitter, reset once a connection has lived a minute.
 * Each attempt dials one endpoint of `urls`; a failed or dropped connection moves to the next one (round
 * robin), so a dead first endpoint never keeps the bridge from a live second one. (A polkadot.js
 * WsProvider given the whole list always starts at its first entry, and a fresh one is built per attempt.)
 * Nothing waits on this: reads ask {@link ChainConnection.api} and fail fast while the chain is away.
 */
import { ApiPromise, WsProvider } from '@polkadot/api';
import { CohortError, Code, expectedMessage, InvalidArgumentError } from '@cohort/core';
import type { Logger } from '@cohort/kit';

/** Options of {@link ChainConnection}. */
export interface ChainConnectionOptions {
  /** Endpoints in order of preference; at least one. */
  readonly urls: readonly string[];
  readonly minMs: number;
  readonly maxMs: number;
  /** Longest wait for a socket plus metadata. */
  readonly connectTimeoutMs: number;
  /** Per-request timeout inside polkadot.js. */
  readonly requestTimeoutMs: number;
  readonly log: Logger;
  /** Randomness for jitter (injected for tests). */
  readonly random?: () => number;
}

/** Connection state, as metrics and health report it. */
export type ConnectionState = 'connecting' | 'connected' | 'closed';

type Listener = (api: ApiPromise) => void;

/** A connection that comes back. */
export class ChainConnection {
  private current: ApiPromise | undefined;
  private provider: WsProvider | undefined;
  private closed = false;
  private attempt = 0;
  /** Index into `urls` of the endpoint the next attempt dials. */
  private endpointIndex = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly upListeners = new Set<Listener>();
  private readonly downListeners = new Set<() => void>();

  constructor(private readonly options: ChainConnectionOptions) {
    if (options.urls.length === 0) {
      throw new InvalidArgumentError(expectedMessage('at least one endpoint', 'urls', options.urls), {
        reason: 'NO_CHAIN_ENDPOINT',
      });
    }
  }

  /** Begin connecting (returns at once). */
  start(): void {
    void this.connect();
  }

  /** The endpoint the current (or next) connection attempt dials. */
  get endpoint(): string {
    return this.options.urls[this.endpointIndex]!;
  }

  get state(): ConnectionState {
    return this.closed ? 'closed' : this.current !== undefined ? 'connected' : 'connecting';
  }

  /** Called with the new ApiPromise on every (re)connect, and at once if connected now. */
  onUp(fn: Listener): void {
    this.upListeners.add(fn);
    if (this.current !== undefined) fn(this.current);
  }

  /** Called when a live connection drops. */
  onDown(fn: () => void): void {
    this.downListeners.add(fn);
  }

  /** The live ApiPromise, or a `CHAIN_DISCONNECTED` (UNAVAILABLE) error. Never waits. */
  api(): ApiPromise {
    if (this.current === undefined) {
      throw new CohortError(Code.Unavailable, 'not connected to the chain (reconnecting)', {
        reason: 'CHAIN_DISCONNECTED',
      });
    }
    return this.current;
  }

  /** Resolve with the ApiPromise once connected, or reject after `timeoutMs`. */
  async ready(timeoutMs: number, signal?: AbortSignal): Promise<ApiPromise> {
    if (this.current !== undefined) return this.current;
    return new Promise<ApiPromise>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.upListeners.delete(up);
        signal?.removeEventListener('abort', abort);
      };
      const up: Listener = (api) => {
        finish();
        resolve(api);
      };
      const abort = (): void => {
        finish();
        reject(new CohortError(Code.Canceled, 'stopped waiting for the chain', { reason: 'ABORTED' }));
      };
      const timer = setTimeout(() => {
        finish();
        reject(
          new CohortError(Code.Unavailable, `no chain connection within ${timeoutMs} ms`, {
            reason: 'CHAIN_DISCONNECTED',
          }),
        );
      }, timeoutMs);
      this.upListeners.add(up);
      signal?.addEventListener('abort', abort, { once: true });
    });
  }

  private delay(): number {
    const cap = Math.min(this.options.maxMs, this.options.minMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.max(this.options.minMs, Math.floor((this.options.random ?? Math.random)() * cap));
  }

  private schedule(): void {
    if (this.closed) return;
    const ms = this.delay();
    this.options.log.info('chain_reconnect_scheduled', {
      inMs: ms,
      attempt: this.attempt,
      endpoint: this.endpoint,
    });
    this.timer = setTimeout(() => void this.connect(), ms);
  }

  /** After a failed or dropped connection: the next attempt dials the next endpoint. */
  private rotate(): void {
    this.endpointIndex = (this.endpointIndex + 1) % this.options.urls.length;
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const { requestTimeoutMs, connectTimeoutMs } = this.options;
    const endpoint = this.endpoint;
    const provider = new WsProvider(endpoint, false, {}, requestTimeoutMs);
    this.provider = provider;
    let api: ApiPromise | undefined;
    const dropped = new Promise<void>((resolve) => {
      provider.on('disconnected', () => resolve());
      provider.on('error', () => resolve());
    });
    try {
      await provider.connect();
      // WsProvider's optional `ttl` does not satisfy ProviderInterface under exactOptionalPropertyTypes.
      api = new ApiPromise({ provider: provider as never, noInitWarn: true, throwOnConnect: true });
      const ready = api.isReadyOrError;
      const outcome = await Promise.race([
        ready.then(() => 'ready' as const),
        dropped.then(() => 'dropped' as const),
        new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), connectTimeoutMs).unref()),
      ]);
      if (outcome !== 'ready') throw new Error(outcome === 'timeout' ? 'connect timed out' : 'socket closed');
    } catch (err) {
      this.options.log.warn('chain_connect_failed', { endpoint, error: (err as Error).message });
      await api?.disconnect().catch(() => undefined);
      await provider.disconnect().catch(() => undefined);
      this.rotate();
      this.schedule();
      return;
    }
    if (this.closed) {
      await api.disconnect().catch(() => undefined);
      return;
    }
    const since = Date.now();
    this.current = api;
    this.options.log.info('chain_connected', {
      endpoint,
      spec: api.runtimeVersion.specVersion.toNumber(),
    });
    for (const fn of this.upListeners) fn(api);
    await dropped;
    if (this.current === api) this.current = undefined;
    if (this.closed) return;
    this.options.log.warn('chain_disconnected', { endpoint, livedMs: Date.now() - since });
    for (const fn of this.downListeners) fn();
    await api.disconnect().catch(() => undefined);
    if (Date.now() - since > 60_000) this.attempt = 0;
    this.rotate();
    this.schedule();
  }

  /** Stop reconnecting and close the socket. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    const api = this.current;
    this.current = undefined;
    await api?.disconnect().catch(() => undefined);
    await this.provider?.disconnect().catch(() => undefined);
  }
}
