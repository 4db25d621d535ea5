/**
 * The manifest of a published checkpoint and the run's `LATEST` pointer (protocol §8–§9). A checkpoint
 * `checkpoints/<w>/` holds θ_w — the state every replica trains window w from — as `model.safetensors` +
 * `config.json`, and `manifest.json` (written last) names both with their sizes and BLAKE2b-256, the
 * state fingerprint of θ_w, the model preset and its lineage (the previous checkpoint and the aggregates
 * applied since, issue 9). A reader checks the files against the manifest and the
 * loaded replica's fingerprint against `stateFingerprint`: a checkpoint that fails either is corrupt and
 * the reader falls back to an older one.
 *
 * Both documents come from peers' buckets: {@link parseCheckpointManifest} and {@link parseLatest}
 * check every field and throw {@link CheckpointManifestError} with a reason code, never a TypeError.
 */
import { CohortError, Code } from './errors.js';

/** The manifest format this module writes and reads. */
export const CHECKPOINT_MANIFEST_FORMAT = 'cohort-checkpoint/1';
/** The `LATEST` format this module writes and reads. */
export const LATEST_FORMAT = 'cohort-latest/1';
/** Largest manifest or `LATEST` document accepted (they are a few hundred bytes). */
export const MAX_MANIFEST_BYTES = 256 * 1024;
/** Most aggregates a manifest's lineage lists (a checkpoint every ≤ this many windows). */
export const MAX_LINEAGE_AGGREGATES = 1024;

/** One file of a checkpoint as the manifest names it. */
export interface CheckpointFileEntry {
  readonly sizeBytes: number;
  /** BLAKE2b-256 of the file, 64 lowercase hex digits. */
  readonly blake2b256: string;
}

/** One aggregate applied between the previous checkpoint and this one. */
export interface LineageAggregate {
  readonly window: number;
  readonly sizeBytes: number;
  /** BLAKE2b-256 of the aggregate object as stored, 64 lowercase hex digits. */
  readonly blake2b256: string;
}

/**
 * How θ_w came from the previous checkpoint: its window (null for the run's first) and every aggregate
 * applied since, in window order (windows without aggregate are absent: carried over). Anyone holding
 * the previous checkpoint and these aggregates can rebuild θ_w and check its fingerprint.
 */
export interface CheckpointLineage {
  readonly previous: number | null;
  /** Outer steps (aggregates applied) from the run's first checkpoint to θ_w: the model's step count. */
  readonly outerSteps: number;
  readonly aggregates: readonly LineageAggregate[];
}

/** `checkpoints/<w>/manifest.json`. */
export interface CheckpointManifest {
  readonly format: typeof CHECKPOINT_MANIFEST_FORMAT;
  readonly runId: string;
  /** w: the checkpoint holds θ_w, the state window w trains from. */
  readonly window: number;
  /** Engine preset of the model (`devnet`, `150M`, …). */
  readonly preset: string;
  /** The engine's state fingerprint of θ_w, 64 lowercase hex digits. */
  readonly stateFingerprint: string;
  readonly model: CheckpointFileEntry;
  readonly config: CheckpointFileEntry;
  /** When the publisher wrote it (its own clock; informational). */
  readonly createdUnixMs: number;
  /** Where θ_w came from; absent in manifests written before it existed. */
  readonly lineage?: CheckpointLineage;
}

/** `LATEST`: the window of the newest complete checkpoint. */
export interface LatestPointer {
  readonly format: typeof LATEST_FORMAT;
  readonly window: number;
}

/** Why a manifest or `LATEST` document was refused. */
export type CheckpointManifestReason = 'MANIFEST_INVALID' | 'MANIFEST_TOO_LARGE' | 'MANIFEST_MISMATCH';

/** A refused manifest or `LATEST` document. */
export class CheckpointManifestError extends CohortError {
  override readonly name: string = 'CheckpointManifestError';
  constructor(message: string, reason: CheckpointManifestReason) {
    super(Code.InvalidArgument, message, { reason });
  }
}

const HEX64 = /^[0-9a-f]{64}$/;
const PRESET = /^[A-Za-z0-9._-]{1,32}$/;

function fail(message: string, reason: CheckpointManifestReason = 'MANIFEST_INVALID'): never {
  throw new CheckpointManifestError(message, reason);
}

