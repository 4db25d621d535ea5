/**
 * `cohort export`: turn a run's checkpoint into a directory Hugging Face `transformers` loads with
 * `AutoModelForCausalLM` (LlamaForCausalLM) and `AutoTokenizer` (GPT-2 BPE, the data pipeline's
 * tokenizer). Both checkpoint files are streamed from the checkpoint-store and checked against the
 * manifest (size and BLAKE2b-256, as the store hashed them and as the bytes arrived) before anything is
 * published: the directory is built as `<out>.tmp-*` and renamed into place, so a failed export leaves
 * no output. The manifest's signature is always checked; `--aggregator` also requires its signer to be
 * the run's aggregator (ADR 0016), and the summary names the signer either way. `scripts/check-hf-export.py` loads the result with transformers and generates.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import {
  CohortError,
  Code,
  checkpointKeys,
  createBlake2b256,
  decodeSs58,
  latestKey,
  parseCheckpointManifest,
  parseLatest,
  runPrefix,
  tryParseKey,
} from '@cohort/core';
import type { CheckpointFileEntry, CheckpointManifest } from '@cohort/core';
import { GPT2_VOCAB_SIZE, gpt2TokenizerFiles } from '@cohort/data';
import { StoreClient } from '@cohort/kit';
import type { CliIo } from '../cli-io.js';
import { completeLlamaConfig, generationConfig, readSafetensorsHeader } from './hf-checkpoint.js';
import { numberFlag, parseFlags, stringFlag } from './parse-flags.js';

/** Usage of `cohort export`. */
export const exportUsage = `usage: cohort export --out <dir> [--window <w>] [--store host:port] [--run <run>]
                     [--aggregator <ss58>] [--force]

  --out <dir>      the directory to write (must not exist or be empty, unless --force)
  --window <w>     the checkpoint of window w (default: the newest, as LATEST names it)
  --store <addr>   the checkpoint-store (default 127.0.0.1:50053)
  --run <run>      the run (default devnet)
  --aggregator <a> the run's aggregator (SS58): refuse a checkpoint another key signed
  --force          replace a non-empty --out

Writes model.safetensors and config.json (LlamaForCausalLM), generation_config.json and the GPT-2
tokenizer (vocab.json, merges.txt, tokenizer_config.json, special_tokens_map.json).
Check it on a machine with transformers: python3 scripts/check-hf-export.py <dir>`;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function misuse(message: string, reason: string): CohortError {
  return new CohortError(Code.InvalidArgument, `${message}\n\n${exportUsage}`, { reason });
}

function mismatch(message: string): CohortError {
  return new CohortError(Code.DataLoss, message, { reason: 'CHECKPOINT_FILE_MISMATCH' });
}

/** Windows of every checkpoint with a manifest, newest first. */
async function checkpointWindows(client: StoreClient, run: string): Promise<number[]> {
  const windows = new Set<number>();
  for (const info of await client.list(`${runPrefix(run)}checkpoints/`)) {
    const key = tryParseKey(info.key);
    if (key?.kind === 'checkpoint' && key.file === 'manifest.json') windows.add(key.window);
  }
  return [...windows].sort((a, b) => b - a);
}

/** The window `LATEST` names; without `LATEST`, the newest checkpoint with a manifest. */
async function newestWindow(client: StoreClient, run: string, store: string): Promise<number> {
  const latest = await client.get(latestKey(run));
  if (latest !== undefined) {
    try {
      return parseLatest(latest.bytes).window;
    } catch (error) {
      throw new CohortError(Code.DataLoss, `${latestKey(run)}: ${CohortError.from(error).message}`, {
        reason: 'LATEST_INVALID',
        cause: error,
      });
    }
  }
  const [newest] = await checkpointWindows(client, run);
  if (newest === undefined) {
    throw new CohortError(Code.NotFound, `run "${run}" has no checkpoint in the store at ${store}`, {
      reason: 'NO_CHECKPOINT',
    });
  }
  return newest;
}

async function readManifest(
  client: StoreClient,
  run: string,
  window: number,
  store: string,
  aggregator: string | undefined,
): Promise<CheckpointManifest> {
  const key = checkpointKeys(run, window).manifest;
  const object = await client.get(key);
  if (object === undefined) {
    const windows = await checkpointWindows(client, run);
    const available =
      windows.length === 0
        ? `run "${run}" has no checkpoint in the store at ${store}`
        : `checkpoints of run "${run}": ${windows.join(', ')}`;
    throw new CohortError(Code.NotFound, `no checkpoint of window ${window} (${key}); ${available}`, {
      reason: 'CHECKPOINT_NOT_FOUND',
      details: { available: windows.join(',') },
    });
  }
  try {
    return parseCheckpointManifest(object.bytes, { runId: run, window, aggregator });
  } catch (error) {
    const e = CohortError.from(error);
    throw new CohortError(Code.DataLoss, `${key}: ${e.message}`, {
      reason: e.reason ?? 'MANIFEST_INVALID',
      cause: error,
    });
  }
}

