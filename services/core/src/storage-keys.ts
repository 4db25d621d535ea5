/**
 * The storage layout of protocol §8, in one place, so writers (miner, aggregator, validator, store)
 * and readers (peers, `cohort export`, retention) cannot drift apart. Every object of a run lives under
 * `cohort/v1/<run>/`:
 *
 * | kind         | key (relative to the run prefix)            | mutable |
 * |--------------|---------------------------------------------|---------|
 * | `update`     | `updates/<w>/<hotkey>`                      | no      |
 * | `aggregate`  | `aggregates/<w>`                            | no      |
 * | `selection`  | `selections/<w>`                            | no      |
 * | `score`      | `scores/<w>/<hotkey>.json`                  | no      |
 * | `checkpoint` | `checkpoints/<w>/{model.safetensors,config.json,manifest.json}` | no |
 * | `latest`     | `LATEST`                                    | yes     |
 *
 * - `<run>`: 1–32 of `[a-z0-9._-]`, the wire format's run id rule, except that `.` and `..` are refused
 *   (they are path segments, not names).
 * - `<w>`: the window in decimal without leading zeros (`0`, `7`, `1234`), a safe integer. Keys sort as
 *   strings, and string order is not numeric order (`10` < `9`): list a window's objects with a prefix
 *   that ends in `/` ({@link updatesPrefix}) and order windows with {@link windowFromKey}, never by key.
 * - `<hotkey>`: the canonical Bittensor SS58 address (prefix 42) of the 32-byte hotkey, so one hotkey
 *   has exactly one key.
 * - Only `LATEST` may be overwritten. Everything else is write-once: updates and scores are evidence,
 *   and a selection or aggregate is an input other replicas may already have applied, so a correction
 *   is a new window's object, never a silent rewrite. ({@link keyAllowsOverwrite})
 *
 * Pure: no I/O. Old windows are removed by `retentionPlan` (retention-plan.ts).
 */
import { BITTENSOR_SS58_PREFIX, decodeSs58, encodeSs58 } from './hotkey-signature.js';
import { InvalidArgumentError, describeValue } from './errors.js';

/** Protocol version segment of every key. */
export const STORAGE_LAYOUT_VERSION = 'v1';
/** Longest key, in UTF-8 bytes (S3's limit). */
export const MAX_KEY_BYTES = 1024;
/** Longest path segment, in bytes (NAME_MAX), so the filesystem backend can mirror any valid key. */
export const MAX_SEGMENT_BYTES = 255;

/** The files of one checkpoint (loadable by `transformers`, plus cohort's manifest). */
export const CHECKPOINT_FILES = ['model.safetensors', 'config.json', 'manifest.json'] as const;
/** One of {@link CHECKPOINT_FILES}. */
export type CheckpointFile = (typeof CHECKPOINT_FILES)[number];

/** The rule a refused key broke; stable, for tests and logs. */
export type StorageKeyRule =
  | 'EMPTY'
  | 'TOO_LONG'
  | 'SEGMENT_TOO_LONG'
  | 'CONTROL_CHAR'
  | 'BACKSLASH'
  | 'LEADING_SLASH'
  | 'BAD_CHAR'
  | 'EMPTY_SEGMENT'
  | 'DOT_SEGMENT'
  | 'BAD_RUN'
  | 'BAD_WINDOW'
  | 'BAD_HOTKEY'
  | 'UNKNOWN_LAYOUT';

/**
 * A key that is unsafe or outside the layout. `reason` is always `BAD_KEY` (the store's reason for it);
 * `rule` says which rule failed.
 */
export class StorageKeyError extends InvalidArgumentError {
  override readonly name: string = 'StorageKeyError';
  readonly rule: StorageKeyRule;
  constructor(rule: StorageKeyRule, message: string) {
    super(message, { reason: 'BAD_KEY', details: { rule } });
    this.rule = rule;
  }
}

/** What a layout key names. Every field is set for the kinds that have it. */
export type StorageKey =
  | { readonly kind: 'update'; readonly run: string; readonly window: number; readonly hotkey: string }
  | { readonly kind: 'aggregate'; readonly run: string; readonly window: number }
  | { readonly kind: 'selection'; readonly run: string; readonly window: number }
  | { readonly kind: 'score'; readonly run: string; readonly window: number; readonly hotkey: string }
  | {
      readonly kind: 'checkpoint';
      readonly run: string;
      readonly window: number;
      readonly file: CheckpointFile;
    }
  | { readonly kind: 'latest'; readonly run: string };

/** One of the kinds of {@link StorageKey}. */
export type StorageKeyKind = StorageKey['kind'];