function parseJson(bytes: Uint8Array, what: string): Record<string, unknown> {
  if (bytes.length > MAX_MANIFEST_BYTES) {
    fail(`${what} has ${bytes.length} bytes, more than ${MAX_MANIFEST_BYTES}`, 'MANIFEST_TOO_LARGE');
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    fail(`${what} is not UTF-8 JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail(`${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

function count(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    fail(`${what} must be a non-negative safe integer`);
  }
  return value;
}

function hex64(value: unknown, what: string): string {
  if (typeof value !== 'string' || !HEX64.test(value)) fail(`${what} must be 64 lowercase hex digits`);
  return value;
}

function fileEntry(value: unknown, what: string): CheckpointFileEntry {
  if (typeof value !== 'object' || value === null) fail(`${what} must be an object`);
  const v = value as Record<string, unknown>;
  return {
    sizeBytes: count(v.sizeBytes, `${what}.sizeBytes`),
    blake2b256: hex64(v.blake2b256, `${what}.blake2b256`),
  };
}

function lineageOf(value: unknown, window: number): CheckpointLineage {
  if (typeof value !== 'object' || value === null) fail('lineage must be an object');
  const v = value as Record<string, unknown>;
  const previous = v.previous === null ? null : count(v.previous, 'lineage.previous');
  if (previous !== null && previous >= window)
    fail(`lineage.previous ${previous} is not before window ${window}`);
  if (!Array.isArray(v.aggregates) || v.aggregates.length > MAX_LINEAGE_AGGREGATES) {
    fail(`lineage.aggregates must be a list of at most ${MAX_LINEAGE_AGGREGATES}`);
  }
  let last = (previous ?? 0) - 1;
  const aggregates = v.aggregates.map((a: unknown, i): LineageAggregate => {
    if (typeof a !== 'object' || a === null) fail(`lineage.aggregates[${i}] must be an object`);
    const e = a as Record<string, unknown>;
    const at = count(e.window, `lineage.aggregates[${i}].window`);
    if (at <= last || at >= window) fail(`lineage.aggregates[${i}].window ${at} is out of order or range`);
    last = at;
    return {
      window: at,
      sizeBytes: count(e.sizeBytes, `lineage.aggregates[${i}].sizeBytes`),
      blake2b256: hex64(e.blake2b256, `lineage.aggregates[${i}].blake2b256`),
    };
  });
  if (previous === null && aggregates.length > 0) fail('a first checkpoint has no aggregates before it');
  const outerSteps = count(v.outerSteps, 'lineage.outerSteps');
  if (outerSteps < aggregates.length)
    fail('lineage.outerSteps counts fewer steps than the aggregates listed');
  return { previous, outerSteps, aggregates };
}

/** Serialize a manifest (canonical field order, UTF-8). */
export function encodeCheckpointManifest(manifest: Omit<CheckpointManifest, 'format'>): Uint8Array {
  const m: CheckpointManifest = { format: CHECKPOINT_MANIFEST_FORMAT, ...manifest };
  const text = JSON.stringify({
    format: m.format,
    runId: m.runId,
    window: m.window,
    preset: m.preset,
    stateFingerprint: m.stateFingerprint,
    model: { sizeBytes: m.model.sizeBytes, blake2b256: m.model.blake2b256 },
    config: { sizeBytes: m.config.sizeBytes, blake2b256: m.config.blake2b256 },
    createdUnixMs: m.createdUnixMs,
    ...(m.lineage === undefined
      ? {}
      : {
          lineage: {
            previous: m.lineage.previous,
            outerSteps: m.lineage.outerSteps,
            aggregates: m.lineage.aggregates.map((a) => ({
              window: a.window,
              sizeBytes: a.sizeBytes,
              blake2b256: a.blake2b256,
            })),
          },
        }),
  });
  // Round-trip through the parser: never publish what a reader would refuse.
  const bytes = new TextEncoder().encode(text);
  parseCheckpointManifest(bytes);
  return bytes;
}

/**
 * Parse and check a manifest from a bucket; `expect` adds the run and window the key said. Throws
 * {@link CheckpointManifestError} (MANIFEST_INVALID, MANIFEST_TOO_LARGE, MANIFEST_MISMATCH).
 */
export function parseCheckpointManifest(
  bytes: Uint8Array,
  expect: { readonly runId?: string; readonly window?: number } = {},
): CheckpointManifest {
  const v = parseJson(bytes, 'the checkpoint manifest');
  if (v.format !== CHECKPOINT_MANIFEST_FORMAT)
    fail(`the manifest format must be "${CHECKPOINT_MANIFEST_FORMAT}"`);
  if (typeof v.runId !== 'string' || v.runId.length === 0 || v.runId.length > 64)
    fail('runId must be a run id');
  if (typeof v.preset !== 'string' || !PRESET.test(v.preset)) fail('preset must be a preset name');
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_MANIFEST_FORMAT,
    runId: v.runId,
    window: count(v.window, 'window'),
    preset: v.preset,
    stateFingerprint: hex64(v.stateFingerprint, 'stateFingerprint'),
    model: fileEntry(v.model, 'model'),
    config: fileEntry(v.config, 'config'),
    createdUnixMs: count(v.createdUnixMs, 'createdUnixMs'),
    ...(v.lineage === undefined ? {} : { lineage: lineageOf(v.lineage, count(v.window, 'window')) }),
  };
  if (expect.runId !== undefined && manifest.runId !== expect.runId) {
    fail(`the manifest is of run "${manifest.runId}", not "${expect.runId}"`, 'MANIFEST_MISMATCH');
  }
  if (expect.window !== undefined && manifest.window !== expect.window) {
    fail(`the manifest is of window ${manifest.window}, not ${expect.window}`, 'MANIFEST_MISMATCH');
  }
  return manifest;
}

/** Serialize `LATEST`. */
export function encodeLatest(window: number): Uint8Array {
  count(window, 'window');
  return new TextEncoder().encode(JSON.stringify({ format: LATEST_FORMAT, window }));
}

/** Parse and check `LATEST`. Throws {@link CheckpointManifestError}. */
export function parseLatest(bytes: Uint8Array): LatestPointer {
  const v = parseJson(bytes, 'LATEST');
  if (v.format !== LATEST_FORMAT) fail(`LATEST's format must be "${LATEST_FORMAT}"`);
  return { format: LATEST_FORMAT, window: count(v.window, 'window') };
}