/**
 * Stream `key` into `sink`, checking it against the manifest's `entry`: the store's size and hash
 * before the first byte, the size while it streams, the hash of what arrived at the end.
 */
async function fetchChecked(
  client: StoreClient,
  key: string,
  entry: CheckpointFileEntry,
  sink: (chunk: Uint8Array) => Promise<void>,
): Promise<void> {
  const hasher = createBlake2b256();
  let announced = false;
  let received = 0;
  try {
    for await (const m of client.raw.get({ key })) {
      if (m.part.case === 'info') {
        const info = m.part.value;
        if (info.sizeBytes !== BigInt(entry.sizeBytes)) {
          throw mismatch(`${key} has ${info.sizeBytes} bytes; the manifest says ${entry.sizeBytes}`);
        }
        if (hex(info.blake2b256) !== entry.blake2b256) {
          throw mismatch(
            `${key} has BLAKE2b-256 ${hex(info.blake2b256)}; the manifest says ${entry.blake2b256}`,
          );
        }
        announced = true;
      } else if (m.part.case === 'chunk') {
        received += m.part.value.length;
        if (!announced || received > entry.sizeBytes) {
          throw mismatch(`the store streamed more of ${key} than the manifest's ${entry.sizeBytes} bytes`);
        }
        hasher.update(m.part.value);
        await sink(m.part.value);
      }
    }
  } catch (error) {
    if (error instanceof CohortError && error.code === Code.NotFound) {
      throw new CohortError(Code.DataLoss, `${key} is missing, though the manifest names it`, {
        reason: 'CHECKPOINT_FILE_MISSING',
        cause: error,
      });
    }
    throw error;
  }
  if (received !== entry.sizeBytes) {
    throw mismatch(`the store's stream of ${key} ended after ${received} of ${entry.sizeBytes} bytes`);
  }
  const digest = hex(hasher.digest());
  if (digest !== entry.blake2b256) {
    throw mismatch(`the bytes of ${key} hash to ${digest}; the manifest says ${entry.blake2b256}`);
  }
}

/** What `--out` holds now: nothing, an empty directory, or something. */
async function outState(out: string): Promise<'absent' | 'empty' | 'full'> {
  try {
    const s = await stat(out);
    if (!s.isDirectory()) return 'full';
    return (await readdir(out)).length === 0 ? 'empty' : 'full';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw error;
  }
}

async function checkOut(out: string, force: boolean): Promise<void> {
  if ((await outState(out)) === 'full' && !force) {
    throw new CohortError(
      Code.InvalidArgument,
      `${out} exists and is not an empty directory; choose another --out or add --force`,
      { reason: 'OUTPUT_NOT_EMPTY' },
    );
  }
}

/** Move the finished `tmp` directory to `out`, replacing what is there (checked by {@link checkOut}). */
async function publish(tmp: string, out: string, force: boolean): Promise<void> {
  await checkOut(out, force);
  const state = await outState(out);
  if (state === 'absent') return rename(tmp, out);
  if (state === 'empty') {
    await rm(out, { recursive: true });
    return rename(tmp, out);
  }
  const old = `${out}.old-${randomBytes(4).toString('hex')}`;
  await rename(out, old);
  await rename(tmp, out);
  await rm(old, { recursive: true, force: true });
}

const mib = (bytes: number): string => `${(bytes / 1024 ** 2).toFixed(1)} MiB`;

/**
 * Turn a directory holding the engine's `model.safetensors` and `config.json` (as `configBytes`) into
 * one transformers loads: the config completed for LlamaForCausalLM, the generation config and the
 * GPT-2 tokenizer files.
 */
async function completeHfDirectory(
  dir: string,
  configBytes: Buffer,
): Promise<{ added: readonly string[]; tokenizerFiles: ReadonlyMap<string, string>; vocabSize: number }> {
  const header = await readSafetensorsHeader(join(dir, 'model.safetensors'));
  const { config, added } = completeLlamaConfig(configBytes, header);
  const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
  // Unchanged, config.json keeps the published bytes (and the manifest's hash).
  await writeFile(join(dir, 'config.json'), added.length === 0 ? configBytes : json(config));
  await writeFile(join(dir, 'generation_config.json'), json(generationConfig(config)));
  const tokenizerFiles = gpt2TokenizerFiles({ modelMaxLength: config.max_position_embeddings as number });
  for (const [name, text] of tokenizerFiles) await writeFile(join(dir, name), text);
  return { added, tokenizerFiles, vocabSize: config.vocab_size as number };
}

/**
 * Export a model that is not in a store (the devnet's final θ, held by a replica): `writeModel` writes
 * the engine's `model.safetensors` and `config.json` into a scratch directory, which is completed as
 * {@link exportCheckpoint} does and renamed to `out` (which must not exist or be empty).
 */
