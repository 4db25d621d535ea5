import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GPT2_END_OF_TEXT, GPT2_VOCAB_SIZE, gpt2ByteToUnicode, gpt2TokenizerFiles } from './hf-tokenizer.js';
import { createGpt2Tokenizer } from './tokenizer.js';

const tokenizer = createGpt2Tokenizer();
const files = gpt2TokenizerFiles({ modelMaxLength: 256 });
const vocab = JSON.parse(files.get('vocab.json')!) as Record<string, number>;
const mergeLines = files.get('merges.txt')!.split('\n');
const byteChar = gpt2ByteToUnicode();
const mergeRank = new Map(mergeLines.slice(1, -1).map((line, rank) => [line, rank]));

/**
 * GPT2Tokenizer's algorithm, from the files alone: split with GPT-2's pattern, map bytes to unicode,
 * merge the pair of lowest merges.txt rank until none is left, look the pieces up in vocab.json.
 */
function hfEncode(text: string): number[] {
  const pattern = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
  const ids: number[] = [];
  for (const [piece] of text.matchAll(pattern)) {
    let parts = Array.from(new TextEncoder().encode(piece), (b) => byteChar[b]!);
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < parts.length; i++) {
        const rank = mergeRank.get(`${parts[i]} ${parts[i + 1]}`);
        if (rank !== undefined && rank < bestRank) [best, bestRank] = [i, rank];
      }
      if (best < 0) break;
      const [first, second] = [parts[best]!, parts[best + 1]!];
      const next: string[] = [];
      // HF merges every occurrence of the best pair in one pass, left to right.
      for (let i = 0; i < parts.length; i++) {
        if (parts[i] === first && parts[i + 1] === second) {
          next.push(first + second);
          i++;
        } else next.push(parts[i]!);
      }
      parts = next;
    }
    for (const p of parts) ids.push(vocab[p]!);
  }
  return ids;
}

test('vocab.json: 50257 ids in order, matching gpt-tokenizer', () => {
  const entries = Object.entries(vocab);
  assert.equal(entries.length, GPT2_VOCAB_SIZE);
  assert.deepEqual(
    [...new Set(Object.values(vocab))].sort((a, b) => a - b),
    Array.from({ length: GPT2_VOCAB_SIZE }, (_, i) => i),
  );
  assert.equal(vocab[GPT2_END_OF_TEXT], 50256);
  assert.ok(files.get('vocab.json')!.startsWith('{"!": 0, "\\"": 1, "#": 2,'));
  for (const [word, token] of [
    [' the', 'Ġthe'],
    ['Hello', 'Hello'],
    [' world', 'Ġworld'],
    ['\n', 'Ċ'],
  ] as const) {
    assert.deepEqual(tokenizer.encode(word), [vocab[token]], word);
  }
  assert.equal(vocab['Ġthe'], 262);
  assert.equal(vocab.Hello, 15496);
});

test('merges.txt: header, 50000 merges in rank order, first "Ġ t"', () => {
  assert.equal(mergeLines[0], '#version: 0.2');
  assert.equal(mergeLines.at(-1), '', 'ends with a newline (GPT2Tokenizer drops the last line)');
  const merges = mergeLines.slice(1, -1);
  assert.equal(merges.length, 50000);
  assert.equal(merges[0], 'Ġ t');
  assert.equal(merges[1], 'Ġ a');
  // Merge i makes token 256 + i.
  for (const i of [0, 1, 7, 1000, 49999]) {
    const [a, b] = merges[i]!.split(' ');
    assert.equal(vocab[a! + b!], 256 + i, merges[i]);
  }
});

test('the files tokenize like gpt-tokenizer (HF BPE by merge rank)', () => {
  for (const text of [
    'The Fulton County Grand Jury said Friday an investigation of recent primary elections.',
    "It's 3.14159 o'clock; they'll see   spaces\n\n\ttabs and CamelCaseWords!!",
    'naïve café — 東京 🚀 Ωμέγα ﬁ\u00a0nbsp\u00ad',
  ]) {
    assert.deepEqual(hfEncode(text), tokenizer.encode(text), text);
  }
});

test('tokenizer_config.json and special_tokens_map.json', () => {
  const config = JSON.parse(files.get('tokenizer_config.json')!) as Record<string, unknown>;
  assert.equal(config.tokenizer_class, 'GPT2Tokenizer');
  assert.equal(config.model_max_length, 256);
  for (const key of ['bos_token', 'eos_token', 'unk_token']) assert.equal(config[key], GPT2_END_OF_TEXT);
  assert.deepEqual(JSON.parse(files.get('special_tokens_map.json')!), {
    bos_token: GPT2_END_OF_TEXT,
    eos_token: GPT2_END_OF_TEXT,
    unk_token: GPT2_END_OF_TEXT,
  });
});
