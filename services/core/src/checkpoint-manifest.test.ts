import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CheckpointManifestError,
  MAX_MANIFEST_BYTES,
  encodeCheckpointManifest,
  encodeLatest,
  parseCheckpointManifest,
  parseLatest,
} from './checkpoint-manifest.js';
import { encodeSs58, hotkeyFromSeed } from './hotkey-signature.js';

const reason = (expected: string) => (error: unknown) =>
  error instanceof CheckpointManifestError && error.reason === expected;

const MANIFEST = {
  runId: 'devnet',
  window: 12,
  preset: 'devnet',
  stateFingerprint: 'ab'.repeat(32),
  model: { sizeBytes: 28_905_984, blake2b256: '01'.repeat(32) },
  config: { sizeBytes: 612, blake2b256: '02'.repeat(32) },
  createdUnixMs: 1_795_000_000_000,
};
const AGGREGATOR = hotkeyFromSeed(new Uint8Array(32).fill(7));
const OTHER = hotkeyFromSeed(new Uint8Array(32).fill(8));
const AGGREGATOR_SS58 = encodeSs58(AGGREGATOR.publicKey);
const AGG = (window: number) => ({ window, sizeBytes: 1000 + window, blake2b256: '0c'.repeat(32) });
const text = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

test('a manifest round-trips and is checked against the key it came from', () => {
  const bytes = encodeCheckpointManifest(MANIFEST, AGGREGATOR);
  assert.deepEqual(parseCheckpointManifest(bytes, { runId: 'devnet', window: 12 }), {
    format: 'cohort-checkpoint/2',
    ...MANIFEST,
    signer: AGGREGATOR_SS58,
    signature: (JSON.parse(new TextDecoder().decode(bytes)) as { signature: string }).signature,
  });
  assert.throws(() => parseCheckpointManifest(bytes, { window: 13 }), reason('MANIFEST_MISMATCH'));
  assert.throws(() => parseCheckpointManifest(bytes, { runId: 'other' }), reason('MANIFEST_MISMATCH'));
});

test('the lineage names the previous checkpoint and the aggregates applied since, in order', () => {
  const lineage = { previous: 5, outerSteps: 7, aggregates: [AGG(5), AGG(6), AGG(9)] };
  const parsed = parseCheckpointManifest(encodeCheckpointManifest({ ...MANIFEST, lineage }, AGGREGATOR));
  assert.deepEqual(parsed.lineage, lineage);
  const first = parseCheckpointManifest(
    encodeCheckpointManifest(
      { ...MANIFEST, lineage: { previous: null, outerSteps: 0, aggregates: [] } },
      AGGREGATOR,
    ),
  );
  assert.deepEqual(first.lineage, { previous: null, outerSteps: 0, aggregates: [] });
  assert.equal(parseCheckpointManifest(encodeCheckpointManifest(MANIFEST, AGGREGATOR)).lineage, undefined);
});

test('hostile manifests are refused with a reason, never a TypeError', () => {
  const good = JSON.parse(new TextDecoder().decode(encodeCheckpointManifest(MANIFEST, AGGREGATOR))) as Record<
    string,
    unknown
  >;
  const cases: unknown[] = [
    null,
    [],
    'x',
    { ...good, format: 'cohort-checkpoint/3' },
    { ...good, signer: 'not-an-address' },
    { ...good, signer: 5 },
    { ...good, signature: 'AB'.repeat(64) },
    { ...good, signature: 'ab'.repeat(63) },
    { ...good, window: -1 },
    { ...good, window: 1.5 },
    { ...good, window: '12' },
    { ...good, stateFingerprint: 'AB'.repeat(32) },
    { ...good, stateFingerprint: 'ab' },
    { ...good, model: null },
    { ...good, model: { sizeBytes: 1 } },
    { ...good, config: { sizeBytes: -5, blake2b256: '02'.repeat(32) } },
    { ...good, preset: '../x' },
    { ...good, runId: '' },
    { ...good, createdUnixMs: undefined },
    { ...good, lineage: null },
    { ...good, lineage: { previous: 12, outerSteps: 0, aggregates: [] } },
    { ...good, lineage: { previous: 5, aggregates: [] } },
    { ...good, lineage: { previous: 5, outerSteps: 0, aggregates: [AGG(6)] } },
    { ...good, lineage: { previous: 5, outerSteps: 9, aggregates: 'x' } },
    { ...good, lineage: { previous: 5, outerSteps: 9, aggregates: [AGG(7), AGG(6)] } },
    { ...good, lineage: { previous: 5, outerSteps: 9, aggregates: [AGG(4)] } },
    { ...good, lineage: { previous: 5, outerSteps: 9, aggregates: [AGG(12)] } },
    { ...good, lineage: { previous: null, outerSteps: 9, aggregates: [AGG(3)] } },
    { ...good, lineage: { previous: 5, outerSteps: 9, aggregates: [{ ...AGG(6), blake2b256: 'x' }] } },
  ];
  for (const value of cases) {
    assert.throws(
      () => parseCheckpointManifest(text(value)),
      reason('MANIFEST_INVALID'),
      JSON.stringify(value),
    );
  }
  assert.throws(() => parseCheckpointManifest(Uint8Array.of(0xff, 0xfe)), reason('MANIFEST_INVALID'));
  assert.throws(
    () => parseCheckpointManifest(new Uint8Array(MAX_MANIFEST_BYTES + 1).fill(0x20)),
    reason('MANIFEST_TOO_LARGE'),
  );
  assert.throws(
    () => encodeCheckpointManifest({ ...MANIFEST, window: -3 }, AGGREGATOR),
    reason('MANIFEST_INVALID'),
  );
});

