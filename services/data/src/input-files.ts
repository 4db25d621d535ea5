/**
 * Resolve a corpus `--input`: a file is itself; a directory stands for every file below it whose name
 * ends with the format's extension, in byte order of their relative paths, so a directory always reads
 * in the same order on every machine.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CohortError } from '@cohort/core';
import { DataError } from './data-error.js';

/** A resolved input: its files, and whether the user named a directory. */
export interface InputFiles {
  readonly files: readonly string[];
  readonly directory: boolean;
}

async function walk(dir: string, extension: string, out: string[]): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await walk(path, extension, out);
    else if (entry.isFile() && entry.name.endsWith(extension)) out.push(path);
  }
}

const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** The files of `input` (a file, or a directory searched recursively for `*<extension>`). */
export async function inputFiles(input: string, extension: string): Promise<InputFiles> {
  try {
    const info = await stat(input);
    if (!info.isDirectory()) return { files: [input], directory: false };
    const files: string[] = [];
    await walk(input, extension, files);
    if (files.length === 0) {
      throw new DataError('INPUT_UNREADABLE', `no *${extension} file under ${input}`, {
        details: { input },
      });
    }
    return { files: files.sort(byteOrder), directory: true };
  } catch (err) {
    if (err instanceof CohortError) throw err;
    throw new DataError('INPUT_UNREADABLE', `cannot read input ${input}: ${CohortError.from(err).message}`, {
      cause: err,
      details: { input },
    });
  }
}
