import { test } from 'node:test';
import assert from 'node:assert/strict';

import { InvalidArgumentError, hotkeyFromSeed } from '@cohort/core';
import type { HotkeyPair } from '@cohort/core';

import { nativeAddon } from './addon.js';
import {
  NoValidUpdatesError,
  aggregateUpdates,
  decodeAggregate,
  decodeUpdate,
  encodeUpdate,
  objectDigest,
  signObject,
} from './codec.js';
import type { CodecParams, DenseTensor, SparseTensor, UpdateHeader } from './codec.js';
import { mapNativeError } from './errors.js';

/** mulberry32 → Box-Muller: fixed-seed normal samples. */
function gaussian(n: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 1) / 4294967297;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next());
  return out;
}

const CODEC: CodecParams = { tileSide: 64, topk: 16, indexCoding: 'rice' };
const SHAPES: Readonly<Record<string, readonly number[]>> = { 'w.weight': [128, 192], 'n.weight': [64] };
const key = (byte: number): HotkeyPair => hotkeyFromSeed(new Uint8Array(32).fill(byte));
const filled = (byte: number): Uint8Array => new Uint8Array(32).fill(byte);

function tensorsFor(seed: number): DenseTensor[] {
  return Object.entries(SHAPES).map(([name, shape], i) => ({
    name,
    shape,
    data: gaussian(
      shape.reduce((a, b) => a * b, 1),
      seed * 10 + i,
    ),
  }));
}

/** The header of an aggregate of window 7 of θ 0x5a…, by key(50). */
const aggregateHeader = () => ({
  runId: 'devnet-test',
  window: 7,
  hotkey: key(50).publicKey,
  stateFingerprint: filled(0x5a),
});

function headerFor(pair: HotkeyPair, window = 7): UpdateHeader {
  return {
    runId: 'devnet-test',
    window,
    hotkey: pair.publicKey,
    stateFingerprint: filled(0x5a),
    dataReceipt: filled(0xa5),
  };
}

async function signedUpdate(pair: HotkeyPair, seed: number, signer = pair): Promise<Uint8Array> {
  const { bytes } = await encodeUpdate(tensorsFor(seed), headerFor(pair), CODEC);
  signObject(bytes, signer);
  return bytes;
}

/** Chunk geometry for shapes whose dimensions are <= the tile side or multiples of it. */
function chunkOf(shape: readonly number[], flat: number): { chunk: number; inChunk: number } {
  const [rows, cols] = shape.length === 1 ? [1, shape[0] ?? 0] : [shape[0] ?? 0, shape[1] ?? 0];
  const bh = Math.min(rows, CODEC.tileSide);
  const bw = Math.min(cols, CODEC.tileSide);
  const r = Math.floor(flat / cols);
  const c = flat % cols;
  return { chunk: Math.floor(r / bh) * (cols / bw) + Math.floor(c / bw), inChunk: (r % bh) * bw + (c % bw) };
}

function roundHalfEven(t: number): number {
  const f = Math.floor(t);
  const d = t - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
}