const SAFE_CHARS = /^[A-Za-z0-9._\-/]*$/;
// C0 controls, DEL, C1 controls, and the Unicode line/paragraph separators.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const RUN_ID = /^[a-z0-9._-]{1,32}$/;
const WINDOW = /^(0|[1-9][0-9]{0,15})$/;
const utf8 = new TextEncoder();

function fail(rule: StorageKeyRule, what: string, value: unknown): never {
  throw new StorageKeyError(rule, `Storage key refused (${rule}): ${what}; received ${describeValue(value)}`);
}

/**
 * Check any key that comes from outside (an RPC, a peer's listing) before it reaches a backend: a
 * string of at most {@link MAX_KEY_BYTES} bytes over the charset `A-Z a-z 0-9 . _ - /`, with `/` only
 * between non-empty segments of at most {@link MAX_SEGMENT_BYTES} bytes, none of them `.` or `..`. So a
 * valid key maps to a path inside a root on every filesystem and to the same object name on S3.
 * Does not check the layout (use {@link parseKey}). Returns the key; throws {@link StorageKeyError}.
 */
export function validateKey(key: string): string {
  checkCharacters(key, 'a storage key');
  if (key.length === 0) fail('EMPTY', 'a key must not be empty', key);
  checkSegments(key.split('/'), key);
  return key;
}

/**
 * Check a listing prefix: like {@link validateKey}, but empty is allowed (everything) and so is a
 * trailing `/` (a folder: `cohort/v1/run/updates/12/`). A prefix that is not a whole folder matches
 * more than it seems (`updates/1` matches windows 1, 10, 11, …).
 */
export function validateKeyPrefix(prefix: string): string {
  checkCharacters(prefix, 'a storage key prefix');
  if (prefix.length === 0) return prefix;
  const segments = prefix.split('/');
  checkSegments(prefix.endsWith('/') ? segments.slice(0, -1) : segments, prefix);
  return prefix;
}

function checkCharacters(value: string, what: string): void {
  if (typeof value !== 'string') fail('BAD_CHAR', `${what} must be a string`, value);
  if (value.length > MAX_KEY_BYTES || utf8.encode(value).length > MAX_KEY_BYTES) {
    fail('TOO_LONG', `${what} must have at most ${MAX_KEY_BYTES} bytes`, value);
  }
  if (CONTROL_CHARS.test(value)) fail('CONTROL_CHAR', `${what} must not contain control characters`, value);
  if (value.includes('\\')) fail('BACKSLASH', `${what} must not contain a backslash`, value);
  if (value.startsWith('/')) fail('LEADING_SLASH', `${what} must be relative`, value);
  if (!SAFE_CHARS.test(value)) fail('BAD_CHAR', `${what} may only use A-Z a-z 0-9 . _ - /`, value);
}

function checkSegments(segments: readonly string[], key: string): void {
  for (const segment of segments) {
    if (segment.length === 0) fail('EMPTY_SEGMENT', 'a key must not contain "//" or end in "/"', key);
    if (segment === '.' || segment === '..') fail('DOT_SEGMENT', 'a key must not contain . or ..', key);
    if (segment.length > MAX_SEGMENT_BYTES) {
      fail('SEGMENT_TOO_LONG', `a key segment must have at most ${MAX_SEGMENT_BYTES} bytes`, key);
    }
  }
}

/** Throws unless `run` is a run id of the layout; returns it. */
export function checkRunId(run: string): string {
  if (typeof run !== 'string' || !RUN_ID.test(run) || run === '.' || run === '..') {
    fail('BAD_RUN', 'a run id is 1 to 32 of [a-z0-9._-], not "." or ".."', run);
  }
  return run;
}

function checkWindow(window: number): number {
  if (!Number.isSafeInteger(window) || window < 0) {
    fail('BAD_WINDOW', 'a window is a non-negative safe integer', window);
  }
  return window;
}

function parseWindow(text: string): number {
  const window = WINDOW.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(window)) {
    fail('BAD_WINDOW', 'a window is written in decimal without leading zeros', text);
  }
  return window;
}

function checkHotkey(hotkey: string): string {
  let canonical: string | undefined;
  try {
    canonical = encodeSs58(decodeSs58(hotkey), BITTENSOR_SS58_PREFIX);
  } catch {
    canonical = undefined; // not an SS58 address at all: refused below with the key's own reason
  }
  if (canonical !== hotkey) {
    fail('BAD_HOTKEY', 'a hotkey is a canonical SS58 address with prefix 42', hotkey);
  }
  return hotkey;
}

/** `cohort/v1/<run>/`: the prefix of everything a run stores. */
export function runPrefix(run: string): string {
  return `cohort/${STORAGE_LAYOUT_VERSION}/${checkRunId(run)}/`;
}

