/**
 * The Put handler against a small bucket limit (filesystem backend): a declared put that does not fit
 * is BUCKET_FULL unless the same object is there already (a restart re-publishing a checkpoint answers
 * `created: false` without room for it), and an undeclared upload holds capacity only for the bytes it
 * has received, so it does not refuse other puts while it is in flight.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { CohortError, blake2b256 } from '@cohort/core';
import type { CallContext, Logger } from '@cohort/kit';
import { PutRequestSchema } from '@cohort/proto/cohort/store/v1/checkpoint_store';
import type { PutRequest } from '@cohort/proto/cohort/store/v1/checkpoint_store';

import { createFsBackend } from '../backends/fs-backend.js';
import { BucketUsage } from '../bucket-usage.js';
import { createPut } from './put.js';
import type { StoreDeps } from './store-deps.js';

const KB = 1024;
const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined } as unknown as Logger;
const ctx = { signal: new AbortController().signal } as unknown as CallContext;

/** A Put handler on a fresh filesystem bucket limited to `limitBytes`, for `fn`. */
async function withStore(
  limitBytes: number,
  fn: (put: ReturnType<typeof createPut>, usage: BucketUsage) => Promise<void>,
): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'cohort-put-'));
  const own = await createFsBackend({ root });
  try {
    const usage = await BucketUsage.measure(own, limitBytes);
    // Only what Put uses: its own bucket, the usage, the object cap, logs and metrics.
    const deps = {
      own,
      usage,
      maxObjectBytes: 1024 * KB,
      log: quiet,
      metrics: { request: () => undefined, bytes: () => undefined, time: () => () => undefined },
    } as unknown as StoreDeps;
    await fn(createPut(deps), usage);
  } finally {
    await own.close();
    rmSync(root, { recursive: true, force: true });
  }
}

interface PutShape {
  /** Declare the size in the header (default true). */
  readonly declare?: boolean;
  readonly declaredSize?: number;
  readonly hash?: Uint8Array;
  /** Awaited after the first chunk went on, before the rest. */
  readonly pause?: () => Promise<void>;
}

/** The request stream of a Put of `bytes` under `key`, in 10 KB chunks. */
async function* requests(key: string, bytes: Uint8Array, shape: PutShape = {}): AsyncGenerator<PutRequest> {
  const size = shape.declare === false ? 0n : BigInt(shape.declaredSize ?? bytes.length);
  const header = { key, sizeBytes: size, expectedBlake2b256: shape.hash ?? new Uint8Array(0) };
  yield create(PutRequestSchema, { part: { case: 'header', value: header } });
  for (let at = 0; at < bytes.length; at += 10 * KB) {
    if (at > 0 && shape.pause !== undefined) await shape.pause();
    yield create(PutRequestSchema, { part: { case: 'chunk', value: bytes.subarray(at, at + 10 * KB) } });
  }
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

test('re-putting an object that is there answers created:false even without room for it', () =>
  withStore(100 * KB, async (put, usage) => {
    const key = 'cohort/v1/r/checkpoints/10/model.safetensors';
    const bytes = randomBytes(60 * KB);
    assert.equal((await put(requests(key, bytes), ctx)).created, true);
    assert.equal(usage.available, 40 * KB);
    // 60 KB do not fit in the 40 KB left, but the same object is there already: nothing to store.
    assert.equal((await put(requests(key, bytes), ctx)).created, false);
    assert.equal((await put(requests(key, bytes, { hash: blake2b256(bytes) }), ctx)).created, false);
    assert.equal((await put(requests(key, bytes, { declare: false }), ctx)).created, false, 'undeclared too');
    // Another object under the key is refused at once for what it is, not for the room it lacks.
    const other = randomBytes(60 * KB);
    assert.equal(
      await reasonOf(put(requests(key, other, { hash: blake2b256(other) }), ctx)),
      'OBJECT_EXISTS',
    );
    assert.equal(await reasonOf(put(requests(key, bytes, { declaredSize: 59 * KB }), ctx)), 'OBJECT_EXISTS');
    assert.equal(await reasonOf(put(requests(key, other), ctx)), 'OBJECT_EXISTS');
    // A new key of that size still does not fit.
    const fresh = 'cohort/v1/r/checkpoints/20/model.safetensors';
    assert.equal(await reasonOf(put(requests(fresh, bytes), ctx)), 'BUCKET_FULL');
    assert.equal(await reasonOf(put(requests(fresh, bytes, { declare: false }), ctx)), 'BUCKET_FULL');
    assert.deepEqual([usage.used, usage.available], [60 * KB, 40 * KB], 'nothing stored, nothing held');
  }));

test('an undeclared upload holds only what it received while it is in flight', () =>
  withStore(100 * KB, async (put, usage) => {
    let reached!: () => void;
    const paused = new Promise<void>((resolve) => (reached = resolve));
    let go!: () => void;
    const resume = new Promise<void>((resolve) => (go = resolve));
    const slow = put(
      requests('cohort/v1/r/updates/1/a', randomBytes(30 * KB), {
        declare: false,
        pause: () => {
          reached();
          return resume;
        },
      }),
      ctx,
    );
    await paused;
    assert.equal(usage.available, 90 * KB, 'the first 10 KB are held, not the whole bucket');
    assert.equal((await put(requests('cohort/v1/r/updates/1/b', randomBytes(80 * KB)), ctx)).created, true);
    go();
    // 30 KB no longer fit beside the 80 KB: refused when its bytes pass what is free, and nothing stays.
    assert.equal(await reasonOf(slow), 'BUCKET_FULL');
    assert.deepEqual([usage.used, usage.available], [80 * KB, 20 * KB]);
    assert.equal(
      (await put(requests('cohort/v1/r/updates/1/a', randomBytes(20 * KB), { declare: false }), ctx)).created,
      true,
    );
    assert.equal(usage.available, 0);
  }));
