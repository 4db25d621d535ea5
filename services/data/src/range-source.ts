/**
 * The storage seam of the shard reader: a dataset is a set of named files that can be read by byte
 * range. The local implementation uses positioned reads; an object-store implementation (ranged GETs)
 * plugs in behind the same two interfaces, and the reader never loads a whole shard.
 */

/** Random access to one file's bytes. */
export interface RangeSource {
  /** The file's size in bytes, as seen when it was opened. */
  readonly size: number;
  /** Exactly `length` bytes from `offset`; a file that ends early is a SHARD_SIZE_MISMATCH. */
  readRange(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** A dataset's files by name (`manifest.json`, `train-00000.tokens`, ...). */
export interface DatasetStore {
  /** Where the dataset lives, for messages (a directory, a bucket prefix). */
  readonly location: string;
  /** Open one file; a missing file is a SHARD_FILE_MISSING DataError. */
  open(file: string): Promise<RangeSource>;
}
