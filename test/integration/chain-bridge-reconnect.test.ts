/**
 * A chain that stalls or dies never blocks the bridge's callers: the head turns stale (GetHead and
 * WatchHead say so at once), reads fail fast with a reason instead of hanging, and when the chain process
 * comes back on its port the bridge reconnects by itself. The chain is the real runtime in a
 * `cohort-devchain` process making a block every 500 ms; "stalled" is SIGSTOP (socket open, nothing
 * answers), "died" is SIGKILL, and the restart begins again from genesis.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CohortError } from '@cohort/core';
import { createServiceClient, createTransport } from '@cohort/kit';
import type { ServiceClient, Transport } from '@cohort/kit';
import { ChainBridgeService } from '@cohort/proto/cohort/chain/v1/chain_bridge';
import type { BlockHead } from '@cohort/proto/cohort/chain/v1/chain_bridge';
import { spawnService, startDevchainProcess, startNatsServer } from '../harness/index.js';
import type { DevchainProcess, NatsServer, ServiceProcess } from '../harness/index.js';

const STALE_AFTER_MS = 2500;
const REQUEST_TIMEOUT_MS = 3000;

describe('chain-bridge when the chain stalls, dies and comes back', { timeout: 600_000 }, () => {
  let devchain: DevchainProcess;
  let nats: NatsServer;
  let bridge: ServiceProcess;
  let transport: Transport;
  let client: ServiceClient<typeof ChainBridgeService>;
  const watched: BlockHead[] = [];
  const watch = new AbortController();

  const head = async (): Promise<BlockHead> => (await client.getHead({})).head!;
  const until = async (
    what: string,
    ok: (h: BlockHead) => boolean,
    timeoutMs = 60_000,
  ): Promise<BlockHead> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const h = await head();
      if (ok(h)) return h;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; last head ${h.number} stale=${h.stale}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  before(async () => {
    devchain = await startDevchainProcess('manual', 500);
    nats = await startNatsServer();
    bridge = spawnService('chain-bridge', {
      env: {
        COHORT_CHAIN_URL: `ws://127.0.0.1:${devchain.port}`,
        COHORT_NETUID: '1',
        COHORT_BLOCKS_PER_WINDOW: '4',
        COHORT_STALE_AFTER_MS: String(STALE_AFTER_MS),
        COHORT_RECONNECT_MIN_MS: '200',
        COHORT_RECONNECT_MAX_MS: '1000',
        COHORT_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
        COHORT_NATS_URL: nats.url,
      },
    });
    const ports = await bridge.ports();
    await bridge.waitForEvent('service_serving', 30_000);
    transport = createTransport(`127.0.0.1:${ports.grpc}`);
    client = createServiceClient(ChainBridgeService, transport);
    void (async () => {
      try {
        for await (const r of client.watchHead({}, { signal: watch.signal })) watched.push(r.head!);
      } catch {
        // cancelled at the end
      }
    })();
  });

  after(async () => {
    watch.abort();
    transport?.close();
    if (bridge !== undefined) assert.equal(await bridge.stop('SIGTERM'), 0, bridge.stderr());
    await devchain?.stop();
    await nats?.dispose();
  });

  test('a stalled chain: the head goes stale, reads time out with a reason, then it recovers', async () => {
    const fresh = await until('a fresh head', (h) => !h.stale && h.number > 2n);
    assert.equal(fresh.window, fresh.number / 4n);
    devchain.pause();
    try {
      const stale = await until('staleness', (h) => h.stale);
      assert.ok(stale.ageMs >= BigInt(STALE_AFTER_MS), `age ${stale.ageMs}`);
      assert.ok(stale.number >= fresh.number, 'the last known head is kept');
      await assert.rejects(
        client.getMetagraph({ netuid: 1 }),
        (e) => e instanceof CohortError && e.reason === 'CHAIN_TIMEOUT',
      );
      assert.ok(
        watched.some((h) => h.stale),
        'WatchHead streamed the stale state',
      );
    } finally {
      devchain.resume();
    }
    const back = await until('fresh again', (h) => !h.stale && h.number > fresh.number);
    assert.ok(back.number > fresh.number);
  });

  test('a dead chain: reads fail fast while it is away; the bridge reconnects when it returns', async () => {
    await until('a fresh head', (h) => !h.stale);
    const connectsBefore = bridge.records.filter((r) => r.event === 'chain_connected').length;
    await devchain.kill();
    await bridge.waitForEvent('chain_disconnected', 30_000);
    await assert.rejects(
      client.getHyperparameters({ netuid: 1 }),
      (e) => e instanceof CohortError && e.reason === 'CHAIN_DISCONNECTED',
    );
    await until('staleness', (h) => h.stale);
    await devchain.restart();
    // The restarted chain begins again at genesis: a head lower than before, accepted as a reorg.
    const back = await until('a fresh head after the restart', (h) => !h.stale, 120_000);
    assert.equal(back.window, back.number / 4n);
    assert.ok(bridge.records.filter((r) => r.event === 'chain_connected').length > connectsBefore);
    const m = await client.getMetagraph({ netuid: 1 });
    assert.ok(m.block > 0n);
    const streamedFreshAfter = watched.findLastIndex((h) => !h.stale);
    assert.ok(
      streamedFreshAfter > watched.findIndex((h) => h.stale),
      'WatchHead kept streaming across the outage',
    );
  });
});
