/**
 * The SparseLoCo codec (protocol §4, §6): validate and decode untrusted update objects, aggregate a
 * selection of them into the canonical aggregate, decode aggregates, and encode dense tensors (tests and
 * tools). Decoding and aggregation run in native code on libuv's pool; sr25519 signatures are checked
 * here. A rejection of untrusted bytes is a result (`{ok: false, reason, detail}`) with a stable
 * {@link CodecReason}; only programming errors reject the Promise.
 */
import {
  Code,
  CohortError,
  InvalidArgumentError,
  expectedMessage,
  signDigest,
  verifyDigest,
} from '@cohort/core';
import type { HotkeyPair } from '@cohort/core';
import { setImmediate as nextTurn } from 'node:timers/promises';

import { nativeAddon } from './addon.js';
import type {
  NativeAggregateContributor,
  NativeAggregateSummary,
  NativeCodecParams,
  NativeDType,
  NativeDecodeLimits,
  NativeEncodedObject,
  NativeExpectations,
  NativeSparseTensor,
  NativeUpdateSummary,
} from './addon.js';
import { mapNativeError } from './errors.js';

/**
 * Every reason an object is rejected for (native/include/cohort/codec/reason.h, in order). Stable: part
 * of the protocol; validators record them, miners read them, dashboards group by them.
 */
export const CODEC_REASONS = [
  'BAD_MAGIC',
  'UNSUPPORTED_VERSION',
  'BAD_FLAGS',
  'BAD_CODEC_PARAMS',
  'TOO_LARGE',
  'TRUNCATED',
  'TRAILING_BYTES',
  'BAD_RUN_ID',
  'WRONG_RUN',
  'WRONG_WINDOW',
  'WRONG_HOTKEY',
  'BAD_TENSOR_TABLE',
  'TOO_MANY_TENSORS',
  'WRONG_MODEL',
  'SIZE_MISMATCH',
  'BAD_QUANT_PARAMS',
  'INDEX_OUT_OF_RANGE',
  'INDEX_REPEATED',
  'INDEX_ORDER',
  'BAD_PADDING',
  'BAD_HASH',
  'BAD_SIGNATURE',
  'BAD_CONTRIBUTORS',
  'BAD_VALUE',
  'WRONG_STATE',
] as const;

/** One of {@link CODEC_REASONS}. */
export type CodecReason = (typeof CODEC_REASONS)[number];

/** Receiver-side caps; see {@link DEFAULT_DECODE_LIMITS}. */
export type DecodeLimits = NativeDecodeLimits;
/** Codec parameters: chunk side, entries kept per chunk, index coding. */
export type CodecParams = NativeCodecParams;
/** An update's header facts (fields documented on the binding's shape). */
export type UpdateSummary = NativeUpdateSummary;
/** An aggregate's header facts. */
export type AggregateSummary = NativeAggregateSummary;
/** One tensor's kept entries: ascending flat row-major indices and fp32 values. */
export type SparseTensor = NativeSparseTensor;
/** A contributor named in an aggregate: hotkey and the digest of its update. */
export type AggregateContributor = NativeAggregateContributor;
/** An unsigned object and the digest to sign. */
export type EncodedObject = NativeEncodedObject;

/** The native decoder's defaults (cohort::codec::DecodeLimits). */
export const DEFAULT_DECODE_LIMITS: DecodeLimits = Object.freeze({
  maxBytes: 2 ** 30,
  maxTensors: 4096,
  maxElements: 2 ** 37,
  maxAbsValue: 1e4,
});

/** What a receiver expects of an object; unset fields are not checked. */
export interface Expectations {
  readonly runId?: string;
  readonly window?: bigint | number;
  /** The 32-byte public key that must have signed it. */
  readonly hotkey?: Uint8Array;
  /** BLAKE2b-256 of the model's tensor table. */
  readonly modelFingerprint?: Uint8Array;
}

