import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  chainSkewMs,
  clockVerdict,
  diskNeedBytes,
  diskVerdict,
  gpuVerdict,
  parseNvidiaSmi,
  s3SkewMs,
} from './host-verdicts.js';
import { presetSizes } from './preset-sizes.js';

const NOW = 1_800_000_000_000;

test('clock: a head up to one block old is no skew; beyond the limit fails, S3 past 15 min fails', () => {
  assert.equal(chainSkewMs({ headTimestampMs: NOW - 12_000, localMs: NOW }), 0);
  assert.equal(chainSkewMs({ headTimestampMs: NOW - 20_000, localMs: NOW }), 8_000);
  assert.equal(chainSkewMs({ headTimestampMs: NOW + 3_000, localMs: NOW }), 3_000);
  assert.equal(s3SkewMs({ serverDateMs: NOW - 1_500, localMs: NOW, rttMs: 200 }), 400);
  const fine = clockVerdict(
    {
      chain: { headTimestampMs: NOW - 6_000, localMs: NOW },
      s3: { serverDateMs: NOW, localMs: NOW, rttMs: 5 },
    },
    10_000,
  );
  assert.equal(fine.status, 'ok');
  const behind = clockVerdict(
    {
      chain: { headTimestampMs: NOW - 3_600_000, localMs: NOW },
      s3: { serverDateMs: NOW, localMs: NOW, rttMs: 5 },
    },
    10_000,
  );
  assert.equal(behind.status, 'FAIL');
  assert.match(behind.advice, /node is behind/);
  assert.match(behind.advice, /--max-skew-ms/);
  assert.equal(
    clockVerdict({ chain: { headTimestampMs: NOW - 3_600_000, localMs: NOW } }, 4_000_000).status,
    'ok',
  );
  assert.equal(
    clockVerdict({ s3: { serverDateMs: NOW - 20_000, localMs: NOW, rttMs: 5 } }, 10_000).status,
    'warn',
  );
  const s3Far = clockVerdict({ s3: { serverDateMs: NOW - 16 * 60_000, localMs: NOW, rttMs: 5 } }, 10_000_000);
  assert.equal(s3Far.status, 'FAIL');
  assert.match(s3Far.detail, /15 min/);
  assert.equal(clockVerdict({}, 10_000).status, 'warn');
});

test('disk: below two checkpoints + 1 GiB fails, below twice that warns, unwritable fails', () => {
  const sizes = presetSizes('1B');
  const need = diskNeedBytes(sizes);
  const obs = { path: '/s', measuredPath: '/s', exists: true, writable: true };
  assert.equal(diskVerdict({ ...obs, freeBytes: need - 1 }, '1B', sizes).status, 'FAIL');
  assert.equal(diskVerdict({ ...obs, freeBytes: need + 1 }, '1B', sizes).status, 'warn');
  assert.equal(diskVerdict({ ...obs, freeBytes: 2 * need }, '1B', sizes).status, 'ok');
  assert.equal(diskVerdict({ ...obs, writable: false, freeBytes: 1e15 }, '1B', sizes).status, 'FAIL');
  assert.match(
    diskVerdict({ ...obs, exists: false, measuredPath: '/', freeBytes: 1e15 }, '1B', sizes).detail,
    /not there yet/,
  );
});

test('gpu: CPU-only warns a miner only; too little memory fails a miner; busy memory warns', () => {
  assert.deepEqual(parseNvidiaSmi('NVIDIA H100 80GB HBM3, 81559, 4\nTesla T4, 15360, 15000\n'), [
    { name: 'NVIDIA H100 80GB HBM3', totalMiB: 81559, usedMiB: 4 },
    { name: 'Tesla T4', totalMiB: 15360, usedMiB: 15000 },
  ]);
  const sizes = presetSizes('1B');
  assert.equal(gpuVerdict({ kind: 'absent' }, 'miner', '1B', sizes).status, 'warn');
  assert.equal(gpuVerdict({ kind: 'absent' }, 'aggregator', '1B', sizes).status, 'ok');
  assert.equal(gpuVerdict({ kind: 'absent' }, 'validator', '1B', sizes).status, 'ok');
  assert.equal(gpuVerdict({ kind: 'error', message: 'driver' }, 'miner', '1B', sizes).status, 'FAIL');
  const h100 = { name: 'H100', totalMiB: 81559, usedMiB: 0 };
  assert.equal(gpuVerdict({ kind: 'gpus', gpus: [h100] }, 'miner', '1B', sizes).status, 'ok');
  assert.equal(
    gpuVerdict({ kind: 'gpus', gpus: [{ ...h100, usedMiB: 70_000 }] }, 'miner', '1B', sizes).status,
    'warn',
  );
  const t4 = gpuVerdict(
    { kind: 'gpus', gpus: [{ name: 'T4', totalMiB: 15360, usedMiB: 0 }] },
    'miner',
    '1B',
    sizes,
  );
  assert.equal(t4.status, 'FAIL');
  const big = gpuVerdict({ kind: 'gpus', gpus: [h100] }, 'miner', '8B', presetSizes('8B'));
  assert.equal(big.status, 'FAIL');
  assert.match(big.advice, /sharding/);
});
