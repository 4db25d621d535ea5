/**
 * JSON Lines documents: one JSON object per line, the document in a configurable string field
 * (default `text`). Blank lines are skipped and a `null` field is "no document"; anything else that is
 * not a string is an INPUT_INVALID error naming the file and line, since silently skipping would hide
 * a wrong `--text-field`. Lines are read as strict UTF-8 (utf8-lines: invalid bytes are INPUT_INVALID,
 * a leading BOM is dropped, a line over {@link MAX_DOCUMENT_BYTES} is INPUT_TOO_LARGE).
 */
import { describeValue } from '@cohort/core';
import type { Corpus } from './corpus.js';
import { DataError } from './data-error.js';
import { inputFiles } from './input-files.js';
import { MAX_DOCUMENT_BYTES, utf8Lines } from './utf8-lines.js';
import type { ReaderLimits } from './utf8-lines.js';

function invalid(file: string, line: number, problem: string, cause?: unknown): DataError {
  return new DataError('INPUT_INVALID', `${file}:${line}: ${problem}`, {
    cause,
    details: { file, line },
  });
}

/**
 * A corpus of `.jsonl` file(s) at `input` with the document text in `textField`; `limits` lowers the
 * line cap (tests).
 */
export function createJsonlCorpus(input: string, textField = 'text', limits: ReaderLimits = {}): Corpus {
  const limit = limits.maxDocumentBytes ?? MAX_DOCUMENT_BYTES;
  return {
    name: `jsonl:${input}`,
    async *documents() {
      for (const file of (await inputFiles(input, '.jsonl')).files) {
        for await (const { number: n, text: line } of utf8Lines(file, limit)) {
          if (line.trim() === '') continue;
          let row: unknown;
          try {
            row = JSON.parse(line);
          } catch (err) {
            throw invalid(file, n, 'not valid JSON', err);
          }
          if (typeof row !== 'object' || row === null || Array.isArray(row)) {
            throw invalid(file, n, `expected a JSON object but received ${describeValue(row)}`);
          }
          const text = (row as Record<string, unknown>)[textField];
          if (text === null) continue;
          if (typeof text !== 'string') {
            throw invalid(
              file,
              n,
              `expected a string in field "${textField}" but received ${describeValue(text)}`,
            );
          }
          yield text;
        }
      }
    },
  };
}
