/**
 * When the periodic metagraph re-read happens and what it publishes. Real: the poller and the JSON logger.
 * Played by the test: the read (it returns metagraphs the test makes, or fails, or waits) in place of the
 * chain, and publish (collected).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger } from '@cohort/kit';
import type { Metagraph } from './chain-reads.js';
import { MetagraphPoller } from './metagraph-poller.js';

function metagraph(block: number, lastUpdate: number): Metagraph {
  return {
    block,
    neurons: [
      {
        uid: 0,
        hotkey: '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY',
        coldkey: '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty',
        stakeRao: 10n ** 12n,
        validatorPermit: true,
        active: true,
        lastUpdateBlock: lastUpdate,
      },
    ],
  };
}

/** A poller over a read the test scripts; `reads` lists the blocks each read started at. */
function poller(everyBlocks: number, read: (block: number) => Promise<Metagraph>) {
  const reads: number[] = [];
  const published: number[] = [];
  const events: string[] = [];
  let current = 0;
  const p = new MetagraphPoller({
    everyBlocks,
    read: () => {
      reads.push(current);
      return read(current);
    },
    publish: (m) => published.push(m.block),
    log: createLogger({
      service: 'test',
      level: 'debug',
      write: (line) => events.push((JSON.parse(line) as { event: string }).event),
    }),
  });
  /** Hear block `n`; the read it started, if any. */
  const block = (n: number): Promise<void> | undefined => {
    current = n;
    return p.onBlock(n);
  };
  return { block, reads, published, events };
}

describe('MetagraphPoller', () => {
  test('reads once at least `everyBlocks` blocks have passed, even when the subscription skips blocks', async () => {
    const t = poller(5, (b) => Promise.resolve(metagraph(b, 1)));
    for (const b of [3, 4, 5, 7, 9, 10]) await t.block(b);
    // 3 (first), then 9: block 8 never arrived, and 5 (a multiple) is too soon after 3.
    assert.deepEqual(t.reads, [3, 9]);
    for (const b of [11, 13, 15, 16]) await t.block(b);
    assert.deepEqual(t.reads, [3, 9, 15]);
  });

  test('publishes only when the neurons changed', async () => {
    let lastUpdate = 1;
    const t = poller(2, (b) => Promise.resolve(metagraph(b, lastUpdate)));
    await t.block(10);
    await t.block(12);
    lastUpdate = 12;
    await t.block(14);
    await t.block(16);
    assert.deepEqual(t.reads, [10, 12, 14, 16]);
    assert.deepEqual(t.published, [10, 14]);
  });

  test('until a first read succeeds every block reads; a failure is logged', async () => {
    let fail = true;
    const t = poller(5, (b) =>
      fail ? Promise.reject(new Error('chain away')) : Promise.resolve(metagraph(b, 1)),
    );
    await t.block(1);
    await t.block(2);
    fail = false;
    await t.block(3);
    await t.block(4);
    assert.deepEqual(t.reads, [1, 2, 3]);
    assert.deepEqual(t.published, [3]);
    assert.deepEqual(
      t.events.filter((e) => e === 'metagraph_read_failed'),
      ['metagraph_read_failed', 'metagraph_read_failed'],
    );
  });

  test('one read at a time: blocks that arrive during a slow read start none', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const t = poller(1, async (b) => {
      if (b === 1) await gate;
      return metagraph(b, b);
    });
    const slow = t.block(1);
    assert.equal(t.block(2), undefined);
    assert.equal(t.block(3), undefined);
    release();
    await slow;
    await t.block(4);
    assert.deepEqual(t.reads, [1, 4]);
    assert.deepEqual(t.published, [1, 4]);
  });

  test('a head below the last read (reorg, chain restarted from genesis) reads at once', async () => {
    const t = poller(25, (b) => Promise.resolve(metagraph(b, b)));
    await t.block(500);
    await t.block(510);
    await t.block(3);
    await t.block(10);
    assert.deepEqual(t.reads, [500, 3]);
  });
});
