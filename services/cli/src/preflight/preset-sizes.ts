/**
 * What a model preset asks of a machine: parameter count, checkpoint size, the bytes of one window's
 * update and aggregate, and accelerator memory for training. The shapes mirror the engine's preset table
 * (native/src/core/model_config.cc, docs/engine.md) so preflight runs where the native addon is not built;
 * the unit test pins the parameter counts to the engine's.
 */

/** Presets the engine knows (`PRESETS` in native/ts/engine.ts). */
export const PRESET_NAMES = ['devnet', '150M', '1B', '8B', '70B'] as const;
/** One of {@link PRESET_NAMES}. */
export type PresetName = (typeof PRESET_NAMES)[number];

interface Shape {
  readonly dim: number;
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly ffn: number;
  readonly tied: boolean;
}

/** GPT-2 BPE (50,257) padded to a multiple of 64, as the engine does. */
const VOCAB = 50_304;

const SHAPES: Readonly<Record<PresetName, Shape>> = {
  devnet: { dim: 128, layers: 4, heads: 4, kvHeads: 2, ffn: 384, tied: true },
  '150M': { dim: 1024, layers: 12, heads: 16, kvHeads: 16, ffn: 2816, tied: true },
  '1B': { dim: 2048, layers: 16, heads: 8, kvHeads: 8, ffn: 8192, tied: true },
  '8B': { dim: 4096, layers: 32, heads: 32, kvHeads: 8, ffn: 14336, tied: false },
  '70B': { dim: 8192, layers: 80, heads: 64, kvHeads: 8, ffn: 28672, tied: true },
};

/** Bytes per parameter of a checkpoint's `model.safetensors` (fp32 θ). */
export const CHECKPOINT_BYTES_PER_PARAMETER = 4;
/** Upper bound of an update's size: the codec's goal of 0.16 bits per parameter (docs/wire-format.md §9). */
export const UPDATE_BITS_PER_PARAMETER = 0.16;
/**
 * An aggregate's size per parameter: 244 MB for 205.7 M parameters with 20 peers (union density 0.27,
 * test/bench/results/codec.json). More peers make it denser; an estimate, not a bound.
 */
export const AGGREGATE_BYTES_PER_PARAMETER = 1.19;
/** Training state per parameter: fp32 θ, grad, Adam m and v, θ_start (20 B) plus bf16 weights (2 B). */
export const TRAIN_BYTES_PER_PARAMETER = 22;
/** Evaluation state per parameter: fp32 θ and θ with an update applied, plus bf16 weights. */
export const EVAL_BYTES_PER_PARAMETER = 10;
/** Activations, CUDA context and allocator slack on top of the state. */
export const GPU_HEADROOM_BYTES = 2 * 1024 ** 3;

/** True for a known preset name. */
export const isPreset = (name: string): name is PresetName =>
  (PRESET_NAMES as readonly string[]).includes(name);

/** Parameters of `preset`, counted as the engine lays them out (embedding, layers, norm, untied head). */
export function parameterCount(preset: PresetName): number {
  const s = SHAPES[preset];
  const kvDim = s.kvHeads * (s.dim / s.heads);
  const perLayer = 2 * s.dim + 2 * s.dim * s.dim + 2 * kvDim * s.dim + 3 * s.ffn * s.dim;
  return VOCAB * s.dim + s.layers * perLayer + s.dim + (s.tied ? 0 : VOCAB * s.dim);
}

/** Sizes that follow from a preset. */
export interface PresetSizes {
  readonly parameters: number;
  readonly checkpointBytes: number;
  readonly updateBytes: number;
  readonly aggregateBytes: number;
  readonly trainGpuBytes: number;
  readonly evalGpuBytes: number;
}

/** Every size of `preset`. */
export function presetSizes(preset: PresetName): PresetSizes {
  const n = parameterCount(preset);
  return {
    parameters: n,
    checkpointBytes: n * CHECKPOINT_BYTES_PER_PARAMETER,
    updateBytes: Math.ceil((n * UPDATE_BITS_PER_PARAMETER) / 8),
    aggregateBytes: Math.ceil(n * AGGREGATE_BYTES_PER_PARAMETER),
    trainGpuBytes: n * TRAIN_BYTES_PER_PARAMETER + GPU_HEADROOM_BYTES,
    evalGpuBytes: n * EVAL_BYTES_PER_PARAMETER + GPU_HEADROOM_BYTES,
  };
}
