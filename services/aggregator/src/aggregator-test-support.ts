/**
 * Real parts for the aggregator's unit tests (not used by the service): the checkpoint-store binary as a
 * child process over a fresh directory, a pass-through store in front of it that fails chosen reads
 * on demand (a real store cannot be made to fail one key), and AggregatorDeps around a devnet replica
 * on the CPU with a fresh metrics registry and a captured log.
 *
 * The store is the built `services/checkpoint-store/dist/main.js` (built with the repository, as the
 * integration tests use it); this package does not depend on it, so it runs as a process.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { hotkeyFromSeed } from '@cohort/core';
import type { CohortError } from '@cohort/core';
import { StoreClient, commonFields, createLogger, defineConfig, loadConfig, startService } from '@cohort/kit';
import type { RunningService, ServiceImpl } from '@cohort/kit';
import { createEngine } from '@cohort/native';
import { CheckpointStoreService } from '@cohort/proto/cohort/store/v1/checkpoint_store';
import { Replica } from '@cohort/replica';
import { Registry } from 'prom-client';

import { createAggregatorMetrics } from './aggregator-metrics.js';
import { systemClock } from './clock.js';
import type { AggregatorDeps, AggregatorSettings } from './deps.js';
import { createInProcessAggregator } from './in-process-aggregator.js';
import { Published } from './published.js';

/** The run of every test here. */
export const TEST_RUN = 'agg-test';

/** A checkpoint-store process and a client of it. */
export interface TestStore {
  readonly address: string;
  readonly client: StoreClient;
  stop(): Promise<void>;
}

const storeEntry = resolve(fileURLToPath(import.meta.url), '../../../checkpoint-store/dist/main.js');

/** Start the real checkpoint-store on a fresh directory and an ephemeral port. */
export async function startTestStore(): Promise<TestStore> {
  if (!existsSync(storeEntry)) throw new Error(`${storeEntry} is missing: build services/checkpoint-store`);
  const root = await mkdtemp(join(tmpdir(), 'cohort-agg-store-'));
  const child = spawn(process.execPath, [storeEntry], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      COHORT_FS_ROOT: root,
      COHORT_GRPC_PORT: '0',
      COHORT_METRICS_PORT: '0',
    },
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const port = await new Promise<number>((done, fail) => {
    let grpcPort = 0;
    createInterface({ input: child.stdout }).on('line', (line) => {
      let record: { event?: string; grpcPort?: number };
      try {
        record = JSON.parse(line) as typeof record;
      } catch {
        return;
      }
      if (record.event === 'service_listening') grpcPort = Number(record.grpcPort);
      if (record.event === 'service_serving') done(grpcPort);
    });
    void exited.then(() => fail(new Error(`the checkpoint-store exited before serving: ${stderr}`)));
  });
  const address = `127.0.0.1:${port}`;
  const client = new StoreClient(address);
  return {
    address,
    client,
    async stop() {
      client.close();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** A store in front of a real one that fails the next Gets of chosen keys. */
export interface FaultyStore {
  readonly client: StoreClient;
  /** The next `times` Gets of `key` fail with `error` (before anything is read from the real store). */
  failGets(key: string, times: number, error: CohortError): void;
  /** Gets of `key` that failed so far. */
  failedGets(key: string): number;
  stop(): Promise<void>;
}

/** Serve every CheckpointStoreService call by forwarding it to `real`, except the failures asked for. */
export async function startFaultyStore(real: StoreClient): Promise<FaultyStore> {
  const pending = new Map<string, { times: number; error: CohortError }>();
  const failed = new Map<string, number>();
  const raw = real.raw;
  const impl: ServiceImpl<typeof CheckpointStoreService> = {
    put: (requests, ctx) => raw.put(requests, { signal: ctx.signal }),
    async *get(request, ctx) {
      const fault = pending.get(request.key);
      if (fault !== undefined && fault.times > 0) {
        fault.times -= 1;
        failed.set(request.key, (failed.get(request.key) ?? 0) + 1);
        throw fault.error;
      }
      yield* raw.get(request, { signal: ctx.signal });
    },
    head: (request, ctx) => raw.head(request, { signal: ctx.signal }),
    list: (request, ctx) => raw.list(request, { signal: ctx.signal }),
    delete: (request, ctx) => raw.delete(request, { signal: ctx.signal }),
    watch: (request, ctx) => raw.watch(request, { signal: ctx.signal }),
  };
  const spec = defineConfig('faulty-store', commonFields({ grpc: 0, metrics: 0 }));
  const { config } = loadConfig(spec, {});
  const running: RunningService = await startService(
    {
      name: 'faulty-store',
      spec,
      start: (ctx) => {
        ctx.addGrpcService(CheckpointStoreService, impl);
        return Promise.resolve();
      },
    },
    config,
    createLogger({ service: 'faulty-store', level: 'error', write: () => undefined }),
  );
  await running.started;
  const client = new StoreClient(`127.0.0.1:${running.grpcPort}`);
  return {
    client,
    failGets: (key, times, error) => pending.set(key, { times, error }),
    failedGets: (key) => failed.get(key) ?? 0,
    async stop() {
      client.close();
      await running.shutdown('test done');
    },
  };
}

/** AggregatorDeps of a test, what it logged, and its cleanup. */
export interface TestDeps {
  readonly deps: AggregatorDeps;
  readonly registry: Registry;
  /** Every log record so far. */
  readonly logged: Record<string, unknown>[];
  /** Records with `event`. */
  events(event: string): Record<string, unknown>[];
  /** Abort the shutdown signal, dispose the engine and remove the state directory. */
  dispose(): Promise<void>;
}

/** The aggregator's hotkey in every test (seed 0x11…). */
export const testHotkey = hotkeyFromSeed(new Uint8Array(32).fill(0x11));

/** AggregatorDeps over `store` with a fresh devnet replica (seed 0, θ unknown: window -1). */
export async function createTestDeps(
  store: StoreClient,
  settings: Partial<AggregatorSettings> = {},
): Promise<TestDeps> {
  const engine = await createEngine({ preset: 'devnet', seed: 0, device: 'cpu', threads: 1 });
  const replica = await Replica.create(engine, TEST_RUN, 1);
  const registry = new Registry();
  const metrics = createAggregatorMetrics(registry);
  const logged: Record<string, unknown>[] = [];
  const stateDir = await mkdtemp(join(tmpdir(), 'cohort-agg-state-'));
  const shutdown = new AbortController();
  const full: AggregatorSettings = {
    preset: 'devnet',
    uploadSlotMs: 0,
    checkpointEveryWindows: 1000,
    maxUpdateBytes: 1 << 24,
    maxAggregateBytes: 1 << 28,
    maxPeers: 16,
    fetchTimeoutMs: 10_000,
    stateDir,
    selectionValidator: '',
    selectionWaitMs: 0,
    ...settings,
  };
  const deps: AggregatorDeps = {
    runId: TEST_RUN,
    store,
    replica,
    aggregator: createInProcessAggregator({ maxBytes: full.maxUpdateBytes }),
    hotkey: testHotkey,
    published: new Published(metrics),
    metrics,
    log: createLogger({
      service: 'aggregator',
      write: (line) => logged.push(JSON.parse(line) as Record<string, unknown>),
    }),
    clock: systemClock,
    signal: shutdown.signal,
    settings: full,
  };
  return {
    deps,
    registry,
    logged,
    events: (event) => logged.filter((r) => r.event === event),
    async dispose() {
      shutdown.abort();
      deps.aggregator.close();
      await engine.dispose();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
