/**
 * chain-bridge against the real subtensor runtime (spec 218 from ../shared/chain/raonet.json under
 * chopsticks, in its own process): the bridge binary runs as a process with a dev hotkey, the test makes a
 * block every 600 ms, and every assertion reads the chain's own storage to check what the bridge reported.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { CohortError, encodeBucketCommitment, runSubjects, weightsCommitHash } from '@cohort/core';
import type { BucketCommitment } from '@cohort/core';
import { createLogger, createServiceClient, createTransport } from '@cohort/kit';
import type { ServiceClient, Transport } from '@cohort/kit';
import {
  createSubnet,
  devPair,
  devUri,
  registerNeuron,
  runEpoch,
  setHyperparameters,
  startBlockClock,
  submitAndWait,
} from '@cohort/devchain';
import type { BlockClock, LocalChain } from '@cohort/devchain';
import {
  ChainConnection,
  ExtrinsicSubmitter,
  createBridgeMetrics,
  storageItem,
  txCall,
} from '@cohort/chain-bridge';
import { Registry } from 'prom-client';
import {
  ChainBridgeService,
  ExtrinsicOutcome_Status,
  SetWeightsResponse_Mode,
} from '@cohort/proto/cohort/chain/v1/chain_bridge';
import {
  BlockEventSchema,
  MetagraphEventSchema,
  WindowEventSchema,
} from '@cohort/proto/cohort/events/v1/events';
import { spawnService, startDevchainProcess, startNatsServer } from '../harness/index.js';
import type { DevchainProcess, NatsServer, ServiceProcess } from '../harness/index.js';

const TAO = 1_000_000_000n;
const RUN = 'chain-test';
const BLOCKS_PER_WINDOW = 5;
const VALIDATOR = { coldkeyUri: devUri(0), hotkeyUri: devUri(1), stakeRao: 5_000n * TAO };
const MINERS = [
  { coldkeyUri: devUri(2), hotkeyUri: devUri(3), stakeRao: 100n * TAO },
  { coldkeyUri: devUri(4), hotkeyUri: devUri(5), stakeRao: 0n },
];
const BUCKET: BucketCommitment = {
  endpoint: 'https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com',
  bucket: 'cohort-validator',
  region: 'auto',
  accessKeyId: '00112233445566778899aabbccddeeff',
  secretAccessKey: '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff',
  pathStyle: false,
};

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('chain-bridge on the real subtensor runtime', { timeout: 600_000 }, () => {
  let devchain: DevchainProcess;
  let chain: LocalChain;
  let clock: BlockClock;
  let nats: NatsServer;
  let stateDir: string;
  let bridge: ServiceProcess;
  let transport: Transport;
  let client: ServiceClient<typeof ChainBridgeService>;
  let netuid: number;
  let validatorUid: number;
  let minerUids: number[];

  const startBridge = async (): Promise<void> => {
    bridge = spawnService('chain-bridge', {
      env: {
        COHORT_CHAIN_URL: chain.url,
        COHORT_NETUID: String(netuid),
        COHORT_BLOCKS_PER_WINDOW: String(BLOCKS_PER_WINDOW),
        COHORT_STALE_AFTER_MS: '5000',
        COHORT_HOTKEY_URI: VALIDATOR.hotkeyUri,
        COHORT_STATE_DIR: stateDir,
        COHORT_NATS_URL: nats.url,
        COHORT_RUN_ID: RUN,
        COHORT_METAGRAPH_EVERY_BLOCKS: '5',
      },
    });
    const ports = await bridge.ports();
    await bridge.waitForEvent('service_serving', 30_000);
    transport = createTransport(`127.0.0.1:${ports.grpc}`);
    client = createServiceClient(ChainBridgeService, transport);
  };

  before(async () => {
    devchain = await startDevchainProcess('manual');
    chain = devchain.chain;
    netuid = await createSubnet(chain, { hyperparameters: { tempo: 10, weightsRateLimit: 0 } });
    validatorUid = await registerNeuron(chain, netuid, VALIDATOR);
    minerUids = [];
    for (const m of MINERS) minerUids.push(await registerNeuron(chain, netuid, m));
    await runEpoch(chain, netuid);
    nats = await startNatsServer();
    stateDir = mkdtempSync(join(tmpdir(), 'cohort-bridge-'));
    clock = startBlockClock(chain, 600);
    await startBridge();
  });

  after(async () => {
    transport?.close();
    if (bridge !== undefined) assert.equal(await bridge.stop('SIGTERM'), 0, bridge.stderr());
    await clock?.stop();
    await devchain?.stop();
    await nats?.dispose();
    if (stateDir !== undefined) rmSync(stateDir, { recursive: true, force: true });
  });

  test('the head, its window and the NATS block and window events follow the chain', async () => {
    const nc: NatsConnection = await connect({ servers: nats.url });
    try {
      const subjects = runSubjects(RUN);
      const blocks = nc.subscribe(subjects.block, { max: 3 });
      const windows = nc.subscribe(subjects.window, { max: 1 });
      const seen: bigint[] = [];
      for await (const m of blocks) {
        const e = fromBinary(BlockEventSchema, m.data);
        assert.equal(e.window, e.number / BigInt(BLOCKS_PER_WINDOW));
        assert.equal(e.hash.length, 32);
        assert.ok(e.timestampUnixMs > 1_700_000_000_000n, `chain timestamp ${e.timestampUnixMs}`);
        seen.push(e.number);
      }
      assert.ok(seen[1]! > seen[0]! && seen[2]! > seen[1]!, `increasing blocks ${seen.join(',')}`);
      for await (const m of windows) {
        const w = fromBinary(WindowEventSchema, m.data);
        assert.equal(w.firstBlock, w.window * BigInt(BLOCKS_PER_WINDOW));
      }
      const { head } = await client.getHead({});
      assert.equal(head?.stale, false);
      assert.ok(head.number >= seen[2]!);
      assert.equal(head.window, head.number / BigInt(BLOCKS_PER_WINDOW));
      assert.ok(head.ageMs >= 0n);
    } finally {
      await nc.close();
    }
  });

  test('metagraph and hyperparameters match the chain storage', async () => {
    const m = await client.getMetagraph({ netuid });
    assert.equal(m.neurons.length, 1 + 1 + MINERS.length, 'owner, validator and miners');
    const validatorHotkey = (await devPair(VALIDATOR.hotkeyUri)).address;
    const v = m.neurons.find((n) => n.uid === validatorUid);
    assert.equal(v?.hotkey, validatorHotkey);
    assert.equal(v?.coldkey, (await devPair(VALIDATOR.coldkeyUri)).address);
    const alpha = await storageItem(
      chain.api,
      'subtensorModule',
      'totalHotkeyAlpha',
    )(validatorHotkey, netuid);
    assert.equal(v?.stakeRao, BigInt(alpha.toString()));
    assert.ok(v.stakeRao > 0n, 'staked alpha');
    assert.equal(v?.validatorPermit, true, 'permits after an epoch');
    const unstaked = m.neurons.find((n) => n.uid === minerUids[1]);
    assert.equal(unstaked?.stakeRao, 0n);
    assert.deepEqual(
      m.neurons.map((n) => n.uid),
      [...m.neurons.map((n) => n.uid)].sort((a, b) => a - b),
    );

    const h = await client.getHyperparameters({ netuid });
    assert.equal(h.tempo, 10);
    assert.equal(h.commitRevealEnabled, false);
    const version = await storageItem(chain.api, 'subtensorModule', 'weightsVersionKey')(netuid);
    assert.equal(h.weightsVersionKey, BigInt(version.toString()));
    await assert.rejects(
      client.getHyperparameters({ netuid: 999 }),
      (e) => e instanceof CohortError && e.reason === 'SUBNET_NOT_FOUND',
    );
    await assert.rejects(
      client.getMetagraph({ netuid: 999 }),
      (e) => e instanceof CohortError && e.reason === 'SUBNET_NOT_FOUND',
      'no silently empty metagraph for a netuid that does not exist',
    );
  });

  test('bucket commitment: round trip, unchanged is skipped, garbage is reported, rate limit respected', async () => {
    const first = await client.setCommitment({ netuid, bucket: BUCKET });
    assert.equal(first.outcome?.status, ExtrinsicOutcome_Status.INCLUDED, first.outcome?.errorName);
    const again = await client.setCommitment({ netuid, bucket: BUCKET });
    assert.equal(again.outcome?.status, ExtrinsicOutcome_Status.SKIPPED);

    // A miner commits bytes that are not a cohort commitment.
    const miner = await devPair(MINERS[0]!.hotkeyUri);
    await submitAndWait(
      chain,
      txCall(chain.api, 'commitments', 'setCommitment')(netuid, { fields: [{ Raw3: '0x7f0102' }] }),
      miner,
    );

    const list = await client.listCommitments({ netuid });
    const mine = list.commitments.find((c) => c.uid === validatorUid);
    assert.deepEqual(mine?.bucket, { ...mine?.bucket, ...BUCKET });
    assert.equal(mine?.decodeError, '');
    assert.deepEqual(Uint8Array.from(mine?.raw ?? []), encodeBucketCommitment(BUCKET));
    const garbage = list.commitments.find((c) => c.uid === minerUids[0]);
    assert.equal(garbage?.bucket, undefined);
    assert.equal(garbage?.decodeError, 'COMMITMENT_BAD_VERSION');
    assert.deepEqual([...(garbage?.raw ?? [])], [0x7f, 1, 2]);

    await assert.rejects(
      client.setCommitment({ netuid, bucket: { ...BUCKET, bucket: 'another-bucket' } }),
      (e) => e instanceof CohortError && e.reason === 'COMMITMENT_RATE_LIMITED',
    );
  });

  test('set_weights lands in Weights; the rate limit and a rejected extrinsic are reported by name', async () => {
    const uids = [validatorUid, ...minerUids];
    const weights = [1000, 65535, 30000];
    // Setting weights changes the validator's last update: the next metagraph read publishes an event.
    const nc: NatsConnection = await connect({ servers: nats.url });
    // A read that began before the weights landed (a change of the previous test's) may still publish
    // first under load: the event that matters is the first one read at or after the weights' block.
    const metagraphEvents = nc.subscribe(runSubjects(RUN).metagraph, { timeout: 60_000 });
    const r = await client.setWeights({ netuid, uids, weights });
    assert.equal(r.mode, SetWeightsResponse_Mode.DIRECT);
    assert.equal(r.outcome?.status, ExtrinsicOutcome_Status.INCLUDED, r.outcome?.errorName);
    const stored = (
      await storageItem(chain.api, 'subtensorModule', 'weights')(netuid, validatorUid)
    ).toJSON();
    assert.deepEqual(
      stored,
      uids.map((u, i) => [u, weights[i]]),
    );
    const giveUp = setTimeout(() => metagraphEvents.unsubscribe(), 60_000);
    let readAfter: bigint | undefined;
    try {
      for await (const m of metagraphEvents) {
        const e = fromBinary(MetagraphEventSchema, m.data);
        assert.equal(e.netuid, netuid);
        assert.equal(e.neuronCount, 1 + 1 + MINERS.length);
        if (e.block >= BigInt(r.outcome.block)) {
          readAfter = e.block;
          break;
        }
      }
    } finally {
      clearTimeout(giveUp);
      await nc.close();
    }
    assert.ok(
      readAfter !== undefined,
      `no metagraph event read at or after the weights' block ${r.outcome.block}`,
    );

    const bad = await client.setWeights({ netuid, uids: [minerUids[0]!, 4000], weights: [1, 2] });
    assert.equal(
      bad.outcome?.status,
      ExtrinsicOutcome_Status.DISPATCH_ERROR,
      `${bad.outcome?.errorName}: ${bad.outcome?.detail}`,
    );
    assert.equal(bad.outcome?.errorName, 'SubtensorModule.UidVecContainInvalidOne');

    await setHyperparameters(chain, netuid, { weightsRateLimit: 1000 });
    await assert.rejects(
      client.setWeights({ netuid, uids, weights }),
      (e) => e instanceof CohortError && e.reason === 'WEIGHTS_RATE_LIMITED',
    );
    await setHyperparameters(chain, netuid, { weightsRateLimit: 0 });
  });

  test('commit-reveal: commit now, reveal inside the window, even across a bridge restart', async () => {
    await setHyperparameters(chain, netuid, { commitRevealEnabled: true, revealPeriodEpochs: 1 });
    const uids = [minerUids[0]!, minerUids[1]!];
    const weights = [65535, 12345];
    const r = await client.setWeights({ netuid, uids, weights });
    assert.equal(r.mode, SetWeightsResponse_Mode.COMMIT);
    assert.equal(r.outcome?.status, ExtrinsicOutcome_Status.INCLUDED, r.outcome?.errorName);
    const committed = await bridge.waitForEvent('weights_committed');
    assert.equal(readdirSync(join(stateDir, 'reveals')).length, 1, 'the salt is on disk');

    // Crash before the reveal window; a new bridge must reveal from the durable record.
    transport.close();
    await bridge.stop('SIGKILL');
    await startBridge();
    await bridge.waitForEvent('reveals_restored');
    const first = Number(committed.firstRevealBlock);
    if ((await chain.head()) < first - 2) await chain.jumpTo(first - 2);
    const revealed = await until('the reveal', () =>
      Promise.resolve(
        bridge.records.find((x) => x.event === 'extrinsic_included' && x.call === 'reveal_weights'),
      ),
    );
    assert.ok(Number(revealed.block) >= first && Number(revealed.block) <= Number(committed.lastRevealBlock));
    const stored = (
      await storageItem(chain.api, 'subtensorModule', 'weights')(netuid, validatorUid)
    ).toJSON();
    assert.deepEqual(
      stored,
      uids.map((u, i) => [u, weights[i]]),
    );
    assert.equal(readdirSync(join(stateDir, 'reveals')).length, 0, 'the record is gone once revealed');
  });

  test('commit-reveal errors surface by name: CommitRevealEnabled, RevealTooEarly, ExpiredWeightCommit', async () => {
    const snapshot = await chain.head();
    const registry = new Registry();
    const metrics = createBridgeMetrics(registry);
    const log = createLogger({ service: 'test', level: 'error' });
    const connection = new ChainConnection({
      urls: [chain.url],
      minMs: 100,
      maxMs: 1000,
      connectTimeoutMs: 30_000,
      requestTimeoutMs: 30_000,
      log,
    });
    connection.start();
    try {
      await connection.ready(30_000);
      const miner = await devPair(MINERS[0]!.hotkeyUri);
      const submitter = new ExtrinsicSubmitter({
        connection,
        signer: miner,
        metrics,
        log,
        timeoutMs: 60_000,
      });
      const versionKey = BigInt(
        (await storageItem(chain.api, 'subtensorModule', 'weightsVersionKey')(netuid)).toString(),
      );
      const uids = [validatorUid];
      const values = [1];
      const salt = [7, 7, 7, 7];
      const call = (name: string, ...args: unknown[]) =>
        submitter.submit(name, (api) => txCall(api, 'subtensorModule', name)(...args));

      const direct = await call('setWeights', netuid, uids, values, versionKey);
      assert.equal(direct.status, 'dispatch_error');
      assert.equal(direct.errorName, 'SubtensorModule.CommitRevealEnabled');

      const hash = weightsCommitHash({ account: miner.publicKey, netuid, uids, values, salt, versionKey });
      const commit = await call('commitWeights', netuid, hash);
      assert.equal(commit.status, 'included', commit.errorName);
      const early = await call('revealWeights', netuid, uids, values, salt, versionKey);
      assert.equal(early.status, 'dispatch_error');
      assert.equal(early.errorName, 'SubtensorModule.RevealTooEarly');

      const commits = (
        await storageItem(chain.api, 'subtensorModule', 'weightCommits')(netuid, miner.address)
      ).toJSON() as number[][];
      const lastReveal = Number(commits[0]![3]);
      await chain.jumpTo(lastReveal + 1);
      const late = await call('revealWeights', netuid, uids, values, salt, versionKey);
      assert.equal(late.status, 'dispatch_error');
      assert.equal(late.errorName, 'SubtensorModule.ExpiredWeightCommit');

      const failures = await registry.getSingleMetricAsString('cohort_chain_extrinsic_failures_total');
      for (const reason of ['CommitRevealEnabled', 'RevealTooEarly', 'ExpiredWeightCommit']) {
        assert.match(failures, new RegExp(`reason="SubtensorModule.${reason}"`));
      }
    } finally {
      await connection.close();
      // Leave the chain as this test found it.
      await chain.setHead(snapshot);
    }
  });
});
