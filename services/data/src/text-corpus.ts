/**
 * Plain-text documents. A directory holds one document per `*.txt` file (the whole file). A single
 * file holds many documents separated by blank lines (lines that are empty or only whitespace); the lines
 * of one document are joined with "\n" (CRLF becomes LF). Files are read as UTF-8 and streamed by line,
 * so a large single file never sits in memory whole.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Corpus } from './corpus.js';
import { inputFiles } from './input-files.js';

async function* paragraphs(file: string): AsyncGenerator<string> {
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let current: string[] = [];
  for await (const line of lines) {
    if (line.trim() === '') {
      if (current.length > 0) yield current.join('\n');
      current = [];
    } else {
      current.push(line);
    }
  }
  if (current.length > 0) yield current.join('\n');
}

/** A corpus of plain text at `input` (a `.txt` file split on blank lines, or a directory of them). */
export function createTextCorpus(input: string): Corpus {
  return {
    name: `text:${input}`,
    async *documents() {
      const { files, directory } = await inputFiles(input, '.txt');
      for (const file of files) {
        if (directory) yield (await readFile(file, 'utf8')).replace(/\r\n/g, '\n');
        else yield* paragraphs(file);
      }
    },
  };
}
