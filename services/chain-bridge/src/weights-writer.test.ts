/**
 * WeightsWriter's decisions: the rate limit before either extrinsic, what a commit leaves on disk when
 * its settle read fails, and which reveal refusals forget the commit. Real here: the writer, the reveal
 * store on a temporary directory, the weights hash from core, the metrics registry and the JSON logger.
 * Played by the test instead of a chain: the chain state the writer reads (an in-memory `WeightsReads`)
 * and the verdict of each extrinsic (a submitter that records the call and its arguments and answers
 * with a scripted outcome). The real reads and submitter run in test/integration/chain-bridge.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { ApiPromise } from '@polkadot/api';
import type { SubmittableExtrinsic } from '@polkadot/api/types';
import { hexToU8a } from '@polkadot/util';
import { Registry } from 'prom-client';
import { CohortError, Code } from '@cohort/core';
import { createLogger } from '@cohort/kit';
import { createBridgeMetrics } from './bridge-metrics.js';
import type { BridgeMetrics } from './bridge-metrics.js';
import type { Hyperparameters } from './chain-reads.js';
import type { Outcome, Submitter } from './extrinsics.js';
import { RevealStore } from './reveal-store.js';
import type { PendingCommit } from './reveal-store.js';
import type { ChainCommit, WeightsReads } from './weights-reads.js';
import { FINAL_REVEAL_ERRORS, WeightsWriter } from './weights-writer.js';

const HOTKEY = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
const NETUID = 3;
const UID = 2;

const root = await mkdtemp(join(tmpdir(), 'cohort-weights-writer-'));
after(() => rm(root, { recursive: true, force: true }));
let dirs = 0;

/** The chain as the writer reads it; tests change the fields between calls. */
interface ChainState {
  commitReveal: boolean;
  rateLimit: number;
  /** `LastUpdate` of the writer's uid; 0: never. */
  lastUpdate: number;
  head: number;
  commits: ChainCommit[];
  /** When set, reading the commit list fails with it. */
  commitsError: CohortError | undefined;
}

function readsOf(chain: ChainState): WeightsReads {
  const hyper = (): Hyperparameters => ({
    tempo: 10,
    weightsRateLimit: chain.rateLimit,
    commitRevealEnabled: chain.commitReveal,
    revealPeriodEpochs: 1,
    weightsVersionKey: 7n,
    maxAllowedUids: 256,
  });
  return {
    preflight: () => Promise.resolve({ hyper: hyper(), subnetSize: 8, uid: UID }),
    lastUpdate: () => Promise.resolve({ last: chain.lastUpdate, next: chain.head + 1 }),
    commits: () =>
      chain.commitsError === undefined ? Promise.resolve(chain.commits) : Promise.reject(chain.commitsError),
  };
}

interface SubmittedCall {
  readonly call: string;
  readonly args: unknown[];
}

/** A submitter that records each extrinsic's call and arguments and answers with `verdict` of them. */
function scriptedSubmitter(
  verdict: (submitted: SubmittedCall) => Outcome,
): Submitter & { calls: SubmittedCall[] } {
  const calls: SubmittedCall[] = [];
  return {
    address: HOTKEY,
    calls,
    submit(call, build) {
      // The build function decorates `api.tx.subtensorModule.<name>`: capture what it passes.
      const tx = new Proxy(
        {},
        {
          get:
            (_t, name: string) =>
            (...args: unknown[]) => {
              calls.push({ call: name, args });
              return {} as SubmittableExtrinsic<'promise'>;
            },
        },
      );
      build({ tx: { subtensorModule: tx } } as unknown as ApiPromise);
      return Promise.resolve(verdict(calls.at(-1) ?? { call, args: [] }));
    },
  };
}

interface Harness {
  readonly writer: WeightsWriter;
  readonly store: RevealStore;
  readonly metrics: BridgeMetrics;
  readonly events: Record<string, unknown>[];
}

