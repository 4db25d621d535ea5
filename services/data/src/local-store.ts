/**
 * A dataset in a local directory, read with positioned `read(2)` calls (no whole-file loads, no
 * streams), so random sample access costs one small read per sample.
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { CohortError } from '@cohort/core';
import { DataError } from './data-error.js';
import type { DatasetStore, RangeSource } from './range-source.js';

function isNotFound(err: unknown): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/** The dataset in directory `dir`. */
export function createLocalStore(dir: string): DatasetStore {
  return {
    location: dir,
    async open(file): Promise<RangeSource> {
      const path = join(dir, file);
      const handle = await open(path, 'r').catch((err: unknown) => {
        if (isNotFound(err)) {
          throw new DataError('SHARD_FILE_MISSING', `${path} does not exist`, {
            cause: err,
            details: { file },
          });
        }
        throw CohortError.from(err);
      });
      const { size } = await handle.stat();
      return {
        size,
        async readRange(offset, length) {
          const out = new Uint8Array(length);
          let filled = 0;
          while (filled < length) {
            const { bytesRead } = await handle.read(out, filled, length - filled, offset + filled);
            if (bytesRead === 0) {
              const message = `${path} ends at ${offset + filled}, before ${offset + length}`;
              throw new DataError('SHARD_SIZE_MISMATCH', message, { details: { file } });
            }
            filled += bytesRead;
          }
          return out;
        },
        close: () => handle.close(),
      };
    },
  };
}
