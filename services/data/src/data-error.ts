/**
 * The one error type of the data pipeline. Each reason is stable (tests, logs and the C++ reader's
 * messages use the same names) and maps to one code: bad user input is InvalidArgument (the CLI exits
 * 2), a dataset that does not match its manifest is DataLoss.
 */
import { CohortError, Code } from '@cohort/core';
import type { CohortErrorOptions } from '@cohort/core';

/** Why the data pipeline refused an input, an option or a dataset. */
export type DataReason =
  /** An option of prepare/open is out of range (seqLen, fraction, samplesPerShard, ...). */
  | 'DATA_INVALID_OPTION'
  /** The input path does not exist or cannot be read. */
  | 'INPUT_UNREADABLE'
  /** A document source is malformed: bad JSON line, missing text field, invalid UTF-8, unreadable Parquet. */
  | 'INPUT_INVALID'
  /** A line or document of the input is longer than the readers' cap (MAX_DOCUMENT_BYTES). */
  | 'INPUT_TOO_LARGE'
  /** The input changed between the counting pass and the tokenizing pass. */
  | 'INPUT_CHANGED'
  /** The corpus yields no complete training sample. */
  | 'CORPUS_TOO_SMALL'
  /** `prepare` refuses to write into a directory that already holds files. */
  | 'OUTPUT_NOT_EMPTY'
  /** The output directory cannot be created or listed. */
  | 'OUTPUT_UNWRITABLE'
  /** manifest.json or a shard file it lists does not exist. */
  | 'SHARD_FILE_MISSING'
  /** manifest.json is not JSON, or breaks the cohort-shards/1 schema. */
  | 'SHARD_MANIFEST_INVALID'
  /** A shard file's size differs from the manifest, or the manifest's sizes disagree with samples × seqLen. */
  | 'SHARD_SIZE_MISMATCH'
  /** manifest.json does not hash to the BLAKE2b-256 the configuration pins. */
  | 'MANIFEST_HASH_MISMATCH'
  /** Another live process uses the dataset cache directory. */
  | 'DATASET_CACHE_BUSY'
  /** A shard file's BLAKE2b-256 differs from the manifest. */
  | 'SHARD_HASH_MISMATCH'
  /** A stored sample id is not the hash of the sample's tokens. */
  | 'SAMPLE_ID_MISMATCH'
  /** A token id is not below the tokenizer's vocabulary size. */
  | 'TOKEN_OUT_OF_RANGE'
  /** A sample index outside [0, samples) or an unknown shard name. */
  | 'SAMPLE_NOT_FOUND';

const codes: Readonly<Record<DataReason, Code>> = {
  DATA_INVALID_OPTION: Code.InvalidArgument,
  INPUT_UNREADABLE: Code.InvalidArgument,
  INPUT_INVALID: Code.InvalidArgument,
  INPUT_TOO_LARGE: Code.InvalidArgument,
  INPUT_CHANGED: Code.Aborted,
  CORPUS_TOO_SMALL: Code.InvalidArgument,
  OUTPUT_NOT_EMPTY: Code.InvalidArgument,
  OUTPUT_UNWRITABLE: Code.InvalidArgument,
  SHARD_FILE_MISSING: Code.NotFound,
  SHARD_MANIFEST_INVALID: Code.DataLoss,
  SHARD_SIZE_MISMATCH: Code.DataLoss,
  MANIFEST_HASH_MISMATCH: Code.DataLoss,
  DATASET_CACHE_BUSY: Code.FailedPrecondition,
  SHARD_HASH_MISMATCH: Code.DataLoss,
  SAMPLE_ID_MISMATCH: Code.DataLoss,
  TOKEN_OUT_OF_RANGE: Code.DataLoss,
  SAMPLE_NOT_FOUND: Code.OutOfRange,
};

/** A data pipeline failure; branch on `dataReason` (or `reason`), never on the message. */
export class DataError extends CohortError {
  override readonly name = 'DataError';
  constructor(
    readonly dataReason: DataReason,
    message: string,
    options: Omit<CohortErrorOptions, 'reason'> = {},
  ) {
    super(codes[dataReason], message, { ...options, reason: dataReason });
  }
}
