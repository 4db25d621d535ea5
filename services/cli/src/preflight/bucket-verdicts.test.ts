import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  bandwidthNeed,
  bandwidthVerdict,
  bucketVerdict,
  rateStatus,
  readOnlyVerdict,
} from './bucket-verdicts.js';
import type { StepOutcome } from './bucket-verdicts.js';
import { presetSizes } from './preset-sizes.js';

const ok: StepOutcome = { ok: true };
const denied = (s3Code: string | undefined, reason = 'PEER_DENIED'): StepOutcome => ({
  ok: false,
  reason,
  s3Code,
  message: 'no',
});
const where = { endpoint: 'http://s3', bucket: 'b', key: 'cohort/v1/r/preflight/probe-1', list: ok };

test('bucket: each failing step names the step and gives the fix for the server’s code', () => {
  assert.equal(bucketVerdict({ ...where, write: ok, read: ok, sameBytes: true, delete: ok }).status, 'ok');
  const badSecret = bucketVerdict({ ...where, write: denied('SignatureDoesNotMatch') });
  assert.equal(badSecret.status, 'FAIL');
  assert.match(badSecret.detail, /write failed/);
  const listRefused = bucketVerdict({ ...where, list: denied('SignatureDoesNotMatch') });
  assert.match(listRefused.detail, /list failed/);
  assert.match(listRefused.advice, /COHORT_S3_SECRET_ACCESS_KEY/);
  assert.match(badSecret.advice, /secret key does not belong/);
  assert.match(
    bucketVerdict({ ...where, write: denied('NoSuchBucket', 'NOT_FOUND') }).advice,
    /does not exist/,
  );
  assert.match(
    bucketVerdict({ ...where, write: denied(undefined, 'PEER_UNREACHABLE') }).advice,
    /--s3-endpoint/,
  );
  assert.equal(bucketVerdict({ ...where, write: ok, read: ok, sameBytes: false, delete: ok }).status, 'FAIL');
  const noDelete = bucketVerdict({
    ...where,
    write: ok,
    read: ok,
    sameBytes: true,
    delete: denied('AccessDenied'),
  });
  assert.equal(noDelete.status, 'FAIL');
  assert.match(noDelete.advice, /retention needs deletes/);
});

test('bucket-read: the write key, a key that writes, or one that cannot read all fail; anonymous-only warns', () => {
  assert.equal(readOnlyVerdict({ mode: 'same-as-write' }).status, 'FAIL');
  assert.equal(
    readOnlyVerdict({ mode: 'keys', read: ok, list: ok, write: denied('AccessDenied') }).status,
    'ok',
  );
  const writes = readOnlyVerdict({ mode: 'keys', read: ok, list: ok, write: ok });
  assert.equal(writes.status, 'FAIL');
  assert.match(writes.detail, /can write/);
  const noRead = readOnlyVerdict({
    mode: 'keys',
    read: denied('AccessDenied'),
    list: ok,
    write: denied('AccessDenied'),
  });
  assert.equal(noRead.status, 'FAIL');
  assert.match(noRead.advice, /read-only policy/);
  assert.equal(
    readOnlyVerdict({ mode: 'keys', read: ok, list: denied('AccessDenied'), write: denied(undefined) })
      .status,
    'FAIL',
  );
  assert.equal(
    readOnlyVerdict({ mode: 'anonymous', read: denied('AccessDenied'), list: ok, write: denied(undefined) })
      .status,
    'warn',
  );
  assert.equal(
    readOnlyVerdict({ mode: 'anonymous', read: ok, list: ok, write: denied(undefined) }).status,
    'ok',
  );
  assert.equal(readOnlyVerdict({ mode: 'anonymous', read: ok, list: ok, write: ok }).status, 'FAIL');
});

test('bandwidth: below the need fails, under twice the need warns', () => {
  assert.equal(rateStatus(0.9, 1), 'FAIL');
  assert.equal(rateStatus(1.5, 1), 'warn');
  assert.equal(rateStatus(2, 1), 'ok');
  const sizes = presetSizes('150M');
  const miner = bandwidthNeed('miner', sizes, 70_000, 20);
  assert.equal(miner.upBytesPerSecond, sizes.updateBytes / 70);
  assert.equal(miner.downBytesPerSecond, sizes.aggregateBytes / 70);
  assert.equal(
    bandwidthNeed('validator', sizes, 70_000, 20).downBytesPerSecond,
    (20 * sizes.updateBytes) / 70,
  );
  const fast = { ok: true as const, bytes: 100e6, seconds: 1 };
  assert.equal(bandwidthVerdict(fast, fast, miner, 100e6).status, 'ok');
  const slowDown = bandwidthVerdict(fast, { ok: true, bytes: 1e6, seconds: 1 }, miner, 8e6);
  assert.equal(slowDown.status, 'FAIL');
  assert.match(slowDown.detail, /down 1\.00 MB\/s \(needs 3\.50 MB\/s/);
  assert.match(slowDown.advice, /--probe-mb 64/);
  assert.equal(bandwidthVerdict({ ok: false, message: 'boom' }, fast, miner, 8e6).status, 'FAIL');
});
