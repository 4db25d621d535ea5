/**
 * Reads routed to the owners' buckets (ADR 0024), with real parts: the subtensor runtime under
 * chopsticks holding the miners' bucket commitments (set by their own hotkeys) and the aggregator's
 * (committed at start by its own chain-bridge, as an aggregator operator without a coordinator does), a
 * real chain-bridge listing them, and a real checkpoint-store (the validator's) routing by them. The
 * other operators' buckets are filesystem buckets on this machine (`file://` endpoints, allowed by
 * `COHORT_PEER_ENDPOINTS=any`), written through the store's own filesystem backend.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  CohortError,
  aggregateKey,
  checkpointKeys,
  encodeBucketCommitment,
  latestKey,
  scoreKey,
  selectionKey,
  updateKey,
  updatesPrefix,
} from '@cohort/core';
import type { BucketCommitment } from '@cohort/core';
import { StoreClient } from '@cohort/kit';
import {
  createSubnet,
  devPair,
  devUri,
  registerNeuron,
  startBlockClock,
  submitAndWait,
} from '@cohort/devchain';
import type { BlockClock, LocalChain } from '@cohort/devchain';
import { txCall } from '@cohort/chain-bridge';
import { spawnService, startDevchainProcess, startNatsServer, until } from '../harness/index.js';
import type { DevchainProcess, NatsServer, ServiceProcess } from '../harness/index.js';

const TAO = 1_000_000_000n;
const RUN = 'routing';
const W = 5;
const VALIDATOR = { coldkeyUri: devUri(0), hotkeyUri: devUri(1), stakeRao: 1_000n * TAO };
const MINER_A = { coldkeyUri: devUri(2), hotkeyUri: devUri(3), stakeRao: 0n };
const MINER_B = { coldkeyUri: devUri(4), hotkeyUri: devUri(5), stakeRao: 0n };
/** Committed garbage: its updates are unreadable, wherever they are. */
const MINER_C = { coldkeyUri: devUri(6), hotkeyUri: devUri(7), stakeRao: 0n };
/** Committed nothing: read from the validator's own bucket (a run sharing one bucket). */
const MINER_D = { coldkeyUri: devUri(8), hotkeyUri: devUri(9), stakeRao: 0n };
const AGGREGATOR = { coldkeyUri: devUri(10), hotkeyUri: devUri(11), stakeRao: 0n };

const bytes = (n: number, seed: number): Uint8Array =>
  Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255);

