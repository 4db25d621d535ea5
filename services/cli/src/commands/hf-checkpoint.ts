/**
 * What `cohort export` checks and completes in a checkpoint before handing it to Hugging Face
 * `transformers`: the safetensors header (format "pt", exactly the LlamaForCausalLM tensor names of the
 * config's layer count, the embedding's shape) and config.json (every key LlamaConfig needs). A key the
 * engine did not write but that follows from the checkpoint itself is added, because LlamaConfig's
 * defaults are wrong for cohort's models (bos/eos 1/2, untied embeddings); a shape key cannot be guessed
 * and its absence refuses the export.
 */
import { open } from 'node:fs/promises';
import { CohortError, Code } from '@cohort/core';
import { GPT2_END_OF_TEXT_ID, GPT2_VOCAB_SIZE } from '@cohort/data';

/** One tensor of a safetensors header. */
export interface SafetensorsTensor {
  readonly dtype: string;
  readonly shape: readonly number[];
}

/** A parsed safetensors header. */
export interface SafetensorsHeader {
  readonly metadata: Readonly<Record<string, string>>;
  readonly tensors: ReadonlyMap<string, SafetensorsTensor>;
}

const MAX_HEADER_BYTES = 100 * 1024 * 1024; // the safetensors format's own limit

function bad(message: string, reason: string): CohortError {
  return new CohortError(Code.DataLoss, message, { reason });
}

/** The header of the safetensors file at `path`: an 8-byte little-endian length, then JSON. */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const prefix = Buffer.alloc(8);
    await file.read(prefix, 0, 8, 0);
    const length = prefix.readBigUInt64LE(0);
    if (size < 8 || length > BigInt(Math.min(MAX_HEADER_BYTES, size - 8))) {
      throw bad(`model.safetensors: a header of ${length} bytes in a file of ${size}`, 'SAFETENSORS_INVALID');
    }
    const text = Buffer.alloc(Number(length));
    await file.read(text, 0, text.length, 8);
    let root: unknown;
    try {
      root = JSON.parse(text.toString('utf8'));
    } catch {
      throw bad('model.safetensors: the header is not JSON', 'SAFETENSORS_INVALID');
    }
    if (typeof root !== 'object' || root === null || Array.isArray(root)) {
      throw bad('model.safetensors: the header is not a JSON object', 'SAFETENSORS_INVALID');
    }
    const tensors = new Map<string, SafetensorsTensor>();
    let metadata: Record<string, string> = {};
    for (const [name, value] of Object.entries(root as Record<string, unknown>)) {
      if (name === '__metadata__') {
        metadata = value as Record<string, string>;
        continue;
      }
      const v = value as { dtype?: unknown; shape?: unknown };
      if (typeof v.dtype !== 'string' || !Array.isArray(v.shape) || !v.shape.every(Number.isSafeInteger)) {
        throw bad(`model.safetensors: tensor ${name} has no dtype or shape`, 'SAFETENSORS_INVALID');
      }
      tensors.set(name, { dtype: v.dtype, shape: v.shape as number[] });
    }
    return { metadata, tensors };
  } finally {
    await file.close();
  }
}

/** The tensor names of LlamaForCausalLM with `layers` decoder layers, `lm_head.weight` when untied. */
export function llamaTensorNames(layers: number, tied: boolean): string[] {
  const names = ['model.embed_tokens.weight'];
  for (let i = 0; i < layers; i++) {
    const p = `model.layers.${i}.`;
    names.push(
      `${p}input_layernorm.weight`,
      `${p}self_attn.q_proj.weight`,
      `${p}self_attn.k_proj.weight`,
      `${p}self_attn.v_proj.weight`,
      `${p}self_attn.o_proj.weight`,
      `${p}post_attention_layernorm.weight`,
      `${p}mlp.gate_proj.weight`,
      `${p}mlp.up_proj.weight`,
      `${p}mlp.down_proj.weight`,
    );
  }
  names.push('model.norm.weight');
  if (!tied) names.push('lm_head.weight');
  return names;
}

const TORCH_DTYPES: Readonly<Record<string, string>> = { F32: 'float32', BF16: 'bfloat16', F16: 'float16' };

/** The keys LlamaConfig needs whose value only the checkpoint's publisher knows. */
const SHAPE_KEYS = [
  'hidden_size',
  'intermediate_size',
  'num_attention_heads',
  'num_hidden_layers',
  'num_key_value_heads',
  'max_position_embeddings',
  'vocab_size',
  'rms_norm_eps',
] as const;

/** config.json as exported, and the keys the export had to add. */
export interface CompletedConfig {
  readonly config: Readonly<Record<string, unknown>>;
  readonly added: readonly string[];
}

/**
 * Check config.json against the safetensors header and complete it for transformers; throws
 * CHECKPOINT_CONFIG_INVALID (DataLoss) for a config that cannot describe this model.
 */
