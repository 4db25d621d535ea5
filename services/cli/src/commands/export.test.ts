import assert from 'node:assert/strict';
import { mkdtemp, open, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { checkpointStoreService, configSpec } from '@cohort/checkpoint-store';
import {
  CohortError,
  Code,
  blake2b256,
  checkpointKeys,
  encodeCheckpointManifest,
  encodeLatest,
  latestKey,
  encodeSs58,
  hotkeyFromSeed,
} from '@cohort/core';
import { StoreClient, createLogger, loadConfig, startService } from '@cohort/kit';
import type { RunningService } from '@cohort/kit';
import { createEngine } from '@cohort/native';
import { runCli } from '../run-cli.js';
import { completeLlamaConfig, readSafetensorsHeader } from './hf-checkpoint.js';

const SIGNER = hotkeyFromSeed(new Uint8Array(32).fill(9));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const reason =
  (r: string, code: number) =>
  (e: unknown): boolean =>
    e instanceof CohortError && e.reason === r && e.code === code;

/** The header of a safetensors file: 8-byte little-endian length, then JSON. */
function safetensorsHeader(bytes: Buffer): {
  metadata: Record<string, string> | undefined;
  tensors: Record<string, { dtype: string; shape: number[] } | undefined>;
} {
  const length = Number(bytes.readBigUInt64LE(0));
  const { __metadata__: metadata, ...tensors } = JSON.parse(
    bytes.subarray(8, 8 + length).toString('utf8'),
  ) as Record<string, unknown>;
  return {
    metadata: metadata as Record<string, string> | undefined,
    tensors: tensors as Record<string, { dtype: string; shape: number[] }>,
  };
}

const root = await mkdtemp(join(tmpdir(), 'cohort-cli-export-'));
const storeRoot = join(root, 'store');
let service: RunningService | undefined;
let store: string;
let model: Buffer;
let config: Buffer;

before(async () => {
  const engine = await createEngine({ preset: 'devnet', seed: 7 });
  const checkpoint = join(root, 'checkpoint');
  await engine.saveCheckpoint(checkpoint);
  const stateFingerprint = await engine.stateFingerprint();
  await engine.dispose();
  model = await readFile(join(checkpoint, 'model.safetensors'));
  config = await readFile(join(checkpoint, 'config.json'));

  const { config: storeConfig } = loadConfig(configSpec, {
    env: { COHORT_FS_ROOT: storeRoot, COHORT_GRPC_PORT: '0', COHORT_METRICS_PORT: '0' },
  });
  service = await startService(
    checkpointStoreService,
    storeConfig,
    createLogger({ service: 'checkpoint-store', write: () => undefined }),
  );
  await service.started;
  store = `127.0.0.1:${service.grpcPort}`;

  const client = new StoreClient(store);
  const manifestOf = (window: number): Uint8Array =>
    encodeCheckpointManifest(
      {
        runId: 'devnet',
        window,
        preset: 'devnet',
        stateFingerprint,
        model: { sizeBytes: model.length, blake2b256: hex(blake2b256(model)) },
        config: { sizeBytes: config.length, blake2b256: hex(blake2b256(config)) },
        createdUnixMs: Date.now(),
      },
      hotkeyFromSeed(new Uint8Array(32).fill(9)),
    );
  const publish = async (window: number, modelBytes: Uint8Array): Promise<void> => {
    const keys = checkpointKeys('devnet', window);
    await client.put(keys.model, modelBytes);
    await client.put(keys.config, config);
    await client.put(keys.manifest, manifestOf(window));
  };
  try {
    await publish(1, model);
    await publish(3, model);
    await client.put(latestKey('devnet'), encodeLatest(3));
    // Window 5: a model.safetensors with one byte changed under the honest manifest.
    const doctored = Buffer.from(model);
    doctored.writeUInt8(doctored.readUInt8(doctored.length - 1) ^ 0x01, doctored.length - 1);
    await publish(5, doctored);
  } finally {
    client.close();
  }
});

after(async () => {
  await service?.shutdown('test over');
  await rm(root, { recursive: true, force: true });
});

describe('cohort export', () => {
  const out = join(root, 'hf');

  test('LATEST: a Hugging Face LlamaForCausalLM directory with the GPT-2 tokenizer', async () => {
    const text = await runCli(['export', '--store', store, '--out', out]);
    assert.match(text, /^exported the checkpoint of window 3 \(run devnet, preset devnet\)/);
    assert.match(text, /config\.json +as published/);
    assert.match(text, /vocab_size 50304: ids 50257–50303 pad the embedding/);
    assert.deepEqual((await readdir(out)).sort(), [
      'config.json',
      'generation_config.json',
      'merges.txt',
      'model.safetensors',
      'special_tokens_map.json',
      'tokenizer_config.json',
      'vocab.json',
    ]);

    const exportedModel = await readFile(join(out, 'model.safetensors'));
    assert.equal(hex(blake2b256(exportedModel)), hex(blake2b256(model)));
    const exportedConfig = await readFile(join(out, 'config.json'));
    assert.equal(hex(blake2b256(exportedConfig)), hex(blake2b256(config)), 'the engine config needs no fix');

    const hf = JSON.parse(exportedConfig.toString('utf8')) as Record<string, unknown>;
    assert.deepEqual(hf.architectures, ['LlamaForCausalLM']);
    assert.equal(hf.model_type, 'llama');
    for (const [key, value] of Object.entries({
      hidden_size: 128,
      intermediate_size: 384,
      num_attention_heads: 4,
      num_hidden_layers: 4,
      num_key_value_heads: 2,
      max_position_embeddings: 256,
      vocab_size: 50304,
      rope_theta: 10000,
      tie_word_embeddings: true,
      torch_dtype: 'float32',
      bos_token_id: 50256,
      eos_token_id: 50256,
    })) {
      assert.equal(hf[key], value, key);
    }
    assert.equal(typeof hf.rms_norm_eps, 'number');

    const header = safetensorsHeader(exportedModel);
    assert.equal(header.metadata?.format, 'pt');
    const names = Object.keys(header.tensors);
    assert.equal(names.length, 1 + 4 * 9 + 1);
    for (const name of [
      'model.embed_tokens.weight',
      'model.layers.0.self_attn.q_proj.weight',
      'model.layers.0.self_attn.k_proj.weight',
      'model.layers.3.mlp.down_proj.weight',
      'model.layers.3.post_attention_layernorm.weight',
      'model.norm.weight',
    ]) {
      assert.ok(names.includes(name), name);
    }
    assert.ok(!names.includes('lm_head.weight'), 'tied embeddings');
    assert.deepEqual(header.tensors['model.embed_tokens.weight']?.shape, [50304, 128]);
    assert.deepEqual(header.tensors['model.layers.0.self_attn.k_proj.weight']?.shape, [64, 128]);

    const generation = JSON.parse(await readFile(join(out, 'generation_config.json'), 'utf8')) as {
      eos_token_id: number;
      suppress_tokens: number[];
    };
    assert.equal(generation.eos_token_id, 50256);
    assert.equal(generation.suppress_tokens.length, 50304 - 50257);
    assert.equal(generation.suppress_tokens[0], 50257);
    const tokenizerConfig = JSON.parse(await readFile(join(out, 'tokenizer_config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    assert.equal(tokenizerConfig.tokenizer_class, 'GPT2Tokenizer');
    assert.equal(tokenizerConfig.model_max_length, 256);
    const vocab = JSON.parse(await readFile(join(out, 'vocab.json'), 'utf8')) as Record<string, number>;
    assert.equal(Object.keys(vocab).length, 50257);
    const merges = (await readFile(join(out, 'merges.txt'), 'utf8')).split('\n');
    assert.equal(merges[0], '#version: 0.2');
    assert.equal(merges[1], 'Ġ t');
  });

  test('an existing non-empty --out is refused, and replaced with --force', async () => {
    await assert.rejects(
      runCli(['export', '--store', store, '--out', out, '--window', '1']),
      reason('OUTPUT_NOT_EMPTY', Code.InvalidArgument),
    );
    await writeFile(join(out, 'stale.txt'), 'old');
    const text = await runCli(['export', '--store', store, '--out', out, '--window', '1', '--force']);
    assert.match(text, /window 1 /);
    assert.ok(!(await readdir(out)).includes('stale.txt'));
    assert.deepEqual(
      (await readdir(root)).filter((n) => n.startsWith('hf.')),
      [],
      'no temp or old directory left',
    );
  });

  test('--aggregator: the trusted signer exports, another is refused; the summary names the signer', async () => {
    const signer = encodeSs58(SIGNER.publicKey);
    const trusted = join(root, 'trusted');
    const text = await runCli(['export', '--store', store, '--out', trusted, '--aggregator', signer]);
    assert.match(text, new RegExp(`signed by ${signer}, the run's aggregator`));
    const other = encodeSs58(hotkeyFromSeed(new Uint8Array(32).fill(10)).publicKey);
    await assert.rejects(
      runCli(['export', '--store', store, '--out', join(root, 'untrusted'), '--aggregator', other]),
      (e: unknown) => reason('MANIFEST_UNTRUSTED', Code.DataLoss)(e) && (e as Error).message.includes(signer),
    );
    await assert.rejects(
      runCli(['export', '--store', store, '--out', join(root, 'untrusted'), '--aggregator', 'nope']),
      reason('BAD_SS58', Code.InvalidArgument),
    );
    assert.ok(!(await readdir(root)).some((n) => n.startsWith('untrusted')), 'nothing written');
    const unchecked = await runCli(['export', '--store', store, '--out', join(root, 'unchecked')]);
    assert.match(unchecked, /signed by \S+ \(not checked against the run: pass --aggregator\)/);
  });

  test('a window without a checkpoint names the available ones', async () => {
    await assert.rejects(
      runCli(['export', '--store', store, '--out', join(root, 'none'), '--window', '4']),
      (e: unknown) =>
        reason('CHECKPOINT_NOT_FOUND', Code.NotFound)(e) &&
        /checkpoints of run "devnet": 5, 3, 1/.test((e as Error).message),
    );
    await assert.rejects(
      runCli(['export', '--store', store, '--run', 'empty', '--out', join(root, 'none')]),
      reason('NO_CHECKPOINT', Code.NotFound),
    );
  });

  test('a tampered file fails the export and leaves no output', async () => {
    const tampered = join(root, 'tampered');
    // The store holds other bytes than the manifest names (the store's own hash disagrees).
    await assert.rejects(
      runCli(['export', '--store', store, '--out', tampered, '--window', '5']),
      reason('CHECKPOINT_FILE_MISMATCH', Code.DataLoss),
    );
    // Bytes changed behind the store's back: its recorded hash still matches, what arrives does not.
    const file = await open(join(storeRoot, 'objects', checkpointKeys('devnet', 1).model), 'r+');
    try {
      const at = model.length - 2;
      await file.write(Buffer.from([model.readUInt8(at) ^ 0xff]), 0, 1, at);
    } finally {
      await file.close();
    }
    await assert.rejects(
      runCli(['export', '--store', store, '--out', tampered, '--window', '1']),
      (e: unknown) =>
        reason('CHECKPOINT_FILE_MISMATCH', Code.DataLoss)(e) &&
        /the bytes of .* hash to/.test((e as Error).message),
    );
    assert.deepEqual(
      (await readdir(root)).filter((n) => n.startsWith('tampered')),
      [],
      'neither the output nor its temp directory exists',
    );
  });

  test('config.json: keys that follow from the checkpoint are added, shape keys are required', async () => {
    const header = await readSafetensorsHeader(join(root, 'checkpoint', 'model.safetensors'));
    const full = JSON.parse(config.toString('utf8')) as Record<string, unknown>;
    assert.deepEqual(completeLlamaConfig(config, header).added, []);
    const stripped = { ...full };
    for (const key of [
      'architectures',
      'model_type',
      'tie_word_embeddings',
      'torch_dtype',
      'bos_token_id',
      'eos_token_id',
    ]) {
      delete stripped[key];
    }
    const completed = completeLlamaConfig(Buffer.from(JSON.stringify(stripped)), header);
    assert.deepEqual([...completed.added].sort(), [
      'architectures',
      'bos_token_id',
      'eos_token_id',
      'model_type',
      'tie_word_embeddings',
      'torch_dtype',
    ]);
    assert.deepEqual(completed.config, full);
    const refused = (changes: Record<string, unknown>): void =>
      assert.throws(
        () => completeLlamaConfig(Buffer.from(JSON.stringify({ ...full, ...changes })), header),
        reason('CHECKPOINT_CONFIG_INVALID', Code.DataLoss),
        JSON.stringify(changes),
      );
    refused({ hidden_size: undefined });
    refused({ vocab_size: 50000 });
    refused({ tie_word_embeddings: false });
    refused({ model_type: 'gpt2' });
  });

  test('misuse', async () => {
    await assert.rejects(runCli(['export', '--store', store]), reason('MISSING_FLAG', Code.InvalidArgument));
    await assert.rejects(
      runCli(['export', '--out', join(root, 'x'), '--window', 'latest']),
      reason('INVALID_FLAG_VALUE', Code.InvalidArgument),
    );
    await assert.rejects(
      runCli(['export', '--out', join(root, 'x'), 'stray']),
      reason('INVALID_FLAGS', Code.InvalidArgument),
    );
  });
});
