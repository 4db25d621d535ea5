/**
 * Parquet documents, read with hyparquet (pure JS, no native build): one document per row of a string
 * column (default `text`), streamed one row group at a time through positioned file reads. Codecs:
 * uncompressed and Snappy (hyparquet), GZIP and Brotli (Node's zlib); others (ZSTD, LZ4) are an
 * INPUT_INVALID error. Null cells are "no document"; a non-string cell is an error.
 */
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { CohortError, describeValue } from '@cohort/core';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import type { Compressors, FileMetaData } from 'hyparquet';
import type { Corpus } from './corpus.js';
import { DataError } from './data-error.js';
import { inputFiles } from './input-files.js';

const compressors: Compressors = {
  GZIP: (input) => gunzipSync(input),
  BROTLI: (input) => brotliDecompressSync(input),
};

function invalid(file: string, problem: string, cause?: unknown): DataError {
  return new DataError('INPUT_INVALID', `${file}: ${problem}`, { cause, details: { file } });
}

async function* rows(file: string, textField: string): AsyncGenerator<string> {
  let metadata: FileMetaData;
  const buffer = await asyncBufferFromFile(file);
  try {
    metadata = await parquetMetadataAsync(buffer);
  } catch (err) {
    throw invalid(file, `not a Parquet file (${CohortError.from(err).message})`, err);
  }
  const columns = parquetSchema(metadata).children.map((c) => c.element.name);
  if (!columns.includes(textField)) {
    throw invalid(file, `no column "${textField}"; columns: ${columns.join(', ')}`);
  }
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    let values: Record<string, unknown>[];
    try {
      values = await parquetReadObjects({
        file: buffer,
        metadata,
        columns: [textField],
        rowStart,
        rowEnd,
        compressors,
      });
    } catch (err) {
      throw invalid(file, `cannot read rows ${rowStart}..${rowEnd} (${CohortError.from(err).message})`, err);
    }
    for (let i = 0; i < values.length; i++) {
      const text = values[i]?.[textField];
      if (text === null || text === undefined) continue;
      if (typeof text !== 'string') {
        throw invalid(
          file,
          `row ${rowStart + i}: expected a string in "${textField}" but received ${describeValue(text)}`,
        );
      }
      yield text;
    }
    rowStart = rowEnd;
  }
}

/** A corpus of `.parquet` file(s) at `input` with the document text in column `textField`. */
export function createParquetCorpus(input: string, textField = 'text'): Corpus {
  return {
    name: `parquet:${input}`,
    async *documents() {
      for (const file of (await inputFiles(input, '.parquet')).files) yield* rows(file, textField);
    },
  };
}