/** A rejected object: a stable reason and a human detail (offsets, sizes, tensor names). */
export interface CodecRejection {
  readonly ok: false;
  readonly reason: CodecReason;
  readonly detail: string;
}

/** {@link decodeUpdate}'s result. */
export type DecodedUpdate =
  | { readonly ok: true; readonly summary: UpdateSummary; readonly tensors: readonly SparseTensor[] | null }
  | CodecRejection;

/** {@link decodeAggregate}'s result. */
export type DecodedAggregate =
  | {
      readonly ok: true;
      readonly summary: AggregateSummary;
      readonly contributors: readonly AggregateContributor[];
      readonly tensors: readonly SparseTensor[];
    }
  | CodecRejection;

/** Options of {@link decodeUpdate} and {@link decodeAggregate}. */
export interface DecodeOptions {
  readonly expect?: Expectations;
  readonly limits?: Partial<DecodeLimits>;
  /** Check the trailer's sr25519 signature against the header's hotkey. Default true. */
  readonly verifySignature?: boolean;
}

const ARGUMENT = 'CODEC_ARGUMENT_INVALID';

function invalid(expected: string, what: string, received: unknown): never {
  throw new InvalidArgumentError(expectedMessage(expected, what, received), { reason: ARGUMENT });
}

/** Array.isArray without its `any[]` narrowing. */
function isList(value: unknown): value is readonly unknown[] {
  return Array.isArray(value);
}

function bytes(value: unknown, what: string, length?: number): Uint8Array {
  if (!(value instanceof Uint8Array) || (length !== undefined && value.length !== length)) {
    invalid(length === undefined ? 'a Uint8Array' : `a ${length}-byte Uint8Array`, what, value);
  }
  return value;
}

function windowOf(value: unknown, what: string): bigint {
  if (typeof value === 'bigint' && value >= 0n && value < 2n ** 64n) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  return invalid('a window in [0, 2^64)', what, value);
}

function runIdOf(value: unknown, what: string): string {
  if (typeof value !== 'string' || !/^[a-z0-9._-]{1,32}$/.test(value)) {
    invalid('a run id of 1 to 32 characters [a-z0-9._-]', what, value);
  }
  return value;
}

function limitsOf(limits: Partial<DecodeLimits> = {}): DecodeLimits {
  const out = { ...DEFAULT_DECODE_LIMITS, ...limits };
  for (const key of ['maxBytes', 'maxTensors', 'maxElements'] as const) {
    if (!Number.isSafeInteger(out[key]) || out[key] < 0)
      invalid('a non-negative safe integer', `limits.${key}`, out[key]);
  }
  if (out.maxTensors > 2 ** 32 - 1) invalid('at most 2^32-1', 'limits.maxTensors', out.maxTensors);
  if (!(out.maxAbsValue > 0) || !Number.isFinite(Math.fround(out.maxAbsValue))) {
    invalid('a positive finite float32', 'limits.maxAbsValue', out.maxAbsValue);
  }
  return out;
}

function expectationsOf(expect: Expectations = {}): NativeExpectations {
  return {
    runId: expect.runId === undefined ? null : runIdOf(expect.runId, 'expect.runId'),
    window: expect.window === undefined ? null : windowOf(expect.window, 'expect.window'),
    hotkey: expect.hotkey === undefined ? null : bytes(expect.hotkey, 'expect.hotkey', 32),
    modelFingerprint:
      expect.modelFingerprint === undefined
        ? null
        : bytes(expect.modelFingerprint, 'expect.modelFingerprint', 32),
  };
}

function rejection(reason: string, detail: string): CodecRejection {
  if (!(CODEC_REASONS as readonly string[]).includes(reason)) {
    throw new CohortError(Code.Internal, `the codec returned an unknown reason ${reason}: ${detail}`, {
      reason: 'CODEC_REASON_UNKNOWN',
    });
  }
  return { ok: false, reason: reason as CodecReason, detail };
}

