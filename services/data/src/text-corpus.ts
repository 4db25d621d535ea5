/**
 * Plain-text documents. A directory holds one document per `*.txt` file (the whole file, CRLF becomes
 * LF). A single file holds many documents separated by blank lines (lines that are empty or only
 * whitespace); the lines of one document are joined with "\n". Files are streamed by line as strict
 * UTF-8 (utf8-lines: invalid bytes are INPUT_INVALID, a leading BOM is dropped), so a reader holds one
 * document in memory, never a whole file; a document longer than the cap ({@link MAX_DOCUMENT_BYTES},
 * e.g. a large file without blank lines) is INPUT_TOO_LARGE naming the file and the document's first line.
 */
import type { Corpus } from './corpus.js';
import { inputFiles } from './input-files.js';
import { inputTooLarge, MAX_DOCUMENT_BYTES, utf8Lines } from './utf8-lines.js';
import type { ReaderLimits } from './utf8-lines.js';

async function* paragraphs(file: string, limit: number): AsyncGenerator<string> {
  let current: string[] = [];
  let bytes = 0;
  let first = 0;
  for await (const line of utf8Lines(file, limit)) {
    if (line.text.trim() === '') {
      if (current.length > 0) yield current.join('\n');
      current = [];
      bytes = 0;
      continue;
    }
    if (current.length === 0) first = line.number;
    bytes += (current.length > 0 ? 1 : 0) + line.bytes;
    if (bytes > limit) {
      throw inputTooLarge(file, first, 'the document starting here (no blank line to end it)', limit);
    }
    current.push(line.text);
  }
  if (current.length > 0) yield current.join('\n');
}

/** The whole of `file` as one document, CRLF → LF (a lone CR stays). */
async function wholeFile(file: string, limit: number): Promise<string> {
  const parts: string[] = [];
  let bytes = 0;
  for await (const line of utf8Lines(file, limit)) {
    const end = line.end === '\r\n' ? '\n' : line.end;
    bytes += line.bytes + end.length;
    if (bytes > limit) throw inputTooLarge(file, 1, 'the file (one document in a directory)', limit);
    parts.push(line.text, end);
  }
  return parts.join('');
}

/**
 * A corpus of plain text at `input` (a `.txt` file split on blank lines, or a directory of them);
 * `limits` lowers the document cap (tests).
 */
export function createTextCorpus(input: string, limits: ReaderLimits = {}): Corpus {
  const limit = limits.maxDocumentBytes ?? MAX_DOCUMENT_BYTES;
  return {
    name: `text:${input}`,
    async *documents() {
      const { files, directory } = await inputFiles(input, '.txt');
      for (const file of files) {
        if (directory) yield await wholeFile(file, limit);
        else yield* paragraphs(file, limit);
      }
    },
  };
}
