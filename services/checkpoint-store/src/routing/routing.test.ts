/**
 * The routing rules over a directory fed by injected commitment lists: the edge cases (no first read,
 * a failing refresh, deregistered and forbidden commitments, the own bucket committed). The real chain,
 * chain-bridge and store are exercised together in test/integration/store-routing.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CohortError, aggregateKey, latestKey, selectionKey, updateKey, updatesPrefix } from '@cohort/core';
import { createLogger } from '@cohort/kit';

import { CommitmentDirectory, NO_UID } from './commitment-directory.js';
import type { ListedCommitment } from './commitment-directory.js';
import { ReadRouter, normalizeEndpoint } from './read-router.js';

const A = '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty';
const B = '5FLSigC9HGRKVhB9FiEo4Y3koPsNmBmLJbpXg2mp1hXcS59Y';
const AGG = '5GrwvaDef5KYSvcRZhGrE6ij2xaNd7rjndWN3ft6iRvQcK1z';
const GONE = '5DAAnrj7VHTznn2AWBemMuyBwZWs6FNFjdyVXUeYum3PTXFy';
const log = createLogger({ service: 'test', write: () => undefined });
const bucket = (endpoint: string, name: string) => ({
  endpoint,
  bucket: name,
  region: 'auto',
  accessKeyId: 'k',
  secretAccessKey: 's',
  pathStyle: false,
});
const listed = (hotkey: string, b: ReturnType<typeof bucket> | undefined, uid = 1): ListedCommitment => ({
  uid,
  hotkey,
  bucket: b,
  decodeError: b === undefined ? 'COMMITMENT_BAD_VERSION' : '',
});

function directory(answers: Array<readonly ListedCommitment[] | Error>) {
  let call = 0;
  const refreshes: boolean[] = [];
  const d = new CommitmentDirectory({
    fetch: () => {
      const a = answers[Math.min(call++, answers.length - 1)]!;
      return a instanceof Error ? Promise.reject(a) : Promise.resolve(a);
    },
    refreshMs: 3_600_000,
    policy: 'public',
    log,
    onRefresh: (ok) => refreshes.push(ok),
  });
  return { d, refreshes };
}

const reasonOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    assert.ok(error instanceof CohortError);
    return error.reason;
  }
};

test('before the first good read routed reads are refused, never answered from this bucket', async () => {
  const { d, refreshes } = directory([
    new Error('bridge down'),
    [listed(A, bucket('https://a.example.org', 'a'))],
  ]);
  await d.start();
  const router = new ReadRouter({ aggregator: AGG, validator: '' }, d, undefined);
  assert.equal(
    reasonOf(() => router.route(updateKey('r', 1, A))),
    'COMMITMENTS_UNAVAILABLE',
  );
  assert.equal(router.route('datasets/x.bin'), undefined, 'non-layout keys need no commitments');
  await d.refresh();
  assert.equal(router.route(updateKey('r', 1, A))?.bucket, 'a');
  assert.deepEqual(refreshes, [false, true]);
  await d.stop();
});

test('a failed refresh keeps the last good directory', async () => {
  const { d } = directory([[listed(A, bucket('https://a.example.org', 'a'))], new Error('bridge down')]);
  await d.start();
  await d.refresh();
  assert.equal(d.lookup(A)?.kind, 'bucket');
  await d.stop();
});

test('owners: miners’ updates, the aggregator’s objects; uncommitted, deregistered and own buckets read here', async () => {
  const own = { endpoint: 'HTTPS://Store.Example.org/', bucket: 'mine' };
  const { d } = directory([
    [
      listed(A, bucket('https://a.example.org', 'a')),
      listed(AGG, bucket('https://agg.example.org', 'agg')),
      listed(GONE, bucket('https://gone.example.org', 'g'), NO_UID),
      listed(B, bucket('https://store.example.org', 'mine')), // B shares this operator's bucket
    ],
  ]);
  await d.start();
  const router = new ReadRouter({ aggregator: AGG, validator: '' }, d, own);
  assert.equal(router.route(updateKey('r', 3, A))?.bucket, 'a');
  assert.equal(router.route(updateKey('r', 3, B)), undefined, 'committed this very bucket');
  assert.equal(
    router.route(updateKey('r', 3, GONE)),
    undefined,
    'deregistered: its commitment routes nothing',
  );
  for (const key of [aggregateKey('r', 3), latestKey('r')]) assert.equal(router.route(key)?.bucket, 'agg');
  assert.equal(router.route(selectionKey('r', 3)), undefined, 'no followed validator: own');
  const fan = router.routeList(updatesPrefix('r', 3));
  assert.equal(fan.kind, 'updates');
  if (fan.kind === 'updates') {
    assert.deepEqual(fan.peers.map((p) => p.hotkey).sort(), [A, AGG].sort(), 'every other committed bucket');
    assert.equal(fan.ownHotkey(A), false, 'A is read from its bucket only');
    assert.equal(fan.ownHotkey(B), true);
    assert.equal(fan.ownHotkey(GONE), true, 'no routing commitment');
  }
  const agg = d.lookup(AGG);
  assert.ok(agg?.kind === 'bucket');
  assert.deepEqual(router.routeList('cohort/v1/r/checkpoints/'), { kind: 'peer', peer: agg.bucket });
  assert.deepEqual(router.routeList('cohort/v1/r/scores/3/'), { kind: 'own' });
  await d.stop();
});

test('commitments that are not buckets, or whose endpoint the policy forbids, make the owner unreadable', async () => {
  const { d } = directory([[listed(A, undefined), listed(AGG, bucket('http://169.254.169.254', 'meta'))]]);
  await d.start();
  const router = new ReadRouter({ aggregator: AGG, validator: '' }, d, undefined);
  assert.equal(
    reasonOf(() => router.route(updateKey('r', 1, A))),
    'COMMITMENT_INVALID',
  );
  assert.equal(
    reasonOf(() => router.route(aggregateKey('r', 1))),
    'PEER_ENDPOINT_FORBIDDEN',
  );
  const fan = router.routeList(updatesPrefix('r', 1));
  assert.ok(fan.kind === 'updates' && fan.peers.length === 0 && !fan.ownHotkey(A));
  await d.stop();
});

test('routing off: every read is of this bucket', () => {
  const router = new ReadRouter({ aggregator: AGG, validator: B }, undefined, undefined);
  assert.equal(router.enabled, false);
  assert.equal(router.route(aggregateKey('r', 1)), undefined);
  assert.deepEqual(router.routeList(updatesPrefix('r', 1)), { kind: 'own' });
});

test('endpoints compare by scheme, host and port, without case or a trailing slash', () => {
  assert.equal(normalizeEndpoint('HTTPS://S3.Example.org:443/'), 'https://s3.example.org');
  assert.equal(normalizeEndpoint('http://127.0.0.1:7480'), 'http://127.0.0.1:7480');
  assert.equal(normalizeEndpoint('file:///tmp/buckets/'), 'file:///tmp/buckets');
});