function badSignature(hotkey: Uint8Array): CodecRejection {
  return rejection(
    'BAD_SIGNATURE',
    `the sr25519 signature does not verify for hotkey ${Buffer.from(hotkey).toString('hex')}`,
  );
}

async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw mapNativeError(error);
  }
}

/**
 * Validate an update object and, with `tensors: true`, decode its tensors (flat ascending indices and
 * dequantized values). Checks structure, caps, expectations, the BLAKE2b-256 trailer and (unless
 * `verifySignature: false`) the signature by the header's hotkey. `bytes` is read in place on a worker
 * thread: do not modify it until the Promise settles.
 */
export async function decodeUpdate(
  object: Uint8Array,
  options: DecodeOptions & { readonly tensors?: boolean } = {},
): Promise<DecodedUpdate> {
  bytes(object, 'object');
  const expect = expectationsOf(options.expect);
  const limits = limitsOf(options.limits);
  const materialize = options.tensors ?? false;
  const out = await call(() => nativeAddon().binding.decodeUpdate(object, expect, limits, materialize));
  if (!out.ok) return rejection(out.reason, out.detail);
  const { summary } = out;
  if ((options.verifySignature ?? true) && !verifyDigest(summary.digest, summary.signature, summary.hotkey)) {
    return badSignature(summary.hotkey);
  }
  return out;
}

/**
 * Validate and decode an aggregate object (union indices and fp32 values per tensor, contributors);
 * the signature is the aggregator's, by the header's hotkey (`expect.hotkey` pins which aggregator).
 */
export async function decodeAggregate(
  object: Uint8Array,
  options: DecodeOptions = {},
): Promise<DecodedAggregate> {
  bytes(object, 'object');
  const expect = expectationsOf(options.expect);
  const limits = limitsOf(options.limits);
  const out = await call(() => nativeAddon().binding.decodeAggregate(object, expect, limits));
  if (!out.ok) return rejection(out.reason, out.detail);
  const { summary } = out;
  if ((options.verifySignature ?? true) && !verifyDigest(summary.digest, summary.signature, summary.hotkey)) {
    return badSignature(summary.hotkey);
  }
  return out;
}

/** The header of an aggregate: run, window, the aggregator's key and the θ_w fingerprint it applies to. */
export interface AggregateHeader {
  readonly runId: string;
  readonly window: bigint | number;
  readonly hotkey: Uint8Array;
  /** θ_w's fingerprint; null takes the one most included updates share (ties: the earliest). */
  readonly stateFingerprint: Uint8Array | null;
}

/** Options of {@link aggregateUpdates}. */
export interface AggregateOptions {
  /** Common expectations, plus `hotkeys`: each object's expected signer, in selection order. */
  readonly expect?: Omit<Expectations, 'hotkey'> & { readonly hotkeys?: readonly Uint8Array[] };
  readonly limits?: Partial<DecodeLimits>;
  /**
   * The wire-format version to write (docs/wire-format.md §7): 2 (default, values palette-coded where
   * that is smaller) or 1 (raw fp32 values), to re-derive an aggregate published before version 2.
   */
  readonly formatVersion?: 1 | 2;
  /**
   * One clip reference per tensor (finite, ≥ 0, in the tensor table's order) replacing the median of the
   * selection's own norms: each update's tensor t is scaled by min(1, clipTo[t] / (its L2 norm + 1e-8)).
   * For measuring one update as a window's aggregate would apply it (the Gauntlet, protocol §5); a
   * published aggregate never uses it. A wrong count is an InvalidArgumentError.
   */
  readonly clipTo?: readonly number[];
}

/** What became of one object of the selection. */
export interface ContributorResult {
  /** Position in the selection. */
  readonly index: number;
  readonly included: boolean;
  /** Why it was excluded; null when included. */
  readonly reason: CodecReason | null;
  readonly detail: string | null;
  /** The header's hotkey and the object's digest; null when it did not decode. */
  readonly hotkey: Uint8Array | null;
  readonly digest: Uint8Array | null;
}

