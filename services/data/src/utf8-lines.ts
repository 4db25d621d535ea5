/**
 * The lines of a UTF-8 text file, for the text and JSONL corpus readers. The file is read as bytes and
 * each line is checked before it becomes a string, so bad input fails loudly instead of reaching a
 * dataset altered: invalid UTF-8 is INPUT_INVALID (never silently U+FFFD), and a line longer than the
 * cap is INPUT_TOO_LARGE before it is ever joined (never V8's bare "Invalid string length", never the
 * whole of a file without line breaks in memory). Both name the file and the line. A leading byte order
 * mark is dropped. Lines end at "\n", "\r\n" or a lone "\r", as node:readline splits them.
 */
import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { CohortError } from '@cohort/core';
import { DataError } from './data-error.js';

/**
 * The longest document, and the longest line, the text and JSONL readers accept: 64 MiB of UTF-8. Far
 * above any real document (a long book is a few MiB), far below V8's string limit (~512 Mi UTF-16 units),
 * and what a reader holds in memory at most.
 */
export const MAX_DOCUMENT_BYTES = 64 * 1024 * 1024;

/** Limits of the text and JSONL readers; tests lower them instead of writing huge files. */
export interface ReaderLimits {
  /** Longest document (and line) in UTF-8 bytes; default {@link MAX_DOCUMENT_BYTES}. */
  readonly maxDocumentBytes?: number;
}

/** One line of a file. */
export interface TextLine {
  /** 1-based line number. */
  readonly number: number;
  /** The line's text, without its end. */
  readonly text: string;
  /** UTF-8 bytes of `text`. */
  readonly bytes: number;
  /** What ended the line: "\n", "\r\n", a lone "\r", or "" for a last line without an end. */
  readonly end: '\n' | '\r\n' | '\r' | '';
}

/** The INPUT_TOO_LARGE error of `what` (a line, a document...) at `file`:`line`. */
export function inputTooLarge(file: string, line: number, what: string, limit: number): DataError {
  return new DataError('INPUT_TOO_LARGE', `${file}:${line}: ${what} is longer than ${limit} bytes`, {
    details: { file, line, limit },
  });
}

const LF = 0x0a;
const CR = 0x0d;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Lines of `file`, each at most `maxLineBytes` bytes of valid UTF-8 (see the module comment). */
export async function* utf8Lines(
  file: string,
  maxLineBytes: number = MAX_DOCUMENT_BYTES,
): AsyncGenerator<TextLine> {
  let parts: Buffer[] = [];
  let size = 0;
  let number = 1;
  let offset = 0; // of the current line's first byte in the file
  let crPending = false; // a chunk ended with "\r": the next byte tells "\r\n" from "\r"

  const take = (piece: Buffer): void => {
    if (piece.length === 0) return;
    size += piece.length;
    if (size > maxLineBytes) throw inputTooLarge(file, number, 'the line', maxLineBytes);
    parts.push(piece);
  };
  const finish = (end: TextLine['end']): TextLine => {
    let bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
    if (number === 1 && bytes.subarray(0, 3).equals(BOM)) bytes = bytes.subarray(3);
    if (!isUtf8(bytes)) {
      throw new DataError('INPUT_INVALID', `${file}:${number}: not valid UTF-8`, {
        details: { file, line: number, offset },
      });
    }
    const line: TextLine = { number, text: bytes.toString('utf8'), bytes: bytes.length, end };
    offset += size + end.length;
    number += 1;
    parts = [];
    size = 0;
    return line;
  };

  try {
    for await (const chunk of createReadStream(file)) {
      const buf = chunk as Buffer;
      let at = 0;
      if (crPending) {
        crPending = false;
        const crlf = buf[0] === LF;
        yield finish(crlf ? '\r\n' : '\r');
        at = crlf ? 1 : 0;
      }
      let lf = buf.indexOf(LF, at);
      let cr = buf.indexOf(CR, at);
      while (at < buf.length) {
        const eol = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
        if (eol === -1) {
          take(buf.subarray(at));
          break;
        }
        take(buf.subarray(at, eol));
        if (buf[eol] === LF) {
          yield finish('\n');
          at = eol + 1;
        } else if (eol + 1 === buf.length) {
          crPending = true;
          at = eol + 1;
        } else {
          const crlf = buf[eol + 1] === LF;
          yield finish(crlf ? '\r\n' : '\r');
          at = eol + (crlf ? 2 : 1);
        }
        if (lf !== -1 && lf < at) lf = buf.indexOf(LF, at);
        if (cr !== -1 && cr < at) cr = buf.indexOf(CR, at);
      }
    }
  } catch (err) {
    if (err instanceof CohortError) throw err;
    throw new DataError('INPUT_UNREADABLE', `cannot read ${file}: ${CohortError.from(err).message}`, {
      cause: err,
      details: { file },
    });
  }
  if (crPending) yield finish('\r');
  else if (size > 0) yield finish('');
}