describe('checkpoint-store routes reads to the owners’ committed buckets', { timeout: 600_000 }, () => {
  let devchain: DevchainProcess;
  let chain: LocalChain;
  let clock: BlockClock;
  let nats: NatsServer;
  let root: string;
  let bridge: ServiceProcess;
  let aggregatorBridge: ServiceProcess;
  let store: ServiceProcess;
  let client: StoreClient;
  const hotkeys: Record<string, string> = {};
  const written = new Map<string, Uint8Array>();

  async function writeIn(bucket: string, key: string, data: Uint8Array): Promise<void> {
    const { createFsBackend } = await import('@cohort/checkpoint-store/backends');
    const backend = await createFsBackend({ root: join(root, bucket) });
    try {
      await backend.put(
        key,
        (async function* () {
          await Promise.resolve();
          yield data;
        })(),
        { maxBytes: 1 << 20 },
      );
    } finally {
      await backend.close();
    }
    written.set(`${bucket}|${key}`, data);
  }

  async function commit(uri: string, netuid: number, raw: Uint8Array): Promise<void> {
    await submitAndWait(
      chain,
      txCall(
        chain.api,
        'commitments',
        'setCommitment',
      )(netuid, {
        fields: [{ [`Raw${raw.length}`]: `0x${Buffer.from(raw).toString('hex')}` }],
      }),
      await devPair(uri),
    );
  }

  const bucketOf = (name: string): BucketCommitment => ({
    endpoint: `file://${root}`,
    bucket: name,
    region: '',
    accessKeyId: 'read-only',
    secretAccessKey: 'read-only-secret',
    pathStyle: true,
  });

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'cohort-routing-'));
    devchain = await startDevchainProcess('manual');
    chain = devchain.chain;
    const netuid = await createSubnet(chain, { hyperparameters: { tempo: 10, weightsRateLimit: 0 } });
    for (const [name, spec] of Object.entries({
      VALIDATOR,
      MINER_A,
      MINER_B,
      MINER_C,
      MINER_D,
      AGGREGATOR,
    })) {
      await registerNeuron(chain, netuid, spec);
      hotkeys[name] = (await devPair(spec.hotkeyUri)).address;
    }
    await commit(MINER_A.hotkeyUri, netuid, encodeBucketCommitment(bucketOf('miner-a')));
    await commit(MINER_B.hotkeyUri, netuid, encodeBucketCommitment(bucketOf('miner-b')));
    await commit(MINER_C.hotkeyUri, netuid, Uint8Array.from([0x7f, 1, 2]));
    nats = await startNatsServer();
    clock = startBlockClock(chain, 600);
    const bridgeEnv = (uri: string, state: string) => ({
      COHORT_CHAIN_URL: chain.url,
      COHORT_NETUID: String(netuid),
      COHORT_BLOCKS_PER_WINDOW: '5',
      COHORT_HOTKEY_URI: uri,
      COHORT_STATE_DIR: join(root, state),
      COHORT_NATS_URL: nats.url,
      COHORT_RUN_ID: RUN,
    });
    // The aggregator's operator runs no coordinator: its chain-bridge commits its bucket at start.
    const agg = bucketOf('aggregator');
    aggregatorBridge = spawnService('chain-bridge', {
      env: {
        ...bridgeEnv(AGGREGATOR.hotkeyUri, 'aggregator-bridge'),
        COHORT_COMMIT_ENDPOINT: agg.endpoint,
        COHORT_COMMIT_BUCKET: agg.bucket,
        COHORT_COMMIT_REGION: agg.region,
        COHORT_COMMIT_PATH_STYLE: String(agg.pathStyle),
        COHORT_COMMIT_ACCESS_KEY_ID: agg.accessKeyId,
        COHORT_COMMIT_SECRET_ACCESS_KEY: agg.secretAccessKey,
      },
    });
    const committed = await aggregatorBridge.waitForEvent('bucket_committed', 120_000);
    assert.equal(committed.status, 'INCLUDED');
    bridge = spawnService('chain-bridge', { env: bridgeEnv(VALIDATOR.hotkeyUri, 'bridge-state') });
    const bridgePorts = await bridge.ports();
    await bridge.waitForEvent('service_serving', 60_000);

    // What the other operators wrote, each in its own bucket, and what the validator's bucket holds.
    const A = hotkeys.MINER_A!;
    const B = hotkeys.MINER_B!;
    await writeIn('miner-a', updateKey(RUN, W, A), bytes(3000, 1));
    await writeIn('miner-a', updateKey(RUN, W, B), bytes(3000, 66)); // A's forgery of B's update
    await writeIn('miner-b', updateKey(RUN, W, B), bytes(2000, 2));
    await writeIn('validator', updateKey(RUN, W, A), bytes(100, 9)); // stale: A committed elsewhere
    await writeIn('validator', updateKey(RUN, W, hotkeys.MINER_C!), bytes(100, 3));
    await writeIn('validator', updateKey(RUN, W, hotkeys.MINER_D!), bytes(1500, 4));
    await writeIn('aggregator', aggregateKey(RUN, W), bytes(4000, 5));
    await writeIn('aggregator', checkpointKeys(RUN, W).manifest, bytes(500, 6));
    await writeIn('aggregator', latestKey(RUN), new TextEncoder().encode(String(W)));
    await writeIn('validator', aggregateKey(RUN, W), bytes(4000, 77)); // not the aggregator's

    store = spawnService('checkpoint-store', {
      env: {
        COHORT_FS_ROOT: join(root, 'validator'),
        COHORT_CHAIN_BRIDGE_ADDRESS: `127.0.0.1:${bridgePorts.grpc}`,
        COHORT_NETUID: String(netuid),
        COHORT_AGGREGATOR_HOTKEY: hotkeys.AGGREGATOR!,
        COHORT_TRUSTED_VALIDATOR: hotkeys.VALIDATOR!,
        COHORT_PEER_ENDPOINTS: 'any',
        COHORT_COMMITMENTS_REFRESH_MS: '1000',
      },
    });
    const ports = await store.ports();
    await store.waitForEvent('service_serving', 60_000);
    client = new StoreClient(`127.0.0.1:${ports.grpc}`);
    // The first commitment read may race the bridge's first metagraph: wait until it is in use.
    await until(
      'routing by commitments',
      async () => {
        const aggregate = await client.get(aggregateKey(RUN, W)).catch(() => undefined);
        return aggregate?.bytes[0] === bytes(4000, 5)[0] ? true : undefined;
      },
      60_000,
    );
  });

  after(async () => {
    client?.close();
    if (store !== undefined) assert.equal(await store.stop('SIGTERM'), 0, store.stderr());
    if (bridge !== undefined) assert.equal(await bridge.stop('SIGTERM'), 0, bridge.stderr());
    if (aggregatorBridge !== undefined)
      assert.equal(await aggregatorBridge.stop('SIGTERM'), 0, aggregatorBridge.stderr());
    await clock?.stop();
    await devchain?.stop();
    await nats?.dispose();
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  test('a window’s updates are each miner’s own key in its committed bucket, plus uncommitted ones here', async () => {
    const listed = await client.list(updatesPrefix(RUN, W));
    const keys = listed.map((o) => o.key);
    const expected = ['MINER_A', 'MINER_B', 'MINER_D'].map((m) => updateKey(RUN, W, hotkeys[m]!)).sort();
    assert.deepEqual(keys, expected, 'C (garbage commitment) is absent; A’s stale copy here is not used');
    const a = await client.get(updateKey(RUN, W, hotkeys.MINER_A!));
    assert.deepEqual(a?.bytes, bytes(3000, 1), 'A’s update from A’s bucket');
    const b = await client.get(updateKey(RUN, W, hotkeys.MINER_B!));
    assert.deepEqual(b?.bytes, bytes(2000, 2), 'B’s update from B’s bucket, never A’s forgery');
    const d = await client.get(updateKey(RUN, W, hotkeys.MINER_D!));
    assert.deepEqual(d?.bytes, bytes(1500, 4));
    const infoA = listed.find((o) => o.key === updateKey(RUN, W, hotkeys.MINER_A!));
    assert.ok(
      infoA !== undefined && infoA.firstSeenUnixMs > BigInt(Date.now() - 120_000),
      'first seen by this store',
    );
    const again = await client.head(updateKey(RUN, W, hotkeys.MINER_A!));
    assert.equal(again?.firstSeenUnixMs, infoA.firstSeenUnixMs, 'first-seen sticks');
  });

  test('a miner whose commitment is not a bucket cannot be read, even from this bucket', async () => {
    await assert.rejects(
      client.get(updateKey(RUN, W, hotkeys.MINER_C!)),
      (e) => e instanceof CohortError && e.reason === 'COMMITMENT_INVALID',
    );
  });

  test('aggregates, checkpoints and LATEST come from the aggregator’s bucket; writes stay here', async () => {
    assert.deepEqual((await client.get(aggregateKey(RUN, W)))?.bytes, bytes(4000, 5));
    assert.deepEqual((await client.get(latestKey(RUN)))?.bytes, new TextEncoder().encode(String(W)));
    const checkpoints = await client.list(`cohort/v1/${RUN}/checkpoints/`);
    assert.deepEqual(
      checkpoints.map((o) => o.key),
      [checkpointKeys(RUN, W).manifest],
    );
    // The validator writes its own objects and reads them back here (scores are never routed).
    const record = scoreKey(RUN, W, hotkeys.MINER_A!);
    await client.put(record, bytes(64, 8));
    assert.deepEqual((await client.get(record))?.bytes, bytes(64, 8));
    // Selections are the trusted validator's: it committed nothing, so they are read here.
    await client.put(selectionKey(RUN, W), bytes(32, 10));
    assert.deepEqual((await client.get(selectionKey(RUN, W)))?.bytes, bytes(32, 10));
  });
});
