/**
 * The per-bucket size limit of the checkpoint-store (filesystem backend, real process): puts that do not
 * fit fail with BUCKET_FULL, declared or not, and leave nothing; deletes free space; the usage survives a
 * restart (measured from the bucket's listing).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CohortError, encodeSs58, hotkeyFromSeed, updateKey } from '@cohort/core';
import { createServiceClient, createTransport } from '@cohort/kit';
import { CheckpointStoreService } from '@cohort/proto/cohort/store/v1/checkpoint_store';
import { spawnService } from '../harness/index.js';

const root = mkdtempSync(join(tmpdir(), 'cohort-quota-'));
after(() => rmSync(root, { recursive: true, force: true }));
const hotkey = encodeSs58(hotkeyFromSeed(new Uint8Array(32).fill(4)).publicKey);
const KB = 1024;

async function open() {
  const proc = spawnService('checkpoint-store', {
    env: { COHORT_FS_ROOT: root, COHORT_MAX_BUCKET_BYTES: String(1024 * KB) },
  });
  const ports = await proc.ports();
  await proc.waitForEvent('service_serving');
  const transport = createTransport(`127.0.0.1:${ports.grpc}`);
  const client = createServiceClient(CheckpointStoreService, transport);
  const put = (w: number, size: number, declare: boolean) =>
    client.put(
      (function* () {
        yield {
          part: {
            case: 'header' as const,
            value: { key: updateKey('quota', w, hotkey), sizeBytes: declare ? BigInt(size) : 0n },
          },
        };
        for (let at = 0; at < size; at += 64 * KB)
          yield {
            part: { case: 'chunk' as const, value: new Uint8Array(Math.min(64 * KB, size - at)).fill(w) },
          };
      })(),
    );
  const gauge = async (name: string): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${ports.metrics}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
    return Number(line?.split(' ').at(-1));
  };
  const close = async () => {
    transport.close();
    assert.equal(await proc.stop('SIGTERM'), 0, proc.stderr());
  };
  return { client, put, close, gauge };
}

async function reasonOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    assert.ok(error instanceof CohortError, String(error));
    return error.reason;
  }
}

test('puts past the bucket limit fail with BUCKET_FULL and leave nothing; deletes free space; restarts remember', async () => {
  let store = await open();
  assert.equal((await store.put(1, 600 * KB, true)).created, true);
  assert.equal(await reasonOf(store.put(2, 600 * KB, true)), 'BUCKET_FULL', 'declared: refused up front');
  assert.equal(
    await reasonOf(store.put(2, 600 * KB, false)),
    'BUCKET_FULL',
    'undeclared: refused at the cap',
  );
  assert.equal(await reasonOf(store.client.head({ key: updateKey('quota', 2, hotkey) })), 'NOT_FOUND');
  assert.equal((await store.put(3, 300 * KB, false)).created, true, 'what fits still goes in');
  assert.equal(await store.gauge('cohort_store_bucket_used_bytes'), 900 * KB, 'the gauge follows the puts');
  assert.equal(await store.gauge('cohort_store_bucket_limit_bytes'), 1024 * KB);
  await store.close();
  store = await open();
  assert.equal(await reasonOf(store.put(4, 200 * KB, true)), 'BUCKET_FULL', 'usage measured at start');
  assert.equal((await store.client.delete({ key: updateKey('quota', 1, hotkey) })).deleted, true);
  assert.equal((await store.put(4, 200 * KB, true)).created, true, 'the delete freed space');
  assert.equal(
    await store.gauge('cohort_store_bucket_used_bytes'),
    500 * KB,
    'measured at start, less the delete',
  );
  await store.close();
});
