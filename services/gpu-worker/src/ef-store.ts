/**
 * The error-feedback state on disk, so a restarted worker resumes the signal it has not sent yet instead of
 * silently dropping it. One file, `<efStateDir>/error-feedback.bin`, rewritten after every encode with the
 * classic atomic sequence (write a temp file, fsync it, rename over the old one, fsync the directory): a
 * crash leaves either the old state or the new one, never a torn file.
 *
 * Layout (little-endian): "COHORTEF" | u32 version (1) | u32 0 | u64 window of the encode that produced it
 * | u64 count | count × f32 (canonical parameter order) | BLAKE2b-256 of everything before.
 */
import { blake2b256Async } from '@cohort/native';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

import { preconditionError } from './worker-errors.js';

const MAGIC = Buffer.from('COHORTEF', 'latin1');
const VERSION = 1;
const HEADER_BYTES = 32;
const HASH_BYTES = 32;
/** The file name inside the state directory. */
export const EF_STATE_FILE = 'error-feedback.bin';

/** A persisted error-feedback state. */
export interface EfState {
  /** The window whose encode left this state. */
  readonly window: bigint;
  readonly values: Float32Array;
}

async function serialize(state: EfState): Promise<Buffer> {
  const { values } = state;
  const out = Buffer.alloc(HEADER_BYTES + values.byteLength + HASH_BYTES);
  MAGIC.copy(out, 0);
  out.writeUInt32LE(VERSION, 8);
  out.writeBigUInt64LE(state.window, 16);
  out.writeBigUInt64LE(BigInt(values.length), 24);
  // Float32Array is host-endian; every supported host (x86-64, arm64) is little-endian.
  Buffer.from(values.buffer, values.byteOffset, values.byteLength).copy(out, HEADER_BYTES);
  const body = out.subarray(0, out.length - HASH_BYTES);
  out.set(await blake2b256Async(body), body.length); // gigabytes for a large model: hashed off the event loop
  return out;
}

function invalid(path: string, why: string): Error {
  return preconditionError(
    'EF_STATE_INVALID',
    `the error-feedback state ${path} is unusable (${why}); move it away to start with zero error feedback`,
  );
}

async function parse(path: string, bytes: Buffer): Promise<EfState> {
  if (bytes.length < HEADER_BYTES + HASH_BYTES || !bytes.subarray(0, 8).equals(MAGIC))
    throw invalid(path, 'not an error-feedback file');
  if (bytes.readUInt32LE(8) !== VERSION) throw invalid(path, `version ${bytes.readUInt32LE(8)}`);
  const count = Number(bytes.readBigUInt64LE(24));
  if (bytes.length !== HEADER_BYTES + count * 4 + HASH_BYTES) throw invalid(path, 'truncated or padded');
  const body = bytes.subarray(0, bytes.length - HASH_BYTES);
  if (!Buffer.from(await blake2b256Async(body)).equals(bytes.subarray(body.length)))
    throw invalid(path, 'checksum mismatch');
  const values = new Float32Array(count);
  Buffer.from(values.buffer).set(bytes.subarray(HEADER_BYTES, HEADER_BYTES + count * 4));
  return { window: bytes.readBigUInt64LE(16), values };
}

/** Reads and writes the state file of one worker. */
export class EfStore {
  readonly #dir: string;
  readonly path: string;

  constructor(dir: string) {
    this.#dir = dir;
    this.path = join(dir, EF_STATE_FILE);
  }

  /** The persisted state, or null when there is none yet. Throws `EF_STATE_INVALID` on a bad file. */
  async load(): Promise<EfState | null> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    return await parse(this.path, bytes);
  }

  /** Replace the persisted state atomically (durable once this resolves). */
  async save(state: EfState): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    const temp = `${this.path}.tmp-${process.pid}`;
    try {
      const file = await open(temp, 'w');
      try {
        await file.writeFile(await serialize(state));
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