test('the signature binds every field to the aggregator, and only the trusted one is accepted', () => {
  const lineage = { previous: 5, outerSteps: 7, aggregates: [AGG(5), AGG(9)] };
  const bytes = encodeCheckpointManifest({ ...MANIFEST, lineage }, AGGREGATOR);
  const good = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  assert.equal(parseCheckpointManifest(bytes, { aggregator: AGGREGATOR_SS58 }).signer, AGGREGATOR_SS58);
  // The same key under another SS58 prefix is the same aggregator.
  assert.equal(
    parseCheckpointManifest(bytes, { aggregator: encodeSs58(AGGREGATOR.publicKey, 0) }).window,
    12,
  );
  // Field order and whitespace are not signed; the fields are.
  const reordered = Object.fromEntries(Object.entries(good).reverse());
  assert.equal(
    parseCheckpointManifest(new TextEncoder().encode(JSON.stringify(reordered, null, 2))).window,
    12,
  );
  const altered: unknown[] = [
    { ...good, window: 13 },
    { ...good, runId: 'other' },
    { ...good, preset: '150M' },
    { ...good, stateFingerprint: 'cd'.repeat(32) },
    { ...good, model: { sizeBytes: 28_905_984, blake2b256: '03'.repeat(32) } },
    { ...good, config: { sizeBytes: 613, blake2b256: '02'.repeat(32) } },
    { ...good, createdUnixMs: 1 },
    { ...good, lineage: { ...lineage, outerSteps: 8 } },
    { ...good, lineage: { ...lineage, aggregates: [AGG(5)] } },
    { ...good, lineage: undefined },
    { ...good, signer: encodeSs58(OTHER.publicKey) },
    { ...good, signature: `${(good.signature as string).slice(0, 126)}00` },
  ];
  for (const value of altered) {
    assert.throws(
      () => parseCheckpointManifest(text(value)),
      reason('MANIFEST_BAD_SIGNATURE'),
      JSON.stringify(value),
    );
  }
  // Re-signed by another key: a valid manifest, but not the run's aggregator's.
  const forged = encodeCheckpointManifest({ ...MANIFEST, stateFingerprint: 'cd'.repeat(32) }, OTHER);
  assert.equal(parseCheckpointManifest(forged).stateFingerprint, 'cd'.repeat(32));
  assert.throws(
    () => parseCheckpointManifest(forged, { aggregator: AGGREGATOR_SS58 }),
    reason('MANIFEST_UNTRUSTED'),
  );
  // Unsigned manifests: format 1, or format 2 without signature.
  const unsigned = { ...good, signer: undefined, signature: undefined }; // dropped by JSON
  assert.throws(
    () => parseCheckpointManifest(text({ ...unsigned, format: 'cohort-checkpoint/1' })),
    reason('MANIFEST_UNSIGNED'),
  );
  assert.throws(() => parseCheckpointManifest(text(unsigned)), reason('MANIFEST_UNSIGNED'));
  assert.throws(
    () => parseCheckpointManifest(text({ ...good, signature: undefined })),
    reason('MANIFEST_UNSIGNED'),
  );
});

test('LATEST round-trips and refuses anything else', () => {
  assert.equal(parseLatest(encodeLatest(40)).window, 40);
  for (const value of [{}, { format: 'cohort-latest/1' }, { format: 'cohort-latest/1', window: -1 }, 5]) {
    assert.throws(() => parseLatest(text(value)), reason('MANIFEST_INVALID'));
  }
  assert.throws(() => encodeLatest(Number.NaN), reason('MANIFEST_INVALID'));
});
