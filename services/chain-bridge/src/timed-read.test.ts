/**
 * Chain reads never hang a caller, the writes' reads included. Real: timedRead, the writers' read paths
 * (`setBucketCommitment`, `createWeightsReads`), the metrics registry, and a ChainConnection that was
 * never started (disconnected). Played by the test: a connected chain that never answers (an api whose
 * every storage query and RPC stays pending), standing in for a stalled node.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ApiPromise } from '@polkadot/api';
import { Registry } from 'prom-client';
import type { MetricValue } from 'prom-client';
import { CohortError, Code } from '@cohort/core';
import type { BucketCommitment } from '@cohort/core';
import { createLogger } from '@cohort/kit';
import { createBridgeMetrics } from './bridge-metrics.js';
import { ChainConnection } from './chain-connection.js';
import { setBucketCommitment } from './commitment-writer.js';
import type { Outcome, Submitter } from './extrinsics.js';
import { timedRead } from './timed-read.js';
import type { ReadDeps } from './timed-read.js';
import { createWeightsReads } from './weights-reads.js';

/** An api in which every property is there and every call stays pending forever. */
function silentApi(): ApiPromise {
  const never = (): Promise<never> => new Promise<never>(() => undefined);
  const node: object = new Proxy(function silent() {}, {
    get: () => node,
    apply: never,
  });
  return node as ApiPromise;
}

function deps(api: ApiPromise | undefined): { deps: ReadDeps; registry: Registry } {
  const registry = new Registry();
  const connection =
    api === undefined
      ? new ChainConnection({
          urls: ['ws://127.0.0.1:9'],
          minMs: 10,
          maxMs: 10,
          connectTimeoutMs: 100,
          requestTimeoutMs: 100,
          log: createLogger({ service: 'test', write: () => undefined }),
        })
      : ({ api: () => api } as unknown as ChainConnection);
  return { deps: { connection, metrics: createBridgeMetrics(registry), timeoutMs: 50 }, registry };
}

/** `cohort_chain_read_seconds` sample count for one read and result. */
async function readCount(registry: Registry, read: string, result: string): Promise<number> {
  const metric = await registry.getSingleMetric('cohort_chain_read_seconds')!.get();
  // Histogram samples carry the series name (…_bucket, …_sum, …_count) beside their labels.
  const samples = metric.values as readonly (MetricValue<string> & { metricName?: string })[];
  const sample = samples.find(
    (v) =>
      v.metricName === 'cohort_chain_read_seconds_count' &&
      v.labels['read'] === read &&
      v.labels['result'] === result,
  );
  return sample?.value ?? 0;
}

const timedOut = (e: unknown): boolean =>
  e instanceof CohortError && e.code === Code.DeadlineExceeded && e.reason === 'CHAIN_TIMEOUT';

const BUCKET: BucketCommitment = {
  endpoint: 'https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com',
  bucket: 'cohort-validator',
  region: 'auto',
  accessKeyId: '00112233445566778899aabbccddeeff',
  secretAccessKey: '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff',
  pathStyle: false,
};

describe('timedRead', () => {
  test('a read that never answers fails with DEADLINE_EXCEEDED / CHAIN_TIMEOUT and is counted', async () => {
    const { deps: d, registry } = deps(silentApi());
    await assert.rejects(
      timedRead(d, 'hyperparameters', () => new Promise(() => undefined)),
      timedOut,
    );
    assert.equal(await readCount(registry, 'hyperparameters', 'CHAIN_TIMEOUT'), 1);
  });

  test('while disconnected a read fails at once with UNAVAILABLE / CHAIN_DISCONNECTED', async () => {
    const { deps: d, registry } = deps(undefined);
    await assert.rejects(
      timedRead(d, 'metagraph', () => Promise.resolve(1)),
      (e) => e instanceof CohortError && e.code === Code.Unavailable && e.reason === 'CHAIN_DISCONNECTED',
    );
    assert.equal(await readCount(registry, 'metagraph', 'CHAIN_DISCONNECTED'), 1);
  });
});

describe('the reads of writes are timed', () => {
  test('SetCommitment on a silent chain times out before submitting anything', async () => {
    const { deps: d, registry } = deps(silentApi());
    const submitted: string[] = [];
    const submitter: Submitter = {
      address: '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY',
      submit: (call): Promise<Outcome> => {
        submitted.push(call);
        return Promise.resolve({ status: 'included' });
      },
    };
    await assert.rejects(setBucketCommitment(d, submitter, 3, BUCKET), timedOut);
    assert.deepEqual(submitted, []);
    assert.equal(await readCount(registry, 'own_commitment', 'CHAIN_TIMEOUT'), 1);
  });

  test("SetWeights' preflight, last update and commit list time out on a silent chain", async () => {
    const { deps: d, registry } = deps(silentApi());
    const reads = createWeightsReads(d);
    const hotkey = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
    await assert.rejects(reads.preflight(3, hotkey), timedOut);
    await assert.rejects(reads.lastUpdate(3, 0), timedOut);
    await assert.rejects(reads.commits(3, hotkey), timedOut);
    for (const read of ['weights_preflight', 'weights_last_update', 'weight_commits']) {
      assert.equal(await readCount(registry, read, 'CHAIN_TIMEOUT'), 1, read);
    }
  });
});
