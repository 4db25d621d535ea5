/**
 * Datasets for the engine: an open `cohort-shards/1` dataset (docs/data.md), memory-mapped by the native
 * engine so training reads tokens without copying them through JS. Open once, share with any number of
 * engines, close when done.
 */
import { IllegalStateError, InvalidArgumentError, expectedMessage } from '@cohort/core';

import { nativeAddon } from './addon.js';
import type { NativeDataset } from './addon.js';
import { mapNativeError } from './errors.js';

/** The two splits of a dataset. */
export type Split = 'train' | 'heldout';

/** An open dataset. Methods throw {@link IllegalStateError} after {@link Dataset.close}. */
export class Dataset {
  readonly #native: NativeDataset;
  #closed = false;

  /** @internal use {@link openDataset}. */
  constructor(native: NativeDataset) {
    this.#native = native;
  }

  /** Tokens per sample. */
  get seqLen(): number {
    return this.#native.seqLen;
  }

  /** The tokenizer's vocabulary size (every token id is below it). */
  get vocabSize(): number {
    return this.#native.vocabSize;
  }

  /** Number of samples in `split`. */
  sampleCount(split: Split): number {
    return this.#call(() => this.#native.sampleCount(split));
  }

  /** The stored 64-bit ids of the given samples (for data receipts). */
  sampleIds(split: Split, indices: Uint32Array): BigUint64Array {
    return this.#call(() => this.#native.sampleIds(split, indices));
  }

  /** Drop this handle; calls already in flight keep the mapping until they finish. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#native.close();
  }

  /** @internal the handle engines pass to the addon. */
  native(): NativeDataset {
    if (this.#closed) throw new IllegalStateError('the dataset was closed', { reason: 'DATASET_CLOSED' });
    return this.#native;
  }

  #call<T>(fn: () => T): T {
    this.native();
    try {
      return fn();
    } catch (error) {
      throw mapNativeError(error);
    }
  }
}

/**
 * Open the dataset whose manifest is at `manifestPath`. Validates the manifest and every file's size (and,
 * with `verifyHashes`, every file's BLAKE2b-256) on a worker thread; rejects with
 * {@link InvalidArgumentError} naming the file and field on any problem.
 */
export async function openDataset(
  manifestPath: string,
  options: { verifyHashes?: boolean } = {},
): Promise<Dataset> {
  if (typeof manifestPath !== 'string' || manifestPath === '') {
    throw new InvalidArgumentError(expectedMessage('a manifest path', 'manifestPath', manifestPath), {
      reason: 'BAD_PATH',
    });
  }
  try {
    return new Dataset(await nativeAddon().binding.openDataset(manifestPath, options.verifyHashes ?? false));
  } catch (error) {
    throw mapNativeError(error);
  }
}
