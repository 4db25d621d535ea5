import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CohortError, blake2b256 } from '@cohort/core';

import { EF_STATE_FILE, EfStore } from './ef-store.js';

test('EfStore: nothing, then a round trip, leaving no temp file behind', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'cohort-ef-')), 'nested');
  const store = new EfStore(dir);
  assert.equal(await store.load(), null);
  const values = Float32Array.from([1.5, -2, 0, 3e-7]);
  await store.save({ window: 7n, values });
  await store.save({ window: 8n, values: values.map((v) => v * 2) });
  const loaded = await store.load();
  assert.equal(loaded?.window, 8n);
  assert.deepEqual([...(loaded?.values ?? [])], [3, -4, 0, Math.fround(6e-7)]);
  assert.deepEqual(readdirSync(dir), [EF_STATE_FILE]);
});

test('EfStore: a damaged file is EF_STATE_INVALID, never zeros', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cohort-ef-'));
  const store = new EfStore(dir);
  await store.save({ window: 1n, values: new Float32Array(16).fill(1) });
  const bytes = readFileSync(store.path);
  bytes[40] = (bytes[40] ?? 0) ^ 1;
  writeFileSync(store.path, bytes);
  await assert.rejects(store.load(), (e) => e instanceof CohortError && e.reason === 'EF_STATE_INVALID');
  writeFileSync(store.path, bytes.subarray(0, 50));
  await assert.rejects(store.load(), (e) => e instanceof CohortError && e.reason === 'EF_STATE_INVALID');
});

test('EfStore: values streamed in many chunks give the documented layout and load back exactly', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cohort-ef-'));
  // 1001 values through 64-byte chunks: 63 chunks, the last one partial.
  const store = new EfStore(dir, { chunkBytes: 64 });
  const values = Float32Array.from({ length: 1001 }, (_, i) => Math.sin(i) * 1e-3);
  await store.save({ window: 42n, values });
  const head = Buffer.alloc(32);
  head.write('COHORTEF', 0, 'latin1');
  head.writeUInt32LE(1, 8);
  head.writeBigUInt64LE(42n, 16);
  head.writeBigUInt64LE(1001n, 24);
  const body = Buffer.concat([head, Buffer.from(values.buffer)]);
  assert.deepEqual(readFileSync(store.path), Buffer.concat([body, blake2b256(body)]));
  const loaded = await new EfStore(dir, { chunkBytes: 40 }).load();
  assert.equal(loaded?.window, 42n);
  assert.deepEqual(loaded?.values, values);
});