export async function exportLocalModel(
  writeModel: (dir: string) => Promise<void>,
  out: string,
): Promise<void> {
  await checkOut(out, false);
  const tmp = join(dirname(out), `${basename(out)}.tmp-${randomBytes(4).toString('hex')}`);
  await mkdir(tmp, { recursive: true });
  try {
    await writeModel(tmp);
    await completeHfDirectory(tmp, await readFile(join(tmp, 'config.json')));
    await publish(tmp, out, false);
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
}

/** Run `cohort export <args>`. */
export async function exportCommand(args: readonly string[], io: CliIo): Promise<string> {
  const flags = parseFlags(
    args,
    {
      window: { type: 'string' },
      out: { type: 'string' },
      store: { type: 'string' },
      run: { type: 'string' },
      aggregator: { type: 'string' },
      force: { type: 'boolean' },
    },
    0,
    exportUsage,
  );
  const outFlag = stringFlag(flags, 'out');
  if (outFlag === undefined) throw misuse('--out is required', 'MISSING_FLAG');
  const out = resolve(outFlag);
  const force = flags.values.force === true;
  const store = stringFlag(flags, 'store') ?? '127.0.0.1:50053';
  const run = stringFlag(flags, 'run') ?? 'devnet';
  runPrefix(run); // a bad run id is misuse, before any connection
  const aggregator = stringFlag(flags, 'aggregator');
  if (aggregator !== undefined) {
    try {
      decodeSs58(aggregator);
    } catch {
      throw misuse(`--aggregator "${aggregator}" is not an SS58 address`, 'BAD_SS58');
    }
  }
  const windowFlag = numberFlag(flags, 'window', true);
  const done = await exportCheckpoint({ out, force, store, run, window: windowFlag, aggregator }, io);
  return done.summary;
}

/** What {@link exportCheckpoint} exports, and where. */
export interface ExportOptions {
  /** Absolute output directory. */
  readonly out: string;
  readonly force: boolean;
  /** The checkpoint-store's `host:port`. */
  readonly store: string;
  readonly run: string;
  /** The checkpoint's window (default: the newest). */
  readonly window: number | undefined;
  /** SS58 address of the run's aggregator: a manifest another key signed is refused. */
  readonly aggregator?: string | undefined;
}

/**
 * Export a checkpoint as a Hugging Face directory (the body of `cohort export`, also used by `cohort
 * devnet` for its report); resolves with the window exported and the command's summary.
 */
export async function exportCheckpoint(
  o: ExportOptions,
  io: CliIo,
): Promise<{ readonly window: number; readonly summary: string }> {
  const { out, force, store, run } = o;
  const windowFlag = o.window;
  await checkOut(out, force);

  const client = new StoreClient(store);
  const tmp = join(dirname(out), `${basename(out)}.tmp-${randomBytes(4).toString('hex')}`);
  try {
    const window = windowFlag ?? (await newestWindow(client, run, store));
    const manifest = await readManifest(client, run, window, store, o.aggregator);
    const keys = checkpointKeys(run, window);
    await mkdir(tmp, { recursive: true });

    io.progress(`cohort export: fetching ${keys.model} (${mib(manifest.model.sizeBytes)})`);
    const model = await open(join(tmp, 'model.safetensors'), 'w');
    try {
      await fetchChecked(client, keys.model, manifest.model, async (chunk) => {
        for (let at = 0; at < chunk.length;) at += (await model.write(chunk, at)).bytesWritten;
      });
      await model.sync();
    } finally {
      await model.close();
    }
    const configChunks: Uint8Array[] = [];
    await fetchChecked(client, keys.config, manifest.config, (chunk) => {
      configChunks.push(chunk.slice());
      return Promise.resolve();
    });
    const configBytes = Buffer.concat(configChunks);

    const { added, tokenizerFiles, vocabSize } = await completeHfDirectory(tmp, configBytes);

    await publish(tmp, out, force);
    const summary = [
      `exported the checkpoint of window ${window} (run ${run}, preset ${manifest.preset}) to ${out}`,
      `manifest           signed by ${manifest.signer}${o.aggregator === undefined ? ' (not checked against the run: pass --aggregator)' : ", the run's aggregator"}`,
      `model.safetensors  ${manifest.model.sizeBytes} bytes, BLAKE2b-256 ${manifest.model.blake2b256} (as the manifest says)`,
      `config.json        ${
        added.length === 0
          ? `as published, BLAKE2b-256 ${manifest.config.blake2b256} (as the manifest says)`
          : `completed for transformers: added ${added.join(', ')}`
      }`,
      `tokenizer          GPT-2 BPE, ${GPT2_VOCAB_SIZE} tokens: ${[...tokenizerFiles.keys()].join(', ')}, generation_config.json`,
      ...(vocabSize > GPT2_VOCAB_SIZE
        ? [
            `vocab_size ${vocabSize}: ids ${GPT2_VOCAB_SIZE}–${vocabSize - 1} pad the embedding; generation_config.json suppresses them`,
          ]
        : []),
      `check with transformers: python3 scripts/check-hf-export.py ${out}`,
    ].join('\n');
    return { window, summary };
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  } finally {
    client.close();
  }
}