export function completeLlamaConfig(configBytes: Uint8Array, header: SafetensorsHeader): CompletedConfig {
  const invalid = (message: string): CohortError =>
    bad(`config.json: ${message}`, 'CHECKPOINT_CONFIG_INVALID');
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(configBytes));
  } catch {
    throw invalid('not UTF-8 JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw invalid('not a JSON object');
  const config: Record<string, unknown> = { ...(parsed as Record<string, unknown>) };
  const added: string[] = [];
  const add = (key: string, value: unknown): void => {
    if (config[key] === undefined) {
      config[key] = value;
      added.push(key);
    }
  };

  for (const key of SHAPE_KEYS) {
    const v = config[key];
    if (typeof v !== 'number' || !(v > 0))
      throw invalid(`${key} must be a positive number, not ${JSON.stringify(v)}`);
  }
  const rope = config.rope_parameters as { rope_theta?: unknown } | undefined;
  if (typeof config.rope_theta !== 'number' && typeof rope?.rope_theta !== 'number') {
    throw invalid('rope_theta is missing');
  }
  add('model_type', 'llama');
  add('architectures', ['LlamaForCausalLM']);
  if (config.model_type !== 'llama')
    throw invalid(`model_type is ${JSON.stringify(config.model_type)}, not "llama"`);
  const architectures = config.architectures;
  if (!Array.isArray(architectures) || !architectures.includes('LlamaForCausalLM')) {
    throw invalid(`architectures ${JSON.stringify(architectures)} does not name LlamaForCausalLM`);
  }
  const vocabSize = config.vocab_size as number;
  if (vocabSize < GPT2_VOCAB_SIZE) {
    throw invalid(`vocab_size ${vocabSize} is below the tokenizer's ${GPT2_VOCAB_SIZE} tokens`);
  }

  if (header.metadata.format !== 'pt') {
    throw bad(
      `model.safetensors: metadata format is ${JSON.stringify(header.metadata.format)}, not "pt" (transformers needs it)`,
      'SAFETENSORS_INVALID',
    );
  }
  const tied = !header.tensors.has('lm_head.weight');
  add('tie_word_embeddings', tied);
  if (config.tie_word_embeddings !== tied) {
    throw invalid(
      `tie_word_embeddings is ${String(config.tie_word_embeddings)} but the model has ${tied ? 'no ' : ''}lm_head.weight`,
    );
  }
  const expected = llamaTensorNames(config.num_hidden_layers as number, tied);
  const missing = expected.filter((n) => !header.tensors.has(n));
  const unexpected = [...header.tensors.keys()].filter((n) => !expected.includes(n));
  if (missing.length > 0 || unexpected.length > 0) {
    throw bad(
      `model.safetensors is not LlamaForCausalLM with ${String(config.num_hidden_layers)} layers: missing ${missing.slice(0, 3).join(', ') || 'none'}, unexpected ${unexpected.slice(0, 3).join(', ') || 'none'}`,
      'SAFETENSORS_INVALID',
    );
  }
  const embed = header.tensors.get('model.embed_tokens.weight')!;
  if (embed.shape.length !== 2 || embed.shape[0] !== vocabSize || embed.shape[1] !== config.hidden_size) {
    throw invalid(
      `model.embed_tokens.weight is [${embed.shape.join(', ')}], not [vocab_size ${vocabSize}, hidden_size ${String(config.hidden_size)}]`,
    );
  }
  const dtype = TORCH_DTYPES[embed.dtype];
  if (dtype === undefined)
    throw bad(`model.safetensors: unexpected dtype ${embed.dtype}`, 'SAFETENSORS_INVALID');
  add('torch_dtype', dtype);
  // LlamaConfig's defaults (1 and 2) are SentencePiece ids; cohort's models speak GPT-2 BPE.
  add('bos_token_id', GPT2_END_OF_TEXT_ID);
  add('eos_token_id', GPT2_END_OF_TEXT_ID);
  return { config, added };
}

/**
 * generation_config.json: the model's BOS/EOS, EOS as padding (GPT-2 has no pad token), and, when the
 * embedding is padded past the tokenizer (vocab_size 50304 for 50257 tokens), those ids suppressed so
 * `generate` never samples a token the tokenizer cannot decode.
 */
export function generationConfig(config: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const vocabSize = config.vocab_size as number;
  return {
    bos_token_id: config.bos_token_id,
    eos_token_id: config.eos_token_id,
    pad_token_id: config.eos_token_id,
    ...(vocabSize > GPT2_VOCAB_SIZE
      ? {
          suppress_tokens: Array.from({ length: vocabSize - GPT2_VOCAB_SIZE }, (_, i) => GPT2_VOCAB_SIZE + i),
        }
      : {}),
  };
}