/** The update a miner (`hotkeySs58`) published for window `window`. Write-once. */
export function updateKey(run: string, window: number, hotkeySs58: string): string {
  return `${updatesPrefix(run, window)}${checkHotkey(hotkeySs58)}`;
}

/** The folder of all updates of one window (ends in `/`), for listing them. */
export function updatesPrefix(run: string, window: number): string {
  return `${runPrefix(run)}updates/${checkWindow(window)}/`;
}

/** The aggregate `A_w` of window `window`. Write-once. */
export function aggregateKey(run: string, window: number): string {
  return `${runPrefix(run)}aggregates/${checkWindow(window)}`;
}

/** The coordinator's selection of contributors for window `window`. Write-once. */
export function selectionKey(run: string, window: number): string {
  return `${runPrefix(run)}selections/${checkWindow(window)}`;
}

/** The explanation record of `hotkeySs58`'s score in window `window`. Write-once. */
export function scoreKey(run: string, window: number, hotkeySs58: string): string {
  return `${scoresPrefix(run, window)}${checkHotkey(hotkeySs58)}.json`;
}

/** The folder of all score records of one window (ends in `/`). */
export function scoresPrefix(run: string, window: number): string {
  return `${runPrefix(run)}scores/${checkWindow(window)}/`;
}

/** The three files of the checkpoint published at window `window`. Write-once. */
export interface CheckpointKeys {
  readonly model: string;
  readonly config: string;
  readonly manifest: string;
}

/** Keys of the checkpoint of window `window`. Publish the manifest last: it names the other two. */
export function checkpointKeys(run: string, window: number): CheckpointKeys {
  const folder = `${runPrefix(run)}checkpoints/${checkWindow(window)}/`;
  return {
    model: `${folder}model.safetensors`,
    config: `${folder}config.json`,
    manifest: `${folder}manifest.json`,
  };
}

/** `LATEST`: the run's pointer to its newest checkpoint; the only mutable key. */
export function latestKey(run: string): string {
  return `${runPrefix(run)}LATEST`;
}

/**
 * What a key names. Throws {@link StorageKeyError}: an unsafe key with {@link validateKey}'s rules, a
 * key outside the layout with `UNKNOWN_LAYOUT` (or the rule of its bad run, window or hotkey).
 */
export function parseKey(key: string): StorageKey {
  validateKey(key);
  const parts = key.split('/');
  if (parts.length < 3 || parts[0] !== 'cohort' || parts[1] !== STORAGE_LAYOUT_VERSION) {
    fail('UNKNOWN_LAYOUT', `a key starts with cohort/${STORAGE_LAYOUT_VERSION}/<run>/`, key);
  }
  const run = checkRunId(parts[2] ?? '');
  const rest = parts.slice(3);
  const [folder, windowText, name] = rest;
  if (rest.length === 1 && folder === 'LATEST') return { kind: 'latest', run };
  if (windowText === undefined) return fail('UNKNOWN_LAYOUT', 'not a layout key', key);
  if (rest.length === 2 && (folder === 'aggregates' || folder === 'selections')) {
    const window = parseWindow(windowText);
    return { kind: folder === 'aggregates' ? 'aggregate' : 'selection', run, window };
  }
  if (rest.length === 3 && name !== undefined) {
    if (folder === 'updates') {
      return { kind: 'update', run, window: parseWindow(windowText), hotkey: checkHotkey(name) };
    }
    if (folder === 'scores' && name.endsWith('.json')) {
      const hotkey = checkHotkey(name.slice(0, -'.json'.length));
      return { kind: 'score', run, window: parseWindow(windowText), hotkey };
    }
    if (folder === 'checkpoints' && (CHECKPOINT_FILES as readonly string[]).includes(name)) {
      return { kind: 'checkpoint', run, window: parseWindow(windowText), file: name as CheckpointFile };
    }
  }
  return fail('UNKNOWN_LAYOUT', 'not a layout key', key);
}

/** {@link parseKey} that answers `undefined` for any key it would refuse: for keys from a listing. */
export function tryParseKey(key: string): StorageKey | undefined {
  try {
    return parseKey(key);
  } catch (error) {
    if (error instanceof StorageKeyError) return undefined;
    throw error;
  }
}

/** The window a layout key belongs to, or `undefined` for `LATEST` and non-layout keys. */
export function windowFromKey(key: string): number | undefined {
  const parsed = tryParseKey(key);
  return parsed === undefined || parsed.kind === 'latest' ? undefined : parsed.window;
}

/** True only for `LATEST`: every other layout key, and every non-layout key, is write-once. */
export function keyAllowsOverwrite(key: string): boolean {
  return tryParseKey(key)?.kind === 'latest';
}
