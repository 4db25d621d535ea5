/**
 * The checkpoint-store over gRPC with its default filesystem backend, as a real process: streaming Put
 * with the hash computed on the way, idempotent re-puts, write-once keys vs the mutable LATEST, ranged
 * Get, Head, paged List, Delete, Watch with the store's own first-seen clock (also of a peer's bucket
 * given as file://), typed errors with reasons, and a crash test: SIGKILL in the middle of an upload
 * leaves readers with the whole old object or nothing, and the retry completes. Everything runs twice:
 * on the filesystem backend and on the S3 backend against a real RADOS Gateway.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Code,
  CohortError,
  blake2b256,
  encodeSs58,
  hotkeyFromSeed,
  latestKey,
  updateKey,
} from '@cohort/core';
import { StoreClient, createServiceClient, createTransport } from '@cohort/kit';
import type { ServiceClient, Transport } from '@cohort/kit';
import { CheckpointStoreService } from '@cohort/proto/cohort/store/v1/checkpoint_store';
import { spawnService, startS3Server } from '../harness/index.js';
import type { S3Server, ServiceProcess } from '../harness/index.js';

const RUN = 'store-test';
const HOTKEY = encodeSs58(hotkeyFromSeed(new Uint8Array(32).fill(3)).publicKey);

/** Fixed-seed bytes. */
function bytes(n: number, seed: number): Uint8Array {
  let s = seed >>> 0;
  return Uint8Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s >>> 24;
  });
}

type Client = ServiceClient<typeof CheckpointStoreService>;
const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('hex');

async function put(client: Client, key: string, data: Uint8Array, chunk = 64 * 1024, expect?: Uint8Array) {
  function* requests() {
    yield {
      part: {
        case: 'header' as const,
        value: { key, sizeBytes: BigInt(data.length), ...(expect ? { expectedBlake2b256: expect } : {}) },
      },
    };
    for (let at = 0; at < data.length; at += chunk)
      yield { part: { case: 'chunk' as const, value: data.subarray(at, at + chunk) } };
  }
  return client.put(requests());
}