async function harness(
  chain: ChainState,
  submitter: Submitter,
  records: PendingCommit[] = [],
): Promise<Harness> {
  const store = new RevealStore(join(root, `state-${dirs++}`));
  for (const r of records) await store.put(r);
  const events: Record<string, unknown>[] = [];
  const log = createLogger({
    service: 'test',
    level: 'debug',
    write: (line) => events.push(JSON.parse(line) as Record<string, unknown>),
  });
  const metrics = createBridgeMetrics(new Registry());
  const writer = new WeightsWriter({
    reads: readsOf(chain),
    submitter,
    store,
    metrics,
    log,
    random: (n) => new Uint8Array(n).fill(7),
  });
  await writer.init();
  return { writer, store, metrics, events };
}

const chainAt = (overrides: Partial<ChainState> = {}): ChainState => ({
  commitReveal: true,
  rateLimit: 10,
  lastUpdate: 100,
  head: 104,
  commits: [],
  commitsError: undefined,
  ...overrides,
});

const included = (block: number): Outcome => ({ status: 'included', block });
const pending = async (metrics: BridgeMetrics): Promise<number> =>
  (await metrics.pendingReveals.get()).values[0]?.value ?? -1;

/** A commit on chain whose reveal window is blocks 210..220; `tag` is the first salt word. */
function committedRecord(tag: number): PendingCommit {
  return {
    netuid: NETUID,
    hotkey: HOTKEY,
    uids: [0, 4],
    weights: [65535, 100],
    salt: [tag, 2, 3, 4, 5, 6, 7, 8],
    versionKey: '7',
    commitHash: `0x${tag.toString(16).padStart(4, '0').repeat(16)}`,
    createdUnixMs: Date.now(),
    state: 'committed',
    commitBlock: 200,
    firstRevealBlock: 210,
    lastRevealBlock: 220,
  };
}

describe('WeightsWriter rate limit', () => {
  for (const commitReveal of [true, false]) {
    test(`too early (${commitReveal ? 'commit-reveal' : 'direct'}): RESOURCE_EXHAUSTED before anything is written or sent`, async () => {
      // Last weights at 100, limit 10: an extrinsic sent now lands in 105 and is refused until 110.
      const chain = chainAt({ commitReveal, lastUpdate: 100, head: 104 });
      const submitter = scriptedSubmitter(() => included(105));
      const { writer, store } = await harness(chain, submitter);
      await assert.rejects(
        writer.setWeights(NETUID, [0, 4], [65535, 100]),
        (e) =>
          e instanceof CohortError &&
          e.code === Code.ResourceExhausted &&
          e.reason === 'WEIGHTS_RATE_LIMITED' &&
          e.details['nextAllowedBlock'] === 110,
      );
      assert.equal(submitter.calls.length, 0, 'nothing submitted');
      assert.deepEqual(await store.list(), [], 'no reveal record written');

      // Once the limit has passed (the extrinsic would land in block 110), the write goes out.
      chain.head = 109;
      chain.commits = [];
      const r = await writer.setWeights(NETUID, [0, 4], [65535, 100]);
      assert.equal(r.mode, commitReveal ? 'commit' : 'direct');
      assert.deepEqual(
        submitter.calls.map((c) => c.call),
        [commitReveal ? 'commitWeights' : 'setWeights'],
      );
    });
  }
});

