/**
 * The tokenizer of cohort's datasets: GPT-2 BPE (OpenAI's r50k_base ranks) from the npm package
 * `gpt-tokenizer`, which bundles its ranks, so preparing data works offline and gives the same ids on
 * every machine. The manifest records the exact package version.
 */
import { createRequire } from 'node:module';
import { decode, encode, vocabularySize } from 'gpt-tokenizer/encoding/r50k_base';

/** A tokenizer as the pipeline uses it: the manifest's `tokenizer` section plus encode/decode. */
export interface Tokenizer {
  /** Tokenizer family written to the manifest (`gpt2`). */
  readonly name: string;
  /** `<npm name>@<version>` of the implementation, written to the manifest. */
  readonly package: string;
  /** Every token id is below this. */
  readonly vocabSize: number;
  /** The id appended after every document. */
  readonly eosToken: number;
  /** Token ids of `text`. Special-token text such as `<|endoftext|>` is encoded as plain text. */
  encode(text: string): number[];
  /** The text of `tokens` (for tests and inspection). */
  decode(tokens: readonly number[]): string;
}

const GPT2_EOS = 50256;
// No special tokens in documents: a literal "<|endoftext|>" in a corpus must not become EOS.
const plainText = { disallowedSpecial: new Set<string>() };

/** The GPT-2 tokenizer (vocabulary 50257, EOS 50256). */
export function createGpt2Tokenizer(): Tokenizer {
  const pkg = createRequire(import.meta.url)('gpt-tokenizer/package.json') as { version: string };
  return {
    name: 'gpt2',
    package: `gpt-tokenizer@${pkg.version}`,
    vocabSize: vocabularySize,
    eosToken: GPT2_EOS,
    encode: (text) => encode(text, plainText),
    decode: (tokens) => decode(tokens),
  };
}
