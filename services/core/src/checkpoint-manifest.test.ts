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
const AGG = (window: number) => ({ window, sizeBytes: 1000 + window, blake2b256: '0c'.repeat(32) });
const text = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

test('a manifest round-trips and is checked against the key it came from', () => {
  const bytes = encodeCheckpointManifest(MANIFEST);
  assert.deepEqual(parseCheckpointManifest(bytes, { runId: 'devnet', window: 12 }), {
    format: 'cohort-checkpoint/1',
    ...MANIFEST,
  });
  assert.throws(() => parseCheckpointManifest(bytes, { window: 13 }), reason('MANIFEST_MISMATCH'));
  assert.throws(() => parseCheckpointManifest(bytes, { runId: 'other' }), reason('MANIFEST_MISMATCH'));
});

test('the lineage names the previous checkpoint and the aggregates applied since, in order', () => {
  const lineage = { previous: 5, outerSteps: 7, aggregates: [AGG(5), AGG(6), AGG(9)] };
  const parsed = parseCheckpointManifest(encodeCheckpointManifest({ ...MANIFEST, lineage }));
  assert.deepEqual(parsed.lineage, lineage);
  const first = parseCheckpointManifest(
    encodeCheckpointManifest({ ...MANIFEST, lineage: { previous: null, outerSteps: 0, aggregates: [] } }),
  );
  assert.deepEqual(first.lineage, { previous: null, outerSteps: 0, aggregates: [] });
  assert.equal(parseCheckpointManifest(encodeCheckpointManifest(MANIFEST)).lineage, undefined);
});

test('hostile manifests are refused with a reason, never a TypeError', () => {
  const good = JSON.parse(new TextDecoder().decode(encodeCheckpointManifest(MANIFEST))) as Record<
    string,
    unknown
  >;
  const cases: unknown[] = [
    null,
    [],
    'x',
    { ...good, format: 'cohort-checkpoint/2' },
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
  assert.throws(() => encodeCheckpointManifest({ ...MANIFEST, window: -3 }), reason('MANIFEST_INVALID'));
});

test('LATEST round-trips and refuses anything else', () => {
  assert.equal(parseLatest(encodeLatest(40)).window, 40);
  for (const value of [{}, { format: 'cohort-latest/1' }, { format: 'cohort-latest/1', window: -1 }, 5]) {
    assert.throws(() => parseLatest(text(value)), reason('MANIFEST_INVALID'));
  }
  assert.throws(() => encodeLatest(Number.NaN), reason('MANIFEST_INVALID'));
});