/** The codec's top-k + 2-bit quantization (docs/wire-format.md §2–§3) in plain JS, one tensor. */
function referenceSparse(t: DenseTensor): { indices: number[]; values: number[] } {
  const chunks = new Map<number, { inChunk: number; flat: number; v: number }[]>();
  t.data.forEach((v, flat) => {
    const { chunk, inChunk } = chunkOf(t.shape, flat);
    chunks.set(chunk, [...(chunks.get(chunk) ?? []), { inChunk, flat, v }]);
  });
  const kept = [...chunks.keys()]
    .sort((a, b) => a - b)
    .map((ch) =>
      (chunks.get(ch) ?? [])
        .sort((a, b) => Math.abs(b.v) - Math.abs(a.v) || a.inChunk - b.inChunk)
        .slice(0, CODEC.topk)
        .sort((a, b) => a.inChunk - b.inChunk),
    );
  const chunkedSum = (f: (v: number) => number): number =>
    kept.reduce((total, chunk) => total + chunk.reduce((partial, e) => partial + f(e.v), 0), 0);
  const n = kept.reduce((a, c) => a + c.length, 0);
  const shift = Math.fround(chunkedSum((v) => v) / n);
  const sigma = n > 1 ? Math.sqrt(chunkedSum((v) => (v - shift) ** 2) / (n - 1)) : 0;
  const scale = 1.5 * sigma > 0 && Number.isFinite(1.5 * sigma) ? 1.5 * sigma : 1;
  const code = (v: number): number => Math.min(3, Math.max(0, roundHalfEven((v - shift) / scale + 2)));
  const totals = [0, 0, 0, 0];
  const counts = [0, 0, 0, 0];
  for (const chunk of kept) {
    const partial = [0, 0, 0, 0];
    for (const e of chunk) {
      const b = code(e.v);
      partial[b] = (partial[b] ?? 0) + (e.v - shift);
      counts[b] = (counts[b] ?? 0) + 1;
    }
    partial.forEach((p, b) => (totals[b] = (totals[b] ?? 0) + p));
  }
  const lookup = totals.map((total, b) => ((counts[b] ?? 0) > 0 ? Math.fround(total / (counts[b] ?? 1)) : 0));
  const entries = kept.flat().sort((a, b) => a.flat - b.flat);
  return {
    indices: entries.map((e) => e.flat),
    values: entries.map((e) => Math.fround((lookup[code(e.v)] ?? 0) + shift)),
  };
}

test('an encoded, signed update decodes to the dequantized top-k entries, bit for bit', async () => {
  const miner = key(1);
  const dense = tensorsFor(1);
  const encoded = await encodeUpdate(dense, headerFor(miner), CODEC);
  assert.deepEqual(objectDigest(encoded.bytes), encoded.digest);
  const signature = signObject(encoded.bytes, miner);
  const out = await decodeUpdate(encoded.bytes, {
    expect: { runId: 'devnet-test', window: 7n, hotkey: miner.publicKey },
    tensors: true,
  });
  assert.ok(out.ok, out.ok ? '' : `${out.reason}: ${out.detail}`);
  const { summary, tensors } = out;
  assert.equal(summary.formatVersion, 1);
  assert.equal(summary.sizeBytes, encoded.bytes.length);
  assert.deepEqual(summary.digest, encoded.digest);
  assert.deepEqual(summary.signature, signature);
  assert.deepEqual(summary.hotkey, miner.publicKey);
  assert.deepEqual(summary.stateFingerprint, filled(0x5a));
  assert.deepEqual(summary.dataReceipt, filled(0xa5));
  assert.equal(summary.runId, 'devnet-test');
  assert.equal(summary.window, 7n);
  assert.equal(summary.tensorCount, 2);
  assert.equal(summary.keptValues, 6 * 16 + 16);
  assert.deepEqual(summary.codec, CODEC);
  assert.ok(tensors);
  dense.forEach((t, i) => {
    const got = tensors[i] as SparseTensor;
    const want = referenceSparse(t);
    assert.equal(got.name, t.name);
    assert.deepEqual(got.shape, t.shape);
    assert.equal(got.dtype, 'f32');
    assert.deepEqual([...got.indices], want.indices, t.name);
    assert.deepEqual([...got.values], want.values, t.name);
  });
  const bare = await decodeUpdate(encoded.bytes);
  assert.ok(bare.ok && bare.tensors === null);
});

