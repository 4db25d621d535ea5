export { DataError } from './data-error.js';
export type { DataReason } from './data-error.js';
export { createGpt2Tokenizer } from './tokenizer.js';
export type { Tokenizer } from './tokenizer.js';
export {
  GPT2_END_OF_TEXT,
  GPT2_END_OF_TEXT_ID,
  GPT2_VOCAB_SIZE,
  gpt2ByteToUnicode,
  gpt2TokenizerFiles,
  gpt2Vocabulary,
} from './hf-tokenizer.js';
export type { Gpt2Vocabulary, HfTokenizerOptions } from './hf-tokenizer.js';
export type { Corpus } from './corpus.js';
export { createTextCorpus } from './text-corpus.js';
export { createJsonlCorpus } from './jsonl-corpus.js';
export { createParquetCorpus } from './parquet-corpus.js';
export { MAX_DOCUMENT_BYTES } from './utf8-lines.js';
export type { ReaderLimits } from './utf8-lines.js';
export { brownEntries, createBrownCorpus } from './brown-corpus.js';
export type { BrownEntry } from './brown-corpus.js';
export { brownToText, untag } from './brown-text.js';
export { HELD_OUT_DOMAIN, heldOutCount, heldOutDocuments } from './held-out-split.js';
export { formatManifest, ID_BYTES, parseManifest, SHARD_FORMAT, TOKEN_BYTES } from './manifest.js';
export type { Manifest, ShardEntry, ShardFile, Split, TokenizerInfo } from './manifest.js';
export { prepareDataset } from './prepare-dataset.js';
export type { PrepareOptions, PrepareProgress, PrepareSummary } from './prepare-dataset.js';
export type { SplitResult } from './shard-writer.js';
export type { DatasetStore, RangeSource } from './range-source.js';
export { createLocalStore } from './local-store.js';
export { openDataset } from './dataset-reader.js';
export type { Dataset, OpenDatasetOptions, ShardReader } from './dataset-reader.js';
export { createObjectStoreSource, datasetPrefix } from './object-store-source.js';
export type { ObjectRangeReader, ObjectStoreDatasetOptions } from './object-store-source.js';
export { openDatasetCache } from './dataset-cache.js';
export type { DatasetCache, DatasetCacheOptions, EnsureStats } from './dataset-cache.js';
export { planRanges } from './range-plan.js';
export type { RangePlanLimits, SampleRange } from './range-plan.js';
export { publishDataset } from './publish-dataset.js';
export type { ObjectFileWriter, PublishedFile, PublishSummary } from './publish-dataset.js';