/** {@link aggregateUpdates}' result: the unsigned aggregate object, its digest and every verdict. */
export interface AggregateResult {
  readonly bytes: Uint8Array;
  readonly digest: Uint8Array;
  readonly contributors: readonly ContributorResult[];
}

/** No object of a selection was valid, so there is no aggregate; `contributors` says why for each. */
export class NoValidUpdatesError extends CohortError {
  override readonly name: string = 'NoValidUpdatesError';
  readonly contributors: readonly ContributorResult[];
  constructor(contributors: readonly ContributorResult[]) {
    const reasons = [...new Set(contributors.map((c) => c.reason))].join(', ');
    super(Code.FailedPrecondition, `none of the ${contributors.length} updates is valid (${reasons})`, {
      reason: 'NO_VALID_UPDATES',
      details: { updates: contributors.length },
    });
    this.contributors = contributors;
  }
}

const HOTKEY_OFFSET = 56;
const FIXED_HEADER_BYTES = 192;
const TRAILER_BYTES = 96;

/** Whether an object's trailer signature verifies for the hotkey in its header (raw bytes, no decode). */
function rawSignatureValid(object: Uint8Array): boolean {
  if (object.length < FIXED_HEADER_BYTES + TRAILER_BYTES) return false;
  const end = object.length;
  return verifyDigest(
    object.subarray(end - TRAILER_BYTES, end - 64),
    object.subarray(end - 64),
    object.subarray(HOTKEY_OFFSET, HOTKEY_OFFSET + 32),
  );
}

/**
 * Aggregate a selection of update objects (protocol §6) into the canonical aggregate: each object is
 * decoded and its signature checked; invalid ones are excluded with their reason (see
 * src/addon/AddonCodecAggregate.cc for the exclusion rules) and the rest aggregated in the given order,
 * deterministically. Returns the unsigned aggregate: sign it with {@link signObject}. Throws
 * {@link NoValidUpdatesError} when nothing is left to aggregate.
 */
export async function aggregateUpdates(
  objects: readonly Uint8Array[],
  header: AggregateHeader,
  options: AggregateOptions = {},
): Promise<AggregateResult> {
  if (!isList(objects) || objects.length === 0) invalid('at least one update object', 'objects', objects);
  objects.forEach((o, i) => bytes(o, `objects[${i}]`));
  const nativeHeader = {
    runId: runIdOf(header.runId, 'header.runId'),
    window: windowOf(header.window, 'header.window'),
    hotkey: bytes(header.hotkey, 'header.hotkey', 32),
    stateFingerprint:
      header.stateFingerprint === null ? null : bytes(header.stateFingerprint, 'header.stateFingerprint', 32),
  };
  const { hotkeys, ...common } = options.expect ?? {};
  if (hotkeys !== undefined && (!isList(hotkeys) || hotkeys.length !== objects.length)) {
    invalid(`${objects.length} hotkeys`, 'expect.hotkeys', hotkeys);
  }
  const expect = {
    ...expectationsOf(common),
    hotkeys: hotkeys === undefined ? null : hotkeys.map((k, i) => bytes(k, `expect.hotkeys[${i}]`, 32)),
  };
  const limits = limitsOf(options.limits);
  const formatVersion = options.formatVersion ?? 2;
  if (formatVersion !== 1 && formatVersion !== 2) invalid('1 or 2', 'formatVersion', formatVersion);
  const { clipTo } = options;
  if (clipTo !== undefined) {
    if (!isList(clipTo)) invalid('an array of clip references', 'clipTo', clipTo);
    clipTo.forEach((c, t) => {
      if (typeof c !== 'number' || !Number.isFinite(c) || c < 0)
        invalid('a finite number ≥ 0', `clipTo[${t}]`, c);
    });
  }
  const signatureValid: boolean[] = [];
  for (const object of objects) {
    signatureValid.push(rawSignatureValid(object));
    await nextTurn(); // a few ms each: let the event loop breathe between them
  }
  const out = await call(() =>
    nativeAddon().binding.aggregateUpdates(
      objects,
      signatureValid,
      nativeHeader,
      expect,
      limits,
      formatVersion,
      clipTo ?? null,
    ),
  );
  const contributors = out.contributors.map((c) => ({
    ...c,
    reason: c.reason === null ? null : rejection(c.reason, c.detail ?? '').reason,
  }));
  if (out.bytes === null || out.digest === null) throw new NoValidUpdatesError(contributors);
  return { bytes: out.bytes, digest: out.digest, contributors };
}