test('rejections are results with stable reasons, never exceptions', async () => {
  const miner = key(2);
  const good = await signedUpdate(miner, 2);
  const tampered = good.slice();
  const at = tampered.length - 200;
  tampered[at] = (tampered[at] ?? 0) ^ 0x01;
  const cases: readonly [string, Promise<{ ok: boolean; reason?: string }>][] = [
    ['BAD_HASH', decodeUpdate(tampered)],
    ['BAD_SIGNATURE', signedUpdate(miner, 2, key(3)).then((b) => decodeUpdate(b))],
    [
      'BAD_SIGNATURE',
      encodeUpdate(tensorsFor(2), headerFor(miner), CODEC).then((e) => decodeUpdate(e.bytes)),
    ],
    ['WRONG_HOTKEY', decodeUpdate(good, { expect: { hotkey: key(3).publicKey } })],
    ['WRONG_WINDOW', decodeUpdate(good, { expect: { window: 8 } })],
    ['WRONG_RUN', decodeUpdate(good, { expect: { runId: 'other' } })],
    ['WRONG_MODEL', decodeUpdate(good, { expect: { modelFingerprint: filled(1) } })],
    ['TOO_LARGE', decodeUpdate(good, { limits: { maxBytes: good.length - 1 } })],
    ['TRUNCATED', decodeUpdate(good.subarray(0, good.length - 1))],
    ['BAD_MAGIC', decodeUpdate(new Uint8Array(500).fill(7))],
  ];
  for (const [reason, result] of cases) {
    const out = await result;
    assert.equal(out.ok, false, reason);
    assert.equal(out.reason, reason);
  }
  const unsigned = await encodeUpdate(tensorsFor(2), headerFor(miner), CODEC);
  assert.equal((await decodeUpdate(unsigned.bytes, { verifySignature: false })).ok, true);
});

/** Protocol §6 in plain JS from the decoded updates: median-norm clipping, per-coordinate mean. */
function referenceAggregate(updates: readonly (readonly SparseTensor[])[], ti: number): Map<number, number> {
  const norms = updates.map((tensors) => {
    const t = tensors[ti] as SparseTensor;
    const order = [...t.indices.keys()].sort((a, b) => {
      const x = chunkOf(t.shape, t.indices[a] ?? 0);
      const y = chunkOf(t.shape, t.indices[b] ?? 0);
      return x.chunk - y.chunk || x.inChunk - y.inChunk;
    });
    return Math.sqrt(order.reduce((s, j) => s + (t.values[j] ?? 0) ** 2, 0));
  });
  const median = [...norms].sort((a, b) => a - b)[(norms.length - 1) >> 1] ?? 0;
  const acc = new Map<number, { sum: number; count: number }>();
  updates.forEach((tensors, p) => {
    const t = tensors[ti] as SparseTensor;
    const factor = Math.min(1, median / ((norms[p] ?? 0) + 1e-8));
    t.indices.forEach((flat, j) => {
      const slot = acc.get(flat) ?? { sum: 0, count: 0 };
      acc.set(flat, { sum: slot.sum + (t.values[j] ?? 0) * factor, count: slot.count + 1 });
    });
  });
  return new Map([...acc].map(([flat, { sum, count }]) => [flat, Math.fround(sum / count)]));
}

