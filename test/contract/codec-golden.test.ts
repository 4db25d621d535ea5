/**
 * Golden fixtures of the wire format (docs/wire-format.md): small update objects (version 1) in both index
 * codings and an aggregate of two updates (version 2, palette-coded values), with their inputs and
 * decoded contents in fixtures.json, so any implementation can check itself byte for byte. The same
 * aggregate as written before version 2 (`aggregate-v1.bin`, raw fp32 values) must still decode to the
 * same contents. This test re-encodes the inputs and requires the same
 * bytes (signatures aside: sr25519 signing is randomised, so the stored signature is verified instead),
 * and decodes the stored objects to the recorded contents. `COHORT_WRITE_FIXTURES=1` rewrites them.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { hotkeyFromSeed, verifyDigest } from '@cohort/core';
import { aggregateUpdates, decodeAggregate, decodeUpdate, encodeUpdate, signObject } from '@cohort/native';
import type { DenseTensor } from '@cohort/native';

const dir = resolve(dirname(fileURLToPath(import.meta.url)), '../../contract/codec');
const write = process.env['COHORT_WRITE_FIXTURES'] === '1';

/** xorshift32 → uniform floats in [-scale, scale): portable, so the inputs are reproducible anywhere. */
function values(count: number, seed: number, scale: number): Float32Array {
  let x = seed >>> 0 || 1;
  return Float32Array.from({ length: count }, () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return Math.fround(((x >>> 8) / 2 ** 24 - 0.5) * 2 * scale);
  });
}

/** Shapes covering every tiling rule: ragged (67 prime, 130), small, 1-D dense. */
const SHAPES: readonly (readonly number[])[] = [[67, 5], [130], [8, 64], [3]];
const NAMES = ['layers.0.w', 'layers.0.b', 'layers.1.w', 'norm'];

function tensors(seed: number): DenseTensor[] {
  return SHAPES.map((shape, i) => ({
    name: NAMES[i] ?? `t${i}`,
    shape,
    data: values(
      shape.reduce((a, b) => a * b, 1),
      seed * 100 + i + 1,
      0.01 * (i + 1),
    ),
  }));
}

const codec = { tileSide: 64, topk: 16 } as const;
const miners = [hotkeyFromSeed(new Uint8Array(32).fill(1)), hotkeyFromSeed(new Uint8Array(32).fill(2))];
const aggregator = hotkeyFromSeed(new Uint8Array(32).fill(9));
const header = (m: number) => ({
  runId: 'golden-run',
  window: 42,
  hotkey: miners[m]!.publicKey,
  stateFingerprint: new Uint8Array(32).fill(0x5a),
  dataReceipt: new Uint8Array(32).fill(0xa5 - m),
});

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
/** A decoded object's tensors as plain JSON. */
const contents = (ts: readonly { name: string; indices: ArrayLike<number>; values: ArrayLike<number> }[]) =>
  ts.map((t) => ({ name: t.name, indices: Array.from(t.indices), values: Array.from(t.values) }));
const unsigned = (b: Uint8Array) => hex(b.subarray(0, b.length - 64));

interface Fixture {
  readonly file: string;
  readonly inputs: { name: string; shape: number[]; data: number[] }[];
  readonly decoded: { name: string; indices: number[]; values: number[] }[];
}

