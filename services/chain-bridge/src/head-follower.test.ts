/**
 * HeadFollower observes heads in the order the subscription delivered them, however their timestamp
 * reads answer. Real here: the follower, core's ChainClock, polkadot.js `Header` values (number and
 * hash computed by @polkadot/types), the metrics registry and the JSON logger. Played by the test: the
 * connection (it hands over one api at once) and that api's two RPCs, `subscribeNewHeads` (the test
 * pushes heads) and `getStorage` (each answer is released by the test, so a slow read is injected).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ApiPromise } from '@polkadot/api';
import { TypeRegistry } from '@polkadot/types';
import type { Header } from '@polkadot/types/interfaces';
import { u8aToHex } from '@polkadot/util';
import { Registry } from 'prom-client';
import { createLogger } from '@cohort/kit';
import { createBridgeMetrics } from './bridge-metrics.js';
import type { ChainConnection } from './chain-connection.js';
import { HeadFollower } from './head-follower.js';

const types = new TypeRegistry();

function header(number: number): Header {
  return types.createType('Header', {
    number,
    parentHash: new Uint8Array(32).fill(number - 1),
    stateRoot: new Uint8Array(32),
    extrinsicsRoot: new Uint8Array(32),
    digest: { logs: [] },
  });
}

/** `Timestamp.Now` as the chain stores it: a SCALE u64. */
function timestampStorage(ms: number): { toU8a(bare: boolean): Uint8Array } {
  return types.createType('StorageData', types.createType('u64', ms).toHex(true));
}

/**
 * A connection up at once, over an api whose head subscription the test pushes to and whose storage
 * reads answer as `answer(block hash)` says: late, at once, or with an error.
 */
function fakeChain(answer: (hash: string) => Promise<unknown>): {
  connection: ChainConnection;
  push(h: Header): void;
  /** Storage reads asked for, by block hash, in the order asked. */
  asked: string[];
} {
  let onHead: ((h: Header) => void) | undefined;
  const asked: string[] = [];
  const api = {
    rpc: {
      chain: {
        subscribeNewHeads: (fn: (h: Header) => void) => {
          onHead = fn;
          return Promise.resolve(() => undefined);
        },
      },
      state: {
        getStorage: (_key: string, hash: Header['hash']) => {
          asked.push(hash.toHex());
          return answer(hash.toHex());
        },
      },
    },
  } as unknown as ApiPromise;
  const connection = {
    onUp: (fn: (a: ApiPromise) => void) => fn(api),
    onDown: () => undefined,
  } as unknown as ChainConnection;
  return { connection, push: (h) => onHead!(h), asked };
}

async function until(what: string, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('HeadFollower', () => {
  test('a later head whose read answers first waits for the earlier one: no false reorg', async () => {
    const [h10, h11, h12, h13] = [10, 11, 12, 13].map(header) as [Header, Header, Header, Header];
    const stamp = (h: Header): number => 1_700_000_000_000 + h.number.toNumber() * 1000;
    // Block 10's timestamp read is slow (block 11's, asked right after, would answer first); block
    // 12's fails.
    const chain = fakeChain(async (hash) => {
      const h = [h10, h11, h12, h13].find((x) => x.hash.toHex() === hash)!;
      if (h === h10) await sleep(100);
      if (h === h12) throw new Error('read failed');
      return timestampStorage(stamp(h));
    });
    const events: { event: string }[] = [];
    const follower = new HeadFollower({
      connection: chain.connection,
      blocksPerWindow: 11,
      staleAfterMs: 60_000,
      runId: 'test',
      nats: undefined,
      metrics: createBridgeMetrics(new Registry()),
      log: createLogger({
        service: 'test',
        level: 'debug',
        write: (line) => events.push(JSON.parse(line) as { event: string }),
      }),
    });
    const seen: { number: number; window: number; reorg: boolean }[] = [];
    follower.onBlock((u) => seen.push({ number: u.head.number, window: u.window, reorg: u.reorg }));
    follower.start();
    try {
      chain.push(h10);
      chain.push(h11);
      chain.push(h12);
      chain.push(h13);
      await until('block 13', () => seen.some((s) => s.number === 13));
      assert.deepEqual(seen, [
        { number: 10, window: 0, reorg: false },
        { number: 11, window: 1, reorg: false },
        { number: 13, window: 1, reorg: false },
      ]);
      // The failed read was logged and did not hold up the head behind it.
      assert.ok(events.some((e) => e.event === 'chain_timestamp_failed'));
      assert.ok(!events.some((e) => e.event === 'chain_reorg'), 'no reorg was reported');
      const head = follower.head();
      assert.equal(head.number, 13n);
      assert.equal(u8aToHex(head.hash), h13.hash.toHex());
      assert.equal(head.timestampUnixMs, BigInt(stamp(h13)));
      // Reads were asked in arrival order.
      assert.deepEqual(
        chain.asked,
        [h10, h11, h12, h13].map((h) => h.hash.toHex()),
      );
    } finally {
      follower.stop();
    }
  });
});