test('aggregateUpdates excludes an invalid update with its reason; the aggregate decodes to the clipped mean', async () => {
  const miners = [key(11), key(12), key(13)];
  const objects = [
    await signedUpdate(miners[0] as HotkeyPair, 11),
    await signedUpdate(miners[1] as HotkeyPair, 12, key(99)), // signed by someone else
    await signedUpdate(miners[2] as HotkeyPair, 13),
  ];
  const aggregator = key(50);
  const result = await aggregateUpdates(
    objects,
    { runId: 'devnet-test', window: 7, hotkey: aggregator.publicKey, stateFingerprint: null },
    { expect: { runId: 'devnet-test', window: 7, hotkeys: miners.map((m) => m.publicKey) } },
  );
  assert.deepEqual(
    result.contributors.map((c) => [c.index, c.included, c.reason]),
    [
      [0, true, null],
      [1, false, 'BAD_SIGNATURE'],
      [2, true, null],
    ],
  );
  signObject(result.bytes, aggregator);
  const decoded = await decodeAggregate(result.bytes, { expect: { hotkey: aggregator.publicKey } });
  assert.ok(decoded.ok, decoded.ok ? '' : `${decoded.reason}: ${decoded.detail}`);
  assert.equal(decoded.summary.formatVersion, 2);
  // Version 1 on request (raw fp32 values): the same contents; any other version is the caller's error.
  const header = { runId: 'devnet-test', window: 7, hotkey: aggregator.publicKey, stateFingerprint: null };
  const v1 = await aggregateUpdates(objects, header, { formatVersion: 1 });
  signObject(v1.bytes, aggregator);
  const decodedV1 = await decodeAggregate(v1.bytes);
  assert.ok(decodedV1.ok && decoded.ok);
  assert.equal(decodedV1.summary.formatVersion, 1);
  assert.deepEqual(
    decodedV1.tensors.map((t) => [[...t.indices], [...t.values]]),
    decoded.tensors.map((t) => [[...t.indices], [...t.values]]),
  );
  await assert.rejects(
    aggregateUpdates(objects, header, { formatVersion: 3 as 2 }),
    (e: unknown) => e instanceof InvalidArgumentError && /formatVersion/.test(e.message),
  );
  assert.deepEqual(decoded.summary.digest, result.digest);
  assert.deepEqual(decoded.summary.stateFingerprint, filled(0x5a));
  assert.deepEqual(
    decoded.contributors.map((c) => [c.hotkey, c.payloadHash]),
    [0, 2].map((i) => [miners[i]?.publicKey, result.contributors[i]?.digest]),
  );
  const updates: SparseTensor[][] = [];
  for (const i of [0, 2]) {
    const out = await decodeUpdate(objects[i] as Uint8Array, { tensors: true });
    assert.ok(out.ok && out.tensors);
    updates.push([...out.tensors]);
  }
  decoded.tensors.forEach((t, ti) => {
    const want = referenceAggregate(updates, ti);
    assert.deepEqual(
      [...t.indices],
      [...want.keys()].sort((a, b) => a - b),
    );
    assert.deepEqual(
      [...t.values],
      [...t.indices].map((flat) => want.get(flat)),
    );
  });
  const wrongAggregator = await decodeAggregate(result.bytes, { expect: { hotkey: key(51).publicKey } });
  assert.equal(wrongAggregator.ok ? 'ok' : wrongAggregator.reason, 'WRONG_HOTKEY');
});

test('aggregateUpdates excludes a repeated hotkey and throws when nothing is valid', async () => {
  const miner = key(21);
  const first = await signedUpdate(miner, 21);
  const again = await signedUpdate(miner, 22);
  const header = aggregateHeader();
  const result = await aggregateUpdates([first, again], header);
  assert.deepEqual(
    result.contributors.map((c) => c.reason),
    [null, 'BAD_CONTRIBUTORS'],
  );
  await assert.rejects(
    aggregateUpdates([new Uint8Array(10), first], header, { expect: { window: 9 } }),
    (error) =>
      error instanceof NoValidUpdatesError &&
      error.reason === 'NO_VALID_UPDATES' &&
      error.contributors.map((c) => c.reason).join() === 'BAD_MAGIC,WRONG_WINDOW',
  );
});

test('aggregateUpdates excludes an update of another θ_w than the header names (WRONG_STATE)', async () => {
  const [current, stale] = [key(31), key(32)];
  const { bytes: staleBytes } = await encodeUpdate(
    tensorsFor(32),
    { ...headerFor(stale), stateFingerprint: filled(0x77) },
    CODEC,
  );
  signObject(staleBytes, stale);
  const objects = [await signedUpdate(current, 31), staleBytes];
  const header = { runId: 'devnet-test', window: 7, hotkey: key(50).publicKey };
  const named = await aggregateUpdates(objects, { ...header, stateFingerprint: filled(0x5a) });
  assert.deepEqual(
    named.contributors.map((c) => [c.included, c.reason]),
    [
      [true, null],
      [false, 'WRONG_STATE'],
    ],
  );
  assert.match(named.contributors[1]?.detail ?? '', /computed from state 7777.*θ_w is 5a5a/);
  // Named as the stale one's θ: the other way round.
  const other = await aggregateUpdates(objects, { ...header, stateFingerprint: filled(0x77) });
  assert.deepEqual(
    other.contributors.map((c) => c.reason),
    ['WRONG_STATE', null],
  );
  // Without a named θ_w nothing is excluded for its state: the header takes the most common one.
  const picked = await aggregateUpdates(objects, { ...header, stateFingerprint: null });
  assert.deepEqual(
    picked.contributors.map((c) => c.included),
    [true, true],
  );
});

