/**
 * The error-feedback state on disk, so a restarted worker resumes the signal it has not sent yet instead of
 * silently dropping it. One file, `<efStateDir>/error-feedback.bin`, rewritten after every encode with the
 * classic atomic sequence (write a temp file, fsync it, rename over the old one, fsync the directory): a
 * crash leaves either the old state or the new one, never a torn file.
 *
 * Layout (little-endian): "COHORTEF" | u32 version (1) | u32 0 | u64 window of the encode that produced it
 * | u64 count | count × f32 (canonical parameter order) | BLAKE2b-256 of everything before.
 */
import { writeFully } from '@cohort/kit';
import { blake2b256File } from '@cohort/native';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

import { preconditionError } from './worker-errors.js';

const MAGIC = Buffer.from('COHORTEF', 'latin1');
const VERSION = 1;
const HEADER_BYTES = 32;
const HASH_BYTES = 32;
/** Bytes per read or write of the values: the state of a 1B model (4.7 GB) exceeds one Node buffer. */
const DEFAULT_CHUNK_BYTES = 64 << 20;
/** The file name inside the state directory. */
export const EF_STATE_FILE = 'error-feedback.bin';

/** A persisted error-feedback state. */
export interface EfState {
  /** The window whose encode left this state. */
  readonly window: bigint;
  readonly values: Float32Array;
}

function header(state: EfState): Buffer {
  const out = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(out, 0);
  out.writeUInt32LE(VERSION, 8);
  out.writeBigUInt64LE(state.window, 16);
  out.writeBigUInt64LE(BigInt(state.values.length), 24);
  return out;
}

/** Read exactly `out.length` bytes at `position`; false when the file ends first. */
async function readAll(file: FileHandle, out: Uint8Array, position: number): Promise<boolean> {
  for (let at = 0; at < out.length;) {
    const { bytesRead } = await file.read(out, at, out.length - at, position + at);
    if (bytesRead === 0) return false;
    at += bytesRead;
  }
  return true;
}

/** The bytes of `values` from `at`, at most `chunk` of them (a view: no copy). */
const bytesOf = (values: Float32Array, at: number, chunk: number): Uint8Array =>
  new Uint8Array(values.buffer, values.byteOffset + at, Math.min(chunk, values.byteLength - at));

function invalid(path: string, why: string): Error {
  return preconditionError(
    'EF_STATE_INVALID',
    `the error-feedback state ${path} is unusable (${why}); move it away to start with zero error feedback`,
  );
}

/** Reads and writes the state file of one worker. */
export class EfStore {
  readonly #dir: string;
  readonly #chunk: number;
  readonly path: string;

  /** `chunkBytes`: bytes per read or write of the values (tests make it small to cross many chunks). */
  constructor(dir: string, options: { readonly chunkBytes?: number } = {}) {
    this.#dir = dir;
    this.#chunk = Math.max(4, Math.floor((options.chunkBytes ?? DEFAULT_CHUNK_BYTES) / 4) * 4);
    this.path = join(dir, EF_STATE_FILE);
  }

  /** The persisted state, or null when there is none yet. Throws `EF_STATE_INVALID` on a bad file. */
  async load(): Promise<EfState | null> {
    let file: FileHandle;
    try {
      file = await open(this.path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    try {
      const size = (await file.stat()).size;
      const head = Buffer.alloc(HEADER_BYTES);
      if (
        size < HEADER_BYTES + HASH_BYTES ||
        !(await readAll(file, head, 0)) ||
        !head.subarray(0, 8).equals(MAGIC)
      )
        throw invalid(this.path, 'not an error-feedback file');
      if (head.readUInt32LE(8) !== VERSION) throw invalid(this.path, `version ${head.readUInt32LE(8)}`);
      const count = Number(head.readBigUInt64LE(24));
      if (size !== HEADER_BYTES + count * 4 + HASH_BYTES) throw invalid(this.path, 'truncated or padded');
      const stored = Buffer.alloc(HASH_BYTES);
      await readAll(file, stored, size - HASH_BYTES);
      // Hashed from disk on a pool thread: the body can be larger than one buffer.
      if (!Buffer.from(await blake2b256File(this.path, size - HASH_BYTES)).equals(stored))
        throw invalid(this.path, 'checksum mismatch');
      const values = new Float32Array(count);
      for (let at = 0; at < values.byteLength; at += this.#chunk) {
        if (!(await readAll(file, bytesOf(values, at, this.#chunk), HEADER_BYTES + at)))
          throw invalid(this.path, 'truncated while read');
      }
      return { window: head.readBigUInt64LE(16), values };
    } finally {
      await file.close();
    }
  }

  /**
   * Replace the persisted state atomically (durable once this resolves): header and values streamed to
   * a temp file in chunks, hashed from disk, the hash appended, fsync, rename, fsync the directory.
   */
  async save(state: EfState): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    const temp = `${this.path}.tmp-${process.pid}`;
    const { values } = state;
    const body = HEADER_BYTES + values.byteLength;
    try {
      const file = await open(temp, 'w');
      try {
        // Float32Array is host-endian; every supported host (x86-64, arm64) is little-endian.
        await writeFully(file, header(state), 0);
        for (let at = 0; at < values.byteLength; at += this.#chunk) {
          await writeFully(file, bytesOf(values, at, this.#chunk), HEADER_BYTES + at);
        }
        await writeFully(file, await blake2b256File(temp, body), body); // read back from the page cache
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temp, this.path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    const dir = await open(this.#dir, 'r');
    try {
      await dir.sync(); // the rename itself survives a power cut
    } finally {
      await dir.close();
    }
  }
}