describe('WeightsWriter commit', () => {
  test('a settle read that fails after an included commit does not fail SetWeights; the next block settles', async () => {
    const chain = chainAt({
      lastUpdate: 0,
      commitsError: new CohortError(Code.DeadlineExceeded, 'chain read weight_commits took too long', {
        reason: 'CHAIN_TIMEOUT',
      }),
    });
    const submitter = scriptedSubmitter(() => included(105));
    const { writer, store, metrics, events } = await harness(chain, submitter);

    const r = await writer.setWeights(NETUID, [0, 4], [65535, 100]);
    assert.equal(r.mode, 'commit');
    assert.equal(r.outcome.status, 'included');
    const failed = events.find((e) => e['event'] === 'weights_commit_settle_failed');
    assert.ok(failed !== undefined, 'the failed settle is logged');
    assert.equal((failed['error'] as { reason?: string }).reason, 'CHAIN_TIMEOUT');
    const [record] = await store.list();
    assert.ok(record !== undefined);
    assert.equal(record.state, 'committing', 'the record stays for reconciliation');
    assert.equal(await pending(metrics), 1);
    // The commit carried the hash of the record on disk.
    const [commit] = submitter.calls;
    assert.deepEqual(commit?.args, [NETUID, hexToU8a(record.commitHash)]);

    // The chain answers again: the next block finds the commit and records its reveal window.
    chain.commitsError = undefined;
    chain.commits = [
      { hash: record.commitHash, commitBlock: 105, firstRevealBlock: 116, lastRevealBlock: 126 },
    ];
    await writer.onBlock(106);
    const [settled] = await store.list();
    assert.equal(settled?.state, 'committed');
    assert.equal(settled?.firstRevealBlock, 116);
    assert.equal(settled?.lastRevealBlock, 126);
    assert.ok(events.some((e) => e['event'] === 'weights_committed'));
    assert.equal(submitter.calls.length, 1, 'no reveal before its window');
  });
});

describe('WeightsWriter reveal', () => {
  test('a refusal that can never pass forgets the commit and says why', async () => {
    // Record i is refused with the i-th final error; its reveal carries i + 1 as its first salt word.
    const names = [...FINAL_REVEAL_ERRORS];
    const records = names.map((_, i) => committedRecord(i + 1));
    const submitter = scriptedSubmitter(({ call, args }) => {
      assert.equal(call, 'revealWeights');
      const tag = (args[3] as number[])[0]!;
      return { status: 'dispatch_error', block: 215, errorName: names[tag - 1]! };
    });
    const { writer, store, metrics, events } = await harness(chainAt(), submitter, records);
    assert.equal(await pending(metrics), names.length);

    await writer.onBlock(215);
    assert.equal(submitter.calls.length, names.length, 'each revealed once');
    assert.deepEqual(await store.list(), [], 'every record forgotten');
    assert.equal(await pending(metrics), 0);
    const closed = events.filter((e) => e['event'] === 'weights_commit_closed');
    assert.deepEqual(
      closed.map((e) => [e['commitHash'], e['why']]).sort(),
      records.map((r, i) => [r.commitHash, names[i]]).sort(),
    );

    // Nothing left to resubmit on later blocks.
    await writer.onBlock(216);
    assert.equal(submitter.calls.length, names.length);
  });

  test('the seven weight refusals the review named are final', () => {
    for (const name of [
      'IncorrectWeightVersionKey',
      'NeuronNoValidatorPermit',
      'HotKeyNotRegisteredInSubNet',
      'UidVecContainInvalidOne',
      'WeightVecLengthIsLow',
      'MaxWeightExceeded',
      'UidsLengthExceedUidsInSubNet',
    ]) {
      assert.ok(FINAL_REVEAL_ERRORS.has(`SubtensorModule.${name}`), name);
    }
  });

  test('a refusal that can pass (too early, dropped) keeps the commit; the next block reveals it', async () => {
    const record = committedRecord(1);
    const verdicts: Outcome[] = [
      { status: 'dispatch_error', block: 211, errorName: 'SubtensorModule.RevealTooEarly' },
      { status: 'dropped', errorName: 'TIMEOUT' },
      included(213),
    ];
    const submitter = scriptedSubmitter(() => verdicts.shift()!);
    const { writer, store, metrics, events } = await harness(chainAt(), submitter, [record]);

    await writer.onBlock(211);
    await writer.onBlock(212);
    assert.deepEqual(await store.list(), [record], 'kept after RevealTooEarly and a drop');
    await writer.onBlock(213);
    assert.deepEqual(await store.list(), []);
    assert.equal(await pending(metrics), 0);
    assert.equal(submitter.calls.length, 3);
    assert.deepEqual(submitter.calls[2], {
      call: 'revealWeights',
      args: [NETUID, record.uids, record.weights, record.salt, 7n],
    });
    const closed = events.filter((e) => e['event'] === 'weights_commit_closed');
    assert.deepEqual(
      closed.map((e) => e['why']),
      ['revealed'],
    );
  });
});
