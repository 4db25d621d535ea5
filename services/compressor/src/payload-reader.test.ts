import assert from 'node:assert/strict';
import { test } from 'node:test';

import { InvalidArgumentError } from '@cohort/core';
import type { PayloadContext } from '@cohort/proto/cohort/codec/v1/compressor';

import { readPayload } from './payload-reader.js';
import type { PayloadRequest } from './payload-reader.js';

const context = { runId: 'r', window: 1n, hotkey: 'h' } as PayloadContext;
const ctx: PayloadRequest = { part: { case: 'context', value: context } };
const chunk = (n: number): PayloadRequest => ({ part: { case: 'chunk', value: new Uint8Array(n).fill(n) } });

async function* from(items: readonly PayloadRequest[], consumed: { count: number } = { count: 0 }) {
  for (const item of items) {
    consumed.count++;
    yield await Promise.resolve(item);
  }
}

test('a context then chunks: the payload is their concatenation', async () => {
  const out = await readPayload(from([ctx, chunk(2), chunk(3)]), 100);
  assert.equal(out.tooLarge, false);
  assert.equal(out.context, context);
  assert.deepEqual(out.tooLarge ? [] : [...out.bytes], [2, 2, 3, 3, 3]);
});

test('reading stops at the first chunk past the cap', async () => {
  const consumed = { count: 0 };
  const out = await readPayload(from([ctx, chunk(4), chunk(4), chunk(4), chunk(4)], consumed), 6);
  assert.equal(out.tooLarge, true);
  assert.equal(out.received, 8);
  assert.equal(consumed.count, 3);
});

test('a stream of the wrong shape is the caller’s error, with a reason', async () => {
  const cases: readonly [readonly PayloadRequest[], string][] = [
    [[chunk(1)], 'CONTEXT_REQUIRED'],
    [[], 'CONTEXT_REQUIRED'],
    [[ctx, ctx], 'CONTEXT_REPEATED'],
    [[ctx, { part: { case: undefined } }], 'EMPTY_PART'],
  ];
  for (const [items, reason] of cases) {
    await assert.rejects(
      readPayload(from(items), 10),
      (e) => e instanceof InvalidArgumentError && e.reason === reason,
    );
  }
});