test('golden wire-format fixtures re-encode and decode exactly', async () => {
  const built: Record<string, Uint8Array> = {};
  const inputs = [tensors(1), tensors(2)];
  for (const [file, coding, m] of [
    ['update-rice.bin', 'rice', 0],
    ['update-packed12.bin', 'packed12', 0],
    ['update-rice-2.bin', 'rice', 1],
  ] as const) {
    const { bytes } = await encodeUpdate(inputs[m]!, header(m), { ...codec, indexCoding: coding });
    built[file] = bytes;
  }
  if (write) {
    mkdirSync(dir, { recursive: true });
    const fixtures: Fixture[] = [];
    for (const [file, bytes] of Object.entries(built)) {
      signObject(bytes, file.endsWith('-2.bin') ? miners[1]! : miners[0]!);
      writeFileSync(resolve(dir, file), bytes);
      const decoded = await decodeUpdate(bytes, { tensors: true });
      assert.ok(decoded.ok);
      fixtures.push({
        file,
        inputs: inputs[file.endsWith('-2.bin') ? 1 : 0]!.map((t) => ({
          name: t.name,
          shape: [...t.shape],
          data: [...t.data],
        })),
        decoded: (decoded.tensors ?? []).map((t) => ({
          name: t.name,
          indices: [...t.indices],
          values: [...t.values],
        })),
      });
    }
    const agg = await aggregateUpdates([built['update-rice.bin']!, built['update-rice-2.bin']!], {
      runId: 'golden-run',
      window: 42,
      hotkey: aggregator.publicKey,
      stateFingerprint: null,
    });
    signObject(agg.bytes, aggregator);
    writeFileSync(resolve(dir, 'aggregate.bin'), agg.bytes);
    const decodedAgg = await decodeAggregate(agg.bytes);
    assert.ok(decodedAgg.ok);
    const aggregate = { file: 'aggregate.bin', formatVersion: 2, decoded: contents(decodedAgg.tensors) };
    writeFileSync(
      resolve(dir, 'fixtures.json'),
      `${JSON.stringify({ codec, updates: fixtures, aggregate }, null, 1)}\n`,
    );
  }
  assert.ok(existsSync(resolve(dir, 'fixtures.json')), 'fixtures missing: run with COHORT_WRITE_FIXTURES=1');
  const recorded = JSON.parse(readFileSync(resolve(dir, 'fixtures.json'), 'utf8')) as {
    updates: Fixture[];
    aggregate: { file: string; formatVersion: number; decoded: Fixture['decoded'] };
  };
  for (const fixture of recorded.updates) {
    const stored = new Uint8Array(readFileSync(resolve(dir, fixture.file)));
    // Same inputs, same bytes.
    assert.equal(unsigned(built[fixture.file]!), unsigned(stored), `${fixture.file} re-encodes differently`);
    const signer = fixture.file.endsWith('-2.bin') ? miners[1]! : miners[0]!;
    const digest = stored.subarray(stored.length - 96, stored.length - 64);
    assert.ok(verifyDigest(digest, stored.subarray(stored.length - 64), signer.publicKey));
    const decoded = await decodeUpdate(stored, { tensors: true });
    assert.ok(decoded.ok, `${fixture.file}: ${decoded.ok ? '' : decoded.reason}`);
    assert.deepEqual(
      (decoded.tensors ?? []).map((t) => ({ name: t.name, indices: [...t.indices], values: [...t.values] })),
      fixture.decoded,
    );
  }
  const storedAgg = new Uint8Array(readFileSync(resolve(dir, 'aggregate.bin')));
  const again = await aggregateUpdates(
    ['update-rice.bin', 'update-rice-2.bin'].map((f) => new Uint8Array(readFileSync(resolve(dir, f)))),
    { runId: 'golden-run', window: 42, hotkey: aggregator.publicKey, stateFingerprint: null },
  );
  assert.equal(unsigned(again.bytes), unsigned(storedAgg), 'the aggregate of the stored updates differs');
  const agg = await decodeAggregate(storedAgg);
  assert.ok(agg.ok, agg.ok ? '' : `${agg.reason}: ${agg.detail}`);
  assert.equal(agg.summary.formatVersion, recorded.aggregate.formatVersion);
  assert.deepEqual(contents(agg.tensors), recorded.aggregate.decoded);
  // The version 1 aggregate of the same updates: raw values, the same contents, the aggregator's signature.
  const v1 = await decodeAggregate(new Uint8Array(readFileSync(resolve(dir, 'aggregate-v1.bin'))), {
    expect: { hotkey: aggregator.publicKey },
  });
  assert.ok(v1.ok, v1.ok ? '' : `${v1.reason}: ${v1.detail}`);
  assert.equal(v1.summary.formatVersion, 1);
  assert.deepEqual(contents(v1.tensors), recorded.aggregate.decoded);
  assert.ok(storedAgg.length < v1.summary.sizeBytes, 'the palette-coded aggregate is the smaller');
});
