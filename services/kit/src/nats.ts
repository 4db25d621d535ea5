/**
 * NATS (JetStream) connections for services: connect with unlimited reconnects, report the connection
 * as a health dependency and in metrics, declare streams idempotently, and drain on shutdown.
 */
import { CohortError, Code } from '@cohort/core';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamClient, JetStreamManager, StreamConfig, StreamInfo } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { Gauge, Counter } from 'prom-client';
import type { Registry } from 'prom-client';
import type { HealthState } from './health.js';
import type { Logger } from './log.js';

/** A connected NATS client with JetStream handles. */
export interface NatsHandle {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** Drain subscriptions and pending publishes, then close. Idempotent. */
  close(): Promise<void>;
}

/** Options of {@link connectNats}. */
export interface ConnectNatsOptions {
  readonly servers: readonly string[];
  /** Connection name shown by the server (`cohort-<service>`). */
  readonly name: string;
  readonly token?: string;
  readonly log: Logger;
  /** When given, the connection is the `nats` dependency of this health state. */
  readonly health?: HealthState;
  readonly registry?: Registry;
  /** Resolve the first connection only after it succeeds (keep retrying); default true. */
  readonly waitOnFirstConnect?: boolean;
  /** Abort waiting for the first connection (shutdown before NATS was ever reachable). */
  readonly signal?: AbortSignal;
}

/**
 * Connect to NATS. With `waitOnFirstConnect` (the default) this keeps retrying until the server is
 * reachable, so a service can start before NATS does; its health stays NOT_SERVING until then.
 */
export async function connectNats(options: ConnectNatsOptions): Promise<NatsHandle> {
  options.health?.setDependency('nats', false);
  const connected = options.registry
    ? new Gauge({
        name: 'cohort_nats_connected',
        help: '1 while connected to NATS',
        registers: [options.registry],
      })
    : undefined;
  const reconnects = options.registry
    ? new Counter({
        name: 'cohort_nats_reconnects_total',
        help: 'Reconnections to NATS',
        registers: [options.registry],
      })
    : undefined;
  connected?.set(0);

  const connecting = connect({
    servers: [...options.servers],
    name: options.name,
    ...(options.token ? { token: options.token } : {}),
    waitOnFirstConnect: options.waitOnFirstConnect ?? true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
  });
  const nc = await (
    options.signal
      ? Promise.race([
          connecting,
          new Promise<never>((_, reject) => {
            const fail = (): void =>
              reject(new CohortError(Code.Canceled, 'stopped before NATS was reachable'));
            if (options.signal?.aborted) fail();
            options.signal?.addEventListener('abort', fail, { once: true });
          }),
        ])
      : connecting
  ).catch((err: unknown) => {
    // The connect attempt keeps running in the background if we gave up on it; close it when it lands.
    connecting
      .then(
        (late) => late.close(),
        () => undefined,
      )
      .catch(() => undefined);
    throw err instanceof CohortError
      ? err
      : new CohortError(
          Code.Unavailable,
          `cannot connect to NATS at ${options.servers.join(',')}: ${String(err)}`,
          { cause: err, reason: 'NATS_UNAVAILABLE' },
        );
  });

  const setUp = (up: boolean): void => {
    options.health?.setDependency('nats', up);
    connected?.set(up ? 1 : 0);
  };
  setUp(true);
  options.log.info('nats_connected', { server: nc.getServer() });
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') {
        setUp(false);
        options.log.warn('nats_disconnected', { server: s.server });
      } else if (s.type === 'reconnect') {
        setUp(true);
        reconnects?.inc();
        options.log.info('nats_reconnected', { server: s.server });
      } else if (s.type === 'error') {
        options.log.warn('nats_error', { error: s.error });
      }
    }
  })();

  const jsm = await jetstreamManager(nc);
  let closing: Promise<void> | undefined;
  return {
    nc,
    js: jetstream(nc),
    jsm,
    close: () =>
      (closing ??= (async () => {
        if (!nc.isClosed()) await nc.drain();
        setUp(false);
        options.log.info('nats_closed');
      })()),
  };
}

/**
 * Create `config.name` or bring it to `config` (subjects, limits). Safe to call from every replica
 * at every start: the result is the same stream whatever the order.
 */
export async function ensureStream(
  jsm: JetStreamManager,
  config: Partial<StreamConfig> & { name: string },
): Promise<StreamInfo> {
  const existing = await updateIfPresent(jsm, config);
  if (existing !== undefined) return existing;
  try {
    return await jsm.streams.add(config);
  } catch (err) {
    // Another replica created it between our info and add. NATS answers "stream name already in use", or,
    // while that create is still being applied, "subjects overlap with an existing stream" (seen on a loaded
    // CI machine). Converge on update once a stream of our name is visible; if none appears, the subjects
    // belong to another stream and the error stands.
    if (!/already in use|subjects overlap/i.test(String((err as Error).message)))
      throw CohortError.from(err, Code.Unavailable);
    for (const waitMs of RACE_RETRY_MS) {
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
      const created = await updateIfPresent(jsm, config);
      if (created !== undefined) return created;
    }
    throw CohortError.from(err, Code.Unavailable);
  }
}

/** Bring the stream of `config.name` to `config` when it exists; undefined when it does not. */
async function updateIfPresent(
  jsm: JetStreamManager,
  config: Partial<StreamConfig> & { name: string },
): Promise<StreamInfo | undefined> {
  try {
    const current = await jsm.streams.info(config.name);
    return await jsm.streams.update(config.name, { ...current.config, ...config });
  } catch (err) {
    if (!isStreamNotFound(err)) throw CohortError.from(err, Code.Unavailable);
    return undefined;
  }
}

/** Pauses before each look for a stream another replica is creating (about 1.5 s in all). */
const RACE_RETRY_MS = [0, 50, 100, 200, 400, 750];

function isStreamNotFound(err: unknown): boolean {
  const e = err as { name?: string; code?: number; api_error?: { err_code?: number } };
  return (
    e.name === 'StreamNotFoundError' ||
    e.api_error?.err_code === 10059 ||
    /stream not found/i.test(String((err as Error).message))
  );
}
