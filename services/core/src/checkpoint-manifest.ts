/**
 * The manifest of a published checkpoint and the run's `LATEST` pointer (protocol §8–§9). A checkpoint
 * `checkpoints/<w>/` holds θ_w — the state every replica trains window w from — as `model.safetensors` +
 * `config.json`, and `manifest.json` (written last) names both with their sizes and BLAKE2b-256, the
 * state fingerprint of θ_w, the model preset and its lineage (the previous checkpoint and the aggregates
 * applied since, issue 9), signed by the aggregator that published it (checkpoint-signature.ts). A reader
 * checks the signer against the run's aggregator, the files against the manifest and the loaded
 * replica's fingerprint against `stateFingerprint`: a checkpoint that fails any is refused and the
 * reader falls back to an older one.
 *
 * Both documents come from peers' buckets: {@link parseCheckpointManifest} and {@link parseLatest}
 * check every field and throw {@link CheckpointManifestError} with a reason code, never a TypeError.
 * `LATEST` is not signed: it only says which signed manifest to try first, and one pointing at an old
 * checkpoint costs a longer replay of signed aggregates, never a wrong state.
 */
import { canonicalManifestText, manifestSignatureValid, signManifestBody } from './checkpoint-signature.js';
import type { ManifestBody } from './checkpoint-signature.js';
import { CohortError, Code } from './errors.js';
import { decodeSs58, encodeSs58 } from './hotkey-signature.js';
import type { HotkeyPair } from './hotkey-signature.js';

/** The manifest format this module writes and reads (2: signed; 1 was unsigned and is refused). */
export const CHECKPOINT_MANIFEST_FORMAT = 'cohort-checkpoint/2';
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

/**
 * Why a stored object is not the manifest's file (its size or BLAKE2b-256, as the store reports them,
 * differ), or undefined when it is: what a reader checks before downloading the bytes.
 */
export function fileEntryMismatch(
  key: string,
  stored: { readonly sizeBytes: bigint; readonly blake2b256: Uint8Array },
  entry: CheckpointFileEntry,
): string | undefined {
  const hash = Buffer.from(stored.blake2b256).toString('hex');
  if (stored.sizeBytes === BigInt(entry.sizeBytes) && hash === entry.blake2b256) return undefined;
  return `${key} has ${stored.sizeBytes} bytes, BLAKE2b-256 ${hash}; the manifest says ${entry.sizeBytes} bytes, ${entry.blake2b256}`;
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
  /** SS58 address of the hotkey that signed the manifest: the run's aggregator, for a trusted one. */
  readonly signer: string;
  /** sr25519 signature of `signer` over the other fields (checkpoint-signature.ts), 128 hex digits. */
  readonly signature: string;
}

/** What a publisher fills in; {@link encodeCheckpointManifest} adds the format, signer and signature. */
export type UnsignedCheckpointManifest = Omit<CheckpointManifest, 'format' | 'signer' | 'signature'>;

/** `LATEST`: the window of the newest complete checkpoint. */
export interface LatestPointer {
  readonly format: typeof LATEST_FORMAT;
  readonly window: number;
}

/** Why a manifest or `LATEST` document was refused. */
export type CheckpointManifestReason =
  | 'MANIFEST_INVALID'
  | 'MANIFEST_TOO_LARGE'
  | 'MANIFEST_MISMATCH'
  /** No manifest where one was listed or pointed at (readers raise it; the parser never does). */
  | 'MANIFEST_MISSING'
  /** Format 1, which carried no signature: no replica loads a state nobody vouches for. */
  | 'MANIFEST_UNSIGNED'
  /** The signature is not the named signer's over these fields: altered after signing, or forged. */
  | 'MANIFEST_BAD_SIGNATURE'
  /** Validly signed, but not by the aggregator the reader trusts. */
  | 'MANIFEST_UNTRUSTED';

/** A refused manifest or `LATEST` document. */
export class CheckpointManifestError extends CohortError {
  override readonly name: string = 'CheckpointManifestError';
  constructor(message: string, reason: CheckpointManifestReason) {
    super(Code.InvalidArgument, message, { reason });
  }
}

const HEX64 = /^[0-9a-f]{64}$/;
const HEX128 = /^[0-9a-f]{128}$/;

/** What the reader knows the manifest must say, from its key and its configuration. */
export interface ManifestExpectation {
  readonly runId?: string;
  readonly window?: number;
  /** SS58 address of the run's aggregator: another signer is MANIFEST_UNTRUSTED. Absent: any signer. */
  readonly aggregator?: string | undefined;
}

function isAddress(value: string): boolean {
  try {
    decodeSs58(value);
    return true;
  } catch {
    return false;
  }
}

/** Two addresses of one key (the prefix may differ). `trusted` comes from config, checked there. */
function sameKey(signer: string, trusted: string): boolean {
  return Buffer.from(decodeSs58(signer)).equals(Buffer.from(decodeSs58(trusted)));
}
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

/**
 * Sign and serialize a manifest with `signer` (the aggregator's hotkey): canonical field order, UTF-8,
 * the signature last. Round-trips through the parser: never publishes what a reader would refuse.
 */
export function encodeCheckpointManifest(
  manifest: UnsignedCheckpointManifest,
  signer: HotkeyPair,
): Uint8Array {
  const body: ManifestBody = {
    format: CHECKPOINT_MANIFEST_FORMAT,
    ...manifest,
    signer: encodeSs58(signer.publicKey),
  };
  const unsigned = canonicalManifestText(body); // a JSON object: the signature joins it last
  const text = `${unsigned.slice(0, -1)},"signature":"${signManifestBody(body, signer)}"}`;
  const bytes = new TextEncoder().encode(text);
  parseCheckpointManifest(bytes);
  return bytes;
}

/**
 * Parse and check a manifest from a bucket: every field, and the signature always (a manifest whose
 * signature does not verify is refused whoever the reader trusts); `expect` adds the run and window the
 * key said and the aggregator the reader trusts. Throws {@link CheckpointManifestError} with one of
 * {@link CheckpointManifestReason}.
 */
export function parseCheckpointManifest(
  bytes: Uint8Array,
  expect: ManifestExpectation = {},
): CheckpointManifest {
  const v = parseJson(bytes, 'the checkpoint manifest');
  if (v.format === 'cohort-checkpoint/1')
    fail('the manifest is format 1, which is unsigned: republish it signed (format 2)', 'MANIFEST_UNSIGNED');
  if (v.format !== CHECKPOINT_MANIFEST_FORMAT)
    fail(`the manifest format must be "${CHECKPOINT_MANIFEST_FORMAT}"`);
  if (v.signer === undefined || v.signature === undefined)
    fail('the manifest carries no signer or signature', 'MANIFEST_UNSIGNED');
  if (typeof v.signer !== 'string' || !isAddress(v.signer)) fail('signer must be an SS58 address');
  if (typeof v.signature !== 'string' || !HEX128.test(v.signature))
    fail('signature must be 128 lowercase hex digits');
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
    signer: v.signer,
    signature: v.signature,
  };
  if (!manifestSignatureValid(manifest)) {
    fail(`the manifest's signature is not ${manifest.signer}'s over its fields`, 'MANIFEST_BAD_SIGNATURE');
  }
  if (expect.aggregator !== undefined && !sameKey(manifest.signer, expect.aggregator)) {
    fail(
      `the manifest is signed by ${manifest.signer}, the run's aggregator is ${expect.aggregator}`,
      'MANIFEST_UNTRUSTED',
    );
  }
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