async function get(
  client: Client,
  key: string,
  offset = 0n,
  length = 0n,
  bucket?: { peer: { endpoint: string; bucket: string } },
) {
  const parts: Uint8Array[] = [];
  let info;
  for await (const m of client.get({ key, offset, length, ...(bucket ? { bucket } : {}) })) {
    if (m.part.case === 'info') info = m.part.value;
    else if (m.part.case === 'chunk') parts.push(m.part.value);
  }
  return { info, data: new Uint8Array(Buffer.concat(parts)) };
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

for (const backend of ['filesystem', 's3'] as const)
  describe(`checkpoint-store over gRPC (${backend} backend)`, () => {
    const root = mkdtempSync(join(tmpdir(), 'cohort-store-'));
    const peerRoot = mkdtempSync(join(tmpdir(), 'cohort-peer-'));
    let proc: ServiceProcess;
    let transport: Transport;
    let client: Client;
    let s3: S3Server | undefined;
    let backendEnv: Record<string, string> = { COHORT_FS_ROOT: root };
    const start = async () => {
      if (backend === 's3' && s3 === undefined) {
        s3 = await startS3Server();
        backendEnv = {
          COHORT_BACKEND: 's3',
          COHORT_S3_ENDPOINT: s3.endpoint,
          COHORT_S3_BUCKET: 'operator-a',
          COHORT_S3_REGION: s3.region,
          COHORT_S3_ACCESS_KEY_ID: s3.accessKey,
          COHORT_S3_SECRET_ACCESS_KEY: s3.secretKey,
        };
      }
      proc = spawnService('checkpoint-store', {
        env: { ...backendEnv, COHORT_MAX_OBJECT_BYTES: String(64 << 20), COHORT_PEER_ENDPOINTS: 'any' },
      });
      const ports = await proc.ports();
      await proc.waitForEvent('service_serving');
      transport = createTransport(`127.0.0.1:${ports.grpc}`);
      client = createServiceClient(CheckpointStoreService, transport);
    };
    before(start);
    after(async () => {
      transport.close();
      assert.equal(await proc.stop('SIGTERM'), 0, proc.stderr());
      await s3?.stop();
      rmSync(root, { recursive: true, force: true });
      rmSync(peerRoot, { recursive: true, force: true });
    });

    test('Put, Get, Head, List, Delete; idempotent by content; only LATEST is mutable', async () => {
      const key = updateKey(RUN, 3, HOTKEY);
      const data = bytes(300_000, 1);
      const first = await put(client, key, data);
      assert.equal(first.created, true);
      assert.equal(hex(first.info?.blake2b256), hex(blake2b256(data)));
      assert.equal((await put(client, key, data, 7777)).created, false, 'same bytes again: no new object');
      assert.equal(await reasonOf(put(client, key, bytes(300_000, 2))), 'OBJECT_EXISTS');
      const whole = await get(client, key);
      assert.deepEqual(whole.data, data);
      const middle = await get(client, key, 1000n, 5000n);
      assert.deepEqual(middle.data, data.subarray(1000, 6000));
      assert.equal(await reasonOf(get(client, key, 400_000n, 1n)), 'BAD_RANGE');
      const head = await client.head({ key });
      assert.equal(head.info?.sizeBytes, 300_000n);
      assert.equal(await reasonOf(client.head({ key: `${key}-missing` })), 'NOT_FOUND');
      assert.equal(await reasonOf(client.head({ key: '../etc/passwd' })), 'BAD_KEY');
      const latest = latestKey(RUN);
      await put(client, latest, new TextEncoder().encode('3'));
      assert.equal((await put(client, latest, new TextEncoder().encode('4'))).created, true, 'LATEST moves');
      assert.equal(new TextDecoder().decode((await get(client, latest)).data), '4');
      for (let w = 0; w < 5; w++) await put(client, updateKey(RUN, 10 + w, HOTKEY), bytes(100, w));
      const page1 = await client.list({ prefix: `cohort/v1/${RUN}/updates/`, pageSize: 4 });
      assert.equal(page1.objects.length, 4);
      assert.notEqual(page1.nextPageToken, '');
      const page2 = await client.list({
        prefix: `cohort/v1/${RUN}/updates/`,
        pageSize: 4,
        pageToken: page1.nextPageToken,
      });
      assert.equal(page1.objects.length + page2.objects.length, 6);
      assert.equal(page2.nextPageToken, '');
      assert.equal((await client.delete({ key })).deleted, true);
      assert.equal((await client.delete({ key })).deleted, false);
      assert.equal(await reasonOf(get(client, key)), 'NOT_FOUND');
    });

    test('Put refuses a wrong size or hash and an oversize stream; nothing becomes visible', async () => {
      const key = updateKey(RUN, 20, HOTKEY);
      const data = bytes(10_000, 3);
      assert.equal(await reasonOf(put(client, key, data, 4096, new Uint8Array(32).fill(1))), 'HASH_MISMATCH');
      assert.equal(await reasonOf(client.head({ key })), 'NOT_FOUND');
      function* wrongSize() {
        yield { part: { case: 'header' as const, value: { key, sizeBytes: 5n } } };
        yield { part: { case: 'chunk' as const, value: data } };
      }
      assert.equal(await reasonOf(client.put(wrongSize())), 'SIZE_MISMATCH');
      assert.equal(await reasonOf(put(client, key, bytes(65 << 20, 4), 1 << 20)), 'TOO_LARGE');
      assert.equal(await reasonOf(client.head({ key })), 'NOT_FOUND');
    });

    test('StoreClient streams files both ways: putFile, then getToFile; a refused or absent object leaves no file', async () => {
      const store = new StoreClient(`127.0.0.1:${(await proc.ports()).grpc}`, { chunkBytes: 100_000 });
      const work = mkdtempSync(join(tmpdir(), 'cohort-store-files-'));
      try {
        const key = updateKey(RUN, 25, HOTKEY);
        const data = bytes(1_234_567, 5);
        const source = join(work, 'source.bin');
        writeFileSync(source, data);
        const put = await store.putFile(key, source, { blake2b256: blake2b256(data) });
        assert.equal(put.created, true);
        const target = join(work, 'target.bin');
        writeFileSync(target, 'an older file is replaced, not appended to');
        const info = await store.getToFile(key, target);
        assert.equal(info?.sizeBytes, BigInt(data.length));
        assert.equal(hex(info?.blake2b256), hex(blake2b256(data)));
        assert.deepEqual(new Uint8Array(readFileSync(target)), data);
        // The check sees the info first and refuses: nothing of the object is left on disk.
        const refused = join(work, 'refused.bin');
        const check = (seen: { sizeBytes: bigint }) => {
          throw new CohortError(Code.DataLoss, `refused at ${seen.sizeBytes} bytes`, { reason: 'REFUSED' });
        };
        assert.equal(await reasonOf(store.getToFile(key, refused, { check })), 'REFUSED');
        assert.equal(existsSync(refused), false);
        const absent = join(work, 'absent.bin');
        assert.equal(await store.getToFile(`${key}-missing`, absent), undefined);
        assert.equal(existsSync(absent), false);
      } finally {
        store.close();
        rmSync(work, { recursive: true, force: true });
      }
    });

    test("Watch reports the store's own first-seen time, of its own bucket and of a file:// peer", async () => {
      const key = updateKey(RUN, 30, HOTKEY);
      const watching = client.watch({ key, deadlineUnixMs: BigInt(Date.now() + 10_000), pollIntervalMs: 50 });
      await sleep(300);
      const before = Date.now();
      await put(client, key, bytes(1000, 5));
      const found = await watching;
      assert.equal(found.found, true);
      assert.ok(Number(found.info?.firstSeenUnixMs) >= before - 5, 'seen after it was written');
      const missing = await client.watch({
        key: `${key}x`,
        deadlineUnixMs: BigInt(Date.now() + 400),
        pollIntervalMs: 50,
      });
      assert.equal(missing.found, false);
      assert.equal(await reasonOf(client.watch({ key, deadlineUnixMs: 1n })), 'BAD_DEADLINE');
      // A peer's bucket on this machine (devnet style): the first sighting is by this store's clock and sticks.
      const peer = { endpoint: `file://${peerRoot}`, bucket: 'operator-b' };
      const peerStore = await import('@cohort/checkpoint-store/backends');
      const backend = await peerStore.createFsBackend({ root: join(peerRoot, 'operator-b') });
      const peerKey = updateKey(RUN, 31, HOTKEY);
      await backend.put(
        peerKey,
        (async function* () {
          await Promise.resolve();
          yield bytes(2000, 6);
        })(),
        { maxBytes: 1 << 20 },
      );
      const seen1 = await client.watch({
        bucket: { peer },
        key: peerKey,
        deadlineUnixMs: BigInt(Date.now() + 5000),
      });
      await sleep(50);
      const seen2 = await client.head({ bucket: { peer }, key: peerKey });
      assert.equal(seen1.found, true);
      assert.equal(seen2.info?.firstSeenUnixMs, seen1.info?.firstSeenUnixMs, 'first-seen is recorded once');
      const remote = await get(client, peerKey, 0n, 0n, { peer });
      assert.deepEqual(remote.data, bytes(2000, 6));
      await backend.close();
    });

    test('SIGKILL mid-upload: readers see the old object or nothing, never a torn one; the retry completes', async () => {
      const fresh = updateKey(RUN, 40, HOTKEY);
      const latest = latestKey(`${RUN}-crash`);
      const old = bytes(5000, 7);
      await put(client, latest, old);
      const big = bytes(24 << 20, 8);
      for (const key of [fresh, latest]) {
        async function* slow() {
          yield { part: { case: 'header' as const, value: { key, sizeBytes: BigInt(big.length) } } };
          for (let at = 0; at < big.length; at += 1 << 20) {
            yield { part: { case: 'chunk' as const, value: big.subarray(at, at + (1 << 20)) } };
            await sleep(20);
          }
        }
        const uploading = client.put(slow()).catch((e: unknown) => e);
        await sleep(150); // a few MiB in
        assert.equal(await proc.stop('SIGKILL'), 'SIGKILL');
        await uploading;
        transport.close();
        await start();
        if (key === fresh) assert.equal(await reasonOf(client.head({ key })), 'NOT_FOUND', 'nothing torn');
        else assert.deepEqual((await get(client, key)).data, old, 'the whole old object');
        const retry = await put(client, key, big, 1 << 20);
        assert.equal(retry.created, true);
        assert.equal(hex((await get(client, key)).info?.blake2b256), hex(blake2b256(big)));
      }
    });
  });
