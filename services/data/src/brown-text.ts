/**
 * Turn a Brown corpus file (Form C: every token tagged `word/tag`, one sentence per line, paragraphs
 * separated by blank lines) into natural running text, so the model learns English, not tags:
 *
 * - a token's tag is everything after its last `/` (`Atlanta's/np$` → `Atlanta's`, `1/2/cd` → `1/2`);
 * - sentences of a paragraph are joined with a space, paragraphs with a blank line ("\n\n"); a line
 *   whose tokens are all headline-tagged (`-hl`) is a paragraph of its own;
 * - tokens are joined with single spaces except around punctuation: no space before `, . ; : ? ! ) ]`
 *   or a closing quote, none after `( [` or an opening quote;
 * - the typewriter quotes `` and '' become `"`; a lone `'` alternates between opening and closing
 *   within a paragraph; `--` stays a spaced dash; a sentence-final `.` after an abbreviation's own
 *   period (`Jr./np ./.`) is dropped.
 */

const NO_SPACE_BEFORE = new Set([',', '.', ';', ':', '?', '!', ')', ']', "''"]);
const NO_SPACE_AFTER = new Set(['(', '[', '``']);

/** The word of a tagged token: everything before the last `/` (the whole token if it has none). */
export function untag(token: string): string {
  const slash = token.lastIndexOf('/');
  return slash > 0 ? token.slice(0, slash) : token;
}

function isHeadline(line: string): boolean {
  return line
    .trim()
    .split(/\s+/)
    .every((token) => token.includes('-hl', token.lastIndexOf('/')));
}

function paragraphText(lines: readonly string[]): string {
  const parts: string[] = [];
  let previous = '';
  let spaceNext = false;
  let singleQuoteOpen = false;
  for (const line of lines) {
    for (const token of line.split(/\s+/)) {
      if (token === '') continue;
      const word = untag(token);
      if (word === '.' && previous.endsWith('.')) continue;
      let spaceBefore = spaceNext && !NO_SPACE_BEFORE.has(word);
      spaceNext = !NO_SPACE_AFTER.has(word);
      if (word === "'") {
        spaceBefore = spaceBefore && !singleQuoteOpen;
        spaceNext = singleQuoteOpen;
        singleQuoteOpen = !singleQuoteOpen;
      }
      if (spaceBefore) parts.push(' ');
      parts.push(word === '``' || word === "''" ? '"' : word);
      previous = word;
    }
  }
  return parts.join('');
}

/** The plain text of one Brown file (or any fragment of one, such as a single sentence). */
export function brownToText(tagged: string): string {
  const paragraphs: string[] = [];
  let lines: string[] = [];
  for (const line of tagged.split(/\r?\n/)) {
    const headline = line.trim() !== '' && isHeadline(line);
    if (line.trim() === '' || headline) {
      if (lines.length > 0) paragraphs.push(paragraphText(lines));
      lines = [];
    }
    if (headline) paragraphs.push(paragraphText([line]));
    else if (line.trim() !== '') lines.push(line);
  }
  if (lines.length > 0) paragraphs.push(paragraphText(lines));
  return paragraphs.join('\n\n');
}