/** A dense fp32 tensor to encode. */
export interface DenseTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
  /** The parameter's dtype in the model; default `f32`. */
  readonly dtype?: NativeDType;
}

/** The header fields of an update: run, window, the miner's key, θ_w's fingerprint, the data receipt. */
export interface UpdateHeader extends Omit<AggregateHeader, 'stateFingerprint'> {
  readonly stateFingerprint: Uint8Array;
  readonly dataReceipt: Uint8Array;
}

/**
 * Encode dense tensors as an unsigned update object (top-k per chunk, 2-bit codes; no error feedback:
 * the engine's encoder keeps that state). For tests, fixtures and tools; sign with {@link signObject}.
 */
export async function encodeUpdate(
  tensors: readonly DenseTensor[],
  header: UpdateHeader,
  codec: CodecParams,
): Promise<EncodedObject> {
  if (!isList(tensors) || tensors.length === 0) invalid('at least one tensor', 'tensors', tensors);
  if (!Number.isSafeInteger(codec.tileSide) || !Number.isSafeInteger(codec.topk)) {
    invalid('integer tileSide and topk', 'codec', codec);
  }
  if (codec.indexCoding !== 'rice' && codec.indexCoding !== 'packed12') {
    invalid('"rice" or "packed12"', 'codec.indexCoding', codec.indexCoding);
  }
  const nativeTensors = tensors.map((t, i) => {
    if (!(t.data instanceof Float32Array)) invalid('a Float32Array', `tensors[${i}].data`, t.data);
    return { name: t.name, shape: t.shape, data: t.data, dtype: t.dtype ?? 'f32' };
  });
  const nativeHeader = {
    runId: runIdOf(header.runId, 'header.runId'),
    window: windowOf(header.window, 'header.window'),
    hotkey: bytes(header.hotkey, 'header.hotkey', 32),
    stateFingerprint: bytes(header.stateFingerprint, 'header.stateFingerprint', 32),
    dataReceipt: bytes(header.dataReceipt, 'header.dataReceipt', 32),
  };
  return call(() => nativeAddon().binding.encodeUpdate(nativeTensors, nativeHeader, codec));
}

/** The 32-byte digest an object's signer signs (its BLAKE2b-256 trailer), as stored: not recomputed. */
export function objectDigest(object: Uint8Array): Uint8Array {
  bytes(object, 'object');
  if (object.length < FIXED_HEADER_BYTES + TRAILER_BYTES)
    invalid('a complete cohort object', 'object', object);
  return object.subarray(object.length - TRAILER_BYTES, object.length - 64);
}

/** Write a 64-byte signature into an object's trailer, in place. */
export function setSignature(object: Uint8Array, signature: Uint8Array): void {
  objectDigest(object);
  object.set(bytes(signature, 'signature', 64), object.length - 64);
}

/** Sign an object with `pair` in place (digest as stored in its trailer); returns the signature. */
export function signObject(object: Uint8Array, pair: HotkeyPair): Uint8Array {
  const signature = signDigest(objectDigest(object), pair);
  setSignature(object, signature);
  return signature;
}
