/**
 * The Hugging Face files of cohort's tokenizer, so an exported checkpoint loads with `AutoTokenizer`:
 * GPT-2's `vocab.json` and `merges.txt`, plus `tokenizer_config.json` and `special_tokens_map.json`.
 *
 * They are derived from the r50k_base ranks that `gpt-tokenizer` ships (the ranks the data pipeline
 * tokenizes with), not from a copy of OpenAI's files: rank r is token id r, the 256 single bytes come
 * first, and every later rank is one merge. The merge that made rank r is found by running the BPE on
 * the token's own bytes with only the ranks below r: what is left are the two parts it joined. Token
 * strings use GPT-2's byte-to-unicode table (a space is `Ġ`, a newline `Ċ`), as `GPT2Tokenizer` reads them.
 */
import ranks from 'gpt-tokenizer/bpeRanks/r50k_base';
import { InternalError } from '@cohort/core';

/** GPT-2's only special token: document separator, BOS, EOS and UNK at once. */
export const GPT2_END_OF_TEXT = '<|endoftext|>';
/** Id of {@link GPT2_END_OF_TEXT}. */
export const GPT2_END_OF_TEXT_ID = 50256;
/** Tokens of GPT-2 BPE: 256 bytes, 50,000 merges and `<|endoftext|>`. */
export const GPT2_VOCAB_SIZE = 50257;

/**
 * GPT-2's `bytes_to_unicode`: byte b → a printable character. The printable Latin-1 bytes map to
 * themselves; the other 68 (controls, space, DEL, NBSP, soft hyphen) to U+0100 onwards in byte order.
 */
export function gpt2ByteToUnicode(): string[] {
  const table: string[] = [];
  const printable = (b: number): boolean =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let next = 0x100;
  for (let b = 0; b < 256; b++) table.push(String.fromCharCode(printable(b) ? b : next++));
  return table;
}

/** GPT-2 BPE as `GPT2Tokenizer` holds it. */
export interface Gpt2Vocabulary {
  /** Token id → token string (byte-to-unicode form); the last is `<|endoftext|>`. */
  readonly tokens: readonly string[];
  /** The merges in rank order: merge i made token 256 + i. */
  readonly merges: readonly (readonly [string, string])[];
}

const invalid = (message: string): never => {
  throw new InternalError(`gpt-tokenizer's r50k_base ranks: ${message}`, {
    reason: 'TOKENIZER_RANKS_INVALID',
  });
};

let cached: Gpt2Vocabulary | undefined;

/** The vocabulary and merges of r50k_base (computed once, about 0.2 s, then cached). */
export function gpt2Vocabulary(): Gpt2Vocabulary {
  if (cached !== undefined) return cached;
  const encoder = new TextEncoder();
  // Each token's bytes as a "binary string" (one char per byte): a cheap Map key.
  const keys = ranks.map((entry) =>
    String.fromCharCode(...(typeof entry === 'string' ? encoder.encode(entry) : entry)),
  );
  if (keys.length !== GPT2_VOCAB_SIZE - 1) invalid(`${keys.length} ranks, not ${GPT2_VOCAB_SIZE - 1}`);
  const rankOf = new Map<string, number>();
  keys.forEach((key, rank) => {
    if (rankOf.has(key)) invalid(`rank ${rank} repeats rank ${rankOf.get(key)}`);
    rankOf.set(key, rank);
  });
  for (let b = 0; b < 256; b++) {
    const rank = rankOf.get(String.fromCharCode(b));
    if (rank === undefined || rank >= 256) invalid(`byte ${b} is not among the first 256 ranks`);
  }
  const merges: [string, string][] = [];
  for (let rank = 256; rank < keys.length; rank++) {
    const parts = [...keys[rank]!];
    for (;;) {
      let best = -1;
      let bestRank = rank;
      for (let i = 0; i + 1 < parts.length; i++) {
        const r = rankOf.get(parts[i]! + parts[i + 1]!);
        if (r !== undefined && r < bestRank) {
          best = i;
          bestRank = r;
        }
      }
      if (best < 0) break;
      parts.splice(best, 2, parts[best]! + parts[best + 1]!);
    }
    if (parts.length !== 2) invalid(`rank ${rank} is not one merge of two lower ranks`);
    merges.push([parts[0]!, parts[1]!]);
  }
  const byteChar = gpt2ByteToUnicode();
  const show = (key: string): string => Array.from(key, (c) => byteChar[c.charCodeAt(0)]!).join('');
  cached = {
    tokens: [...keys.map(show), GPT2_END_OF_TEXT],
    merges: merges.map(([a, b]) => [show(a), show(b)] as const),
  };
  return cached;
}

/** Options of {@link gpt2TokenizerFiles}. */
export interface HfTokenizerOptions {
  /** `model_max_length`: the model's context (its `max_position_embeddings`). */
  readonly modelMaxLength: number;
}

/**
 * The Hugging Face GPT-2 tokenizer files, file name → content: `vocab.json`, `merges.txt`,
 * `tokenizer_config.json` and `special_tokens_map.json`.
 */
export function gpt2TokenizerFiles(options: HfTokenizerOptions): ReadonlyMap<string, string> {
  const { tokens, merges } = gpt2Vocabulary();
  // Written by hand to keep id order: a JS object would move integer-like keys ("0", "100") first.
  const vocab = `{${tokens.map((t, id) => `${JSON.stringify(t)}: ${id}`).join(', ')}}\n`;
  // GPT2Tokenizer drops the last line of merges.txt, so it must end with a newline.
  const mergesText = ['#version: 0.2', ...merges.map(([a, b]) => `${a} ${b}`)].join('\n') + '\n';
  const special = { bos_token: GPT2_END_OF_TEXT, eos_token: GPT2_END_OF_TEXT, unk_token: GPT2_END_OF_TEXT };
  const config = {
    add_bos_token: false,
    add_prefix_space: false,
    added_tokens_decoder: {
      [GPT2_END_OF_TEXT_ID]: {
        content: GPT2_END_OF_TEXT,
        lstrip: false,
        normalized: true,
        rstrip: false,
        single_word: false,
        special: true,
      },
    },
    ...special,
    // Decoding gives back the exact text (no " ." → "." clean-up), as gpt-tokenizer's decode does.
    clean_up_tokenization_spaces: false,
    errors: 'replace',
    model_max_length: options.modelMaxLength,
    pad_token: null,
    tokenizer_class: 'GPT2Tokenizer',
  };
  const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
  return new Map([
    ['vocab.json', vocab],
    ['merges.txt', mergesText],
    ['tokenizer_config.json', json(config)],
    ['special_tokens_map.json', json(special)],
  ]);
}
