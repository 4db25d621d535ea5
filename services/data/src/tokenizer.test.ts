import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createGpt2Tokenizer } from './tokenizer.js';

const tokenizer = createGpt2Tokenizer();

test('GPT-2 BPE: the reference ids, vocabulary and EOS', () => {
  assert.deepEqual(tokenizer.encode('Hello world'), [15496, 995]);
  assert.equal(tokenizer.vocabSize, 50257);
  assert.equal(tokenizer.eosToken, 50256);
  assert.equal(tokenizer.name, 'gpt2');
  assert.match(tokenizer.package, /^gpt-tokenizer@\d+\.\d+\.\d+$/);
});

test('encode/decode round-trips text, including non-ASCII and whitespace', () => {
  for (const text of [
    'The Fulton County Grand Jury said Friday.',
    'naïve café — 東京 🚀\n\n\ttabs  and  spaces',
    '',
  ]) {
    assert.equal(tokenizer.decode(tokenizer.encode(text)), text);
  }
});

test('a literal <|endoftext|> in a document is text, never the EOS token', () => {
  const tokens = tokenizer.encode('a<|endoftext|>b');
  assert.ok(!tokens.includes(tokenizer.eosToken));
  assert.equal(tokenizer.decode(tokens), 'a<|endoftext|>b');
});
