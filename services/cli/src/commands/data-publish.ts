/**
 * `cohort data publish <dir> --store <host:port> --prefix <p>`: upload a prepared dataset to the run's
 * checkpoint-store, so workers read it by range (`datasetPrefix`) instead of each needing a copy
 * (docs/data.md §6, ADR 0015). The dataset is verified in full first; every file goes up with its
 * manifest hash, which the store checks; the manifest goes last. Running it again is a no-op per file.
 */
import { CohortError, Code } from '@cohort/core';
import { datasetPrefix, publishDataset } from '@cohort/data';
import type { ObjectFileWriter, PublishSummary } from '@cohort/data';
import { StoreClient } from '@cohort/kit';
import type { CliIo } from '../cli-io.js';
import { parseFlags, stringFlag } from './parse-flags.js';

/** Usage of `cohort data publish`. */
export const publishUsage = `usage: cohort data publish <dir> --store <host:port> --prefix <key prefix>

  <dir>                 a prepared dataset (manifest.json and its shard files); verified in full first
  --store <host:port>   the run's checkpoint-store
  --prefix <p>          the key prefix to publish under, e.g. datasets/brown-gpt2-128/ (workers set it
                        as datasetPrefix); an existing prefix must hold the same bytes`;

function misuse(message: string, reason: string): CohortError {
  return new CohortError(Code.InvalidArgument, `${message}\n\n${publishUsage}`, { reason });
}

/**
 * The store as {@link publishDataset} sees it: each failure names its key, a key already holding other
 * bytes says so (AlreadyExists, OBJECT_EXISTS), and bytes the store refused as not matching the manifest
 * are DataLoss (the file changed after it was verified), not the caller's misuse.
 */
function keyedWriter(client: StoreClient, where: string): ObjectFileWriter {
  return {
    async putFile(key, path, options) {
      try {
        return await client.putFile(key, path, options);
      } catch (error) {
        const e = CohortError.from(error);
        const base = { cause: error, details: { ...e.details, key } };
        if (e.reason === 'OBJECT_EXISTS') {
          const message = `${where} already holds other bytes under ${key}: publish under a new --prefix`;
          throw new CohortError(Code.AlreadyExists, message, { ...base, reason: e.reason });
        }
        if (e.reason === 'HASH_MISMATCH' || e.reason === 'SIZE_MISMATCH') {
          const message = `${where} refused ${key}: ${e.message}; did ${path} change after it was verified?`;
          throw new CohortError(Code.DataLoss, message, { ...base, reason: e.reason });
        }
        throw new CohortError(e.code, `uploading ${key} to ${where}: ${e.message}`, {
          ...base,
          reason: e.reason,
        });
      }
    },
  };
}

/** The closing report: what went up, and the manifest hash operators pin. */
export function publishReport(dir: string, where: string, summary: PublishSummary): string {
  const bytes = summary.files.reduce((n, f) => n + f.bytes, 0);
  const created = summary.files.filter((f) => f.created).length;
  return [
    `published ${dir} to ${where} under ${summary.prefix}`,
    `files:    ${summary.files.length} (${bytes} bytes): ${created} created, ${summary.files.length - created} already there`,
    `manifest: ${summary.prefix}manifest.json, blake2b256 ${summary.manifestBlake2b256}`,
    `workers:  datasetPrefix ${summary.prefix}, datasetManifestHash ${summary.manifestBlake2b256}`,
  ].join('\n');
}

/** Run `cohort data publish <args>`; a dataset that fails verification throws its DataError. */
export async function dataPublish(args: readonly string[], io: CliIo): Promise<string> {
  const flags = parseFlags(args, { store: { type: 'string' }, prefix: { type: 'string' } }, 1, publishUsage);
  const dir = flags.positionals[0];
  const address = stringFlag(flags, 'store');
  const prefix = stringFlag(flags, 'prefix');
  if (dir === undefined) throw misuse('a dataset directory is required', 'MISSING_ARGUMENT');
  if (address === undefined) throw misuse('--store is required', 'MISSING_FLAG');
  if (prefix === undefined) throw misuse('--prefix is required', 'MISSING_FLAG');
  datasetPrefix(prefix); // a bad prefix is misuse, before anything is read or sent
  const where = `store ${address}`;
  const client = new StoreClient(address);
  try {
    io.progress(`cohort data: verifying ${dir}`);
    const summary = await publishDataset(keyedWriter(client, where), dir, prefix, (f) =>
      io.progress(`cohort data: ${f.created ? 'uploaded' : 'already there'} ${f.key} (${f.bytes} bytes)`),
    );
    return publishReport(dir, where, summary);
  } finally {
    client.close();
  }
}
