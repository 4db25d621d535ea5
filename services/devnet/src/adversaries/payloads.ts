/**
 * Well-formed updates with bad content, the way a cheater makes them: through the real encoder
 * (`encodeUpdate` of @cohort/native: top-k per chunk, 2-bit codes, docs/wire-format.md), then signed with
 * the cheater's key. Everything here passes the decoder; only the Gauntlet's measurements and overlap
 * statistics can tell these payloads from honest ones.
 */
import { decodeUpdate, encodeUpdate, signObject } from '@cohort/native';
import type { DenseTensor } from '@cohort/native';
import type { HotkeyPair } from '@cohort/core';

/** One tensor of the model as an update's tensor table names it. */
export interface TensorSlot {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: 'f32' | 'bf16' | 'f16';
  /** Offset of its first value in the canonical flat parameter vector. */
  readonly offset: number;
  readonly size: number;
}

/** What an update header says besides the signer. */
export interface ForgedHeader {
  readonly runId: string;
  readonly window: number;
  readonly stateFingerprint: Uint8Array;
  readonly dataReceipt: Uint8Array;
}

const CODEC = { tileSide: 64, topk: 64, indexCoding: 'rice' } as const;

async function decoded(object: Uint8Array) {
  const out = await decodeUpdate(object, { tensors: true, verifySignature: false });
  if (!out.ok || out.tensors === null)
    throw new Error(`not an update: ${out.ok ? 'no tensors' : out.reason}`);
  return out;
}

/** The model's tensor layout, read from any update's table (table order is the canonical order). */
export async function layoutOf(object: Uint8Array): Promise<TensorSlot[]> {
  let offset = 0;
  return (await decoded(object)).tensors!.map((t) => {
    const size = t.shape.reduce((a, b) => a * b, 1);
    const slot = { name: t.name, shape: t.shape, dtype: t.dtype, offset, size };
    offset += size;
    return slot;
  });
}

/** An update's dequantized values scattered into one dense canonical vector. */
export async function denseOf(object: Uint8Array): Promise<Float32Array> {
  const { tensors } = await decoded(object);
  const layout = await layoutOf(object);
  const flat = new Float32Array(layout.reduce((n, s) => n + s.size, 0));
  tensors!.forEach((t, i) => {
    const base = layout[i]!.offset;
    t.indices.forEach((index, j) => (flat[base + index] = t.values[j]!));
  });
  return flat;
}

/** Encode a dense canonical vector as `pair`'s signed update with `header`. */
export async function encodeSigned(
  flat: Float32Array,
  layout: readonly TensorSlot[],
  header: ForgedHeader,
  pair: HotkeyPair,
): Promise<Uint8Array> {
  const tensors: DenseTensor[] = layout.map((s) => ({
    name: s.name,
    shape: s.shape,
    dtype: s.dtype,
    data: flat.slice(s.offset, s.offset + s.size),
  }));
  const { bytes } = await encodeUpdate(tensors, { ...header, hotkey: pair.publicKey }, CODEC);
  signObject(bytes, pair);
  return bytes;
}

/** A fixed-seed uniform stream on (0, 1) (xorshift32): cheap enough for millions of values. */
export function uniform(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return ((x >>> 0) + 0.5) / 2 ** 32;
  };
}

/** Root mean square of the non-zero entries (the scale of an update's kept values). */
export function keptRms(flat: Float32Array): number {
  let sum = 0;
  let n = 0;
  for (const v of flat) {
    if (v !== 0) {
      sum += v * v;
      n++;
    }
  }
  return n === 0 ? 0 : Math.sqrt(sum / n);
}