test('aggregateUpdates clipTo: each tensor scaled to its reference; a wrong reference is refused', async () => {
  const miner = key(41);
  const object = await signedUpdate(miner, 41);
  const header = aggregateHeader();
  const decoded = await decodeUpdate(object, { tensors: true });
  assert.ok(decoded.ok && decoded.tensors);
  const norms = decoded.tensors.map((t) => Math.sqrt(t.values.reduce((a, v) => a + v * v, 0)));
  const tensors = Object.keys(SHAPES).length;
  // The first tensor to a quarter of its norm, every other one to twice its own: only the first moves.
  const refs = norms.map((n, t) => (t === 0 ? n / 4 : n * 2));
  const clipped = await aggregateUpdates([object], header, { clipTo: refs });
  signObject(clipped.bytes, key(50));
  const out = await decodeAggregate(clipped.bytes);
  assert.ok(out.ok, out.ok ? '' : `${out.reason}: ${out.detail}`);
  out.tensors.forEach((t, i) => {
    const own = decoded.tensors?.[i];
    assert.ok(own);
    assert.deepEqual([...t.indices], [...own.indices]);
    const factor = i === 0 ? Math.min(1, refs[0]! / (norms[0]! + 1e-8)) : 1;
    assert.deepEqual(
      [...t.values],
      [...own.values].map((v) => Math.fround(v * factor)),
    );
  });
  const refused = (clipTo: readonly number[], what: RegExp) =>
    assert.rejects(
      aggregateUpdates([object], header, { clipTo }),
      (e: unknown) => e instanceof InvalidArgumentError && what.test(e.message),
    );
  await refused([-1, ...refs.slice(1)], /clipTo\[0\]/);
  await refused([...refs.slice(1), Number.NaN], new RegExp(`clipTo\\[${tensors - 1}\\]`));
  await refused(refs.slice(1), /one clip reference per tensor/);
});

test('arguments are checked before crossing, and the raw binding maps its errors', async () => {
  await assert.rejects(decodeUpdate('x' as unknown as Uint8Array), InvalidArgumentError);
  await assert.rejects(
    decodeUpdate(new Uint8Array(1), { expect: { hotkey: new Uint8Array(31) } }),
    /32-byte/,
  );
  await assert.rejects(decodeUpdate(new Uint8Array(1), { limits: { maxBytes: -1 } }), InvalidArgumentError);
  await assert.rejects(
    encodeUpdate([{ name: 'w', shape: [4], data: new Float32Array(3) }], headerFor(key(1)), CODEC),
    {
      name: 'InvalidArgumentError',
      message: /Expected 4 values for tensor w/,
    },
  );
  const raw = await nativeAddon()
    .binding.decodeUpdate(new Uint8Array(1), {} as never, {} as never, false)
    .then(
      () => assert.fail('resolved'),
      (error: unknown) => error,
    );
  assert.ok(mapNativeError(raw) instanceof InvalidArgumentError);
});

test('decoding a large update keeps the event loop turning', async () => {
  const miner = key(31);
  const big = { name: 'big', shape: [2048, 2048], data: gaussian(2048 * 2048, 31) };
  const { bytes } = await encodeUpdate([big], headerFor(miner), { ...CODEC, topk: 256 });
  signObject(bytes, miner);
  let ticks = 0;
  let done = false;
  const spin = (): void => {
    if (done) return;
    ticks++;
    setImmediate(spin);
  };
  setImmediate(spin);
  const out = await decodeUpdate(bytes, { tensors: true });
  done = true;
  assert.ok(out.ok && out.tensors?.[0]?.indices.length === (2048 * 2048) / 16);
  assert.ok(ticks > 0);
});
