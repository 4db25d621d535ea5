/**
 * The validator's selection for a window (protocol §6, storage `selections/<w>`): which updates the
 * aggregator aggregates — contributors sorted by uid, each with the BLAKE2b-256 of the exact payload
 * the validator scored, so an aggregator (or anyone re-deriving A_w) uses those bytes and no others, and
 * the payload's digest (its signed trailer hash, what an aggregate lists), so a replica checks an
 * aggregate's contributors against the selection without downloading any payload (aggregate-trust.ts).
 * JSON, canonical (fixed field order, sorted contributors), and checked on the way in like any object
 * from a peer's bucket: a bad one is refused with `SELECTION_INVALID`, never half-used.
 */
import { CohortError, Code } from './errors.js';
import { decodeSs58 } from './hotkey-signature.js';

/** The selection format this module writes and reads. */
export const SELECTION_FORMAT = 'cohort-selection/2';
/** Most contributors a selection may name. */
export const MAX_SELECTION_PEERS = 4096;
/** Largest selection document accepted. */
export const MAX_SELECTION_BYTES = 1024 * 1024;

/** One selected update. */
export interface SelectedUpdate {
  readonly uid: number;
  /** SS58 address of the miner's hotkey. */
  readonly hotkey: string;
  /** BLAKE2b-256 of the payload object, 64 lowercase hex digits. */
  readonly payloadBlake2b256: string;
  /** The payload's digest (its trailer's BLAKE2b-256, what the miner signed), 64 lowercase hex digits. */
  readonly payloadDigest: string;
}

/** `selections/<w>`. */
export interface Selection {
  readonly format: typeof SELECTION_FORMAT;
  readonly runId: string;
  readonly window: number;
  /** SS58 address of the validator that selected. */
  readonly validator: string;
  readonly contributors: readonly SelectedUpdate[];
}

/** A refused selection document. */
export class SelectionError extends CohortError {
  override readonly name: string = 'SelectionError';
  constructor(message: string) {
    super(Code.InvalidArgument, message, { reason: 'SELECTION_INVALID' });
  }
}

const HEX64 = /^[0-9a-f]{64}$/;

function checkHotkey(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new SelectionError(`${what} must be an SS58 address`);
  try {
    decodeSs58(value);
  } catch {
    throw new SelectionError(`${what} is not an SS58 address: ${JSON.stringify(value).slice(0, 80)}`);
  }
  return value;
}

function check(v: Record<string, unknown>): Selection {
  if (v.format !== SELECTION_FORMAT) throw new SelectionError(`the format must be "${SELECTION_FORMAT}"`);
  if (typeof v.runId !== 'string' || v.runId.length === 0 || v.runId.length > 64) {
    throw new SelectionError('runId must be a run id');
  }
  if (typeof v.window !== 'number' || !Number.isSafeInteger(v.window) || v.window < 0) {
    throw new SelectionError('window must be a non-negative safe integer');
  }
  const validator = checkHotkey(v.validator, 'validator');
  if (!Array.isArray(v.contributors) || v.contributors.length > MAX_SELECTION_PEERS) {
    throw new SelectionError(`contributors must be a list of at most ${MAX_SELECTION_PEERS}`);
  }
  const contributors: SelectedUpdate[] = v.contributors.map((c: unknown, i) => {
    if (typeof c !== 'object' || c === null) throw new SelectionError(`contributors[${i}] must be an object`);
    const e = c as Record<string, unknown>;
    if (typeof e.uid !== 'number' || !Number.isInteger(e.uid) || e.uid < 0 || e.uid > 0xffff) {
      throw new SelectionError(`contributors[${i}].uid must be a uid`);
    }
    if (typeof e.payloadBlake2b256 !== 'string' || !HEX64.test(e.payloadBlake2b256)) {
      throw new SelectionError(`contributors[${i}].payloadBlake2b256 must be 64 lowercase hex digits`);
    }
    if (typeof e.payloadDigest !== 'string' || !HEX64.test(e.payloadDigest)) {
      throw new SelectionError(`contributors[${i}].payloadDigest must be 64 lowercase hex digits`);
    }
    return {
      uid: e.uid,
      hotkey: checkHotkey(e.hotkey, `contributors[${i}].hotkey`),
      payloadBlake2b256: e.payloadBlake2b256,
      payloadDigest: e.payloadDigest,
    };
  });
  for (let i = 1; i < contributors.length; i++) {
    if (contributors[i]!.uid <= contributors[i - 1]!.uid) {
      throw new SelectionError('contributors must be sorted by uid, each uid once');
    }
  }
  if (new Set(contributors.map((c) => c.hotkey)).size !== contributors.length) {
    throw new SelectionError('a hotkey is selected twice');
  }
  return { format: SELECTION_FORMAT, runId: v.runId, window: v.window, validator, contributors };
}

/** Serialize a selection canonically (contributors sorted by uid); refuses what a reader would refuse. */
export function encodeSelection(selection: Omit<Selection, 'format'>): Uint8Array {
  const contributors = [...selection.contributors]
    .sort((a, b) => a.uid - b.uid)
    .map((c) => ({
      uid: c.uid,
      hotkey: c.hotkey,
      payloadBlake2b256: c.payloadBlake2b256,
      payloadDigest: c.payloadDigest,
    }));
  const value = {
    format: SELECTION_FORMAT,
    runId: selection.runId,
    window: selection.window,
    validator: selection.validator,
    contributors,
  };
  check(value);
  return new TextEncoder().encode(JSON.stringify(value));
}

/** Parse and check a selection from a bucket; `expect` adds the run and window its key named. */
export function parseSelection(
  bytes: Uint8Array,
  expect: { readonly runId?: string; readonly window?: number } = {},
): Selection {
  if (bytes.length > MAX_SELECTION_BYTES)
    throw new SelectionError(`a selection of ${bytes.length} bytes is too large`);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new SelectionError('a selection must be UTF-8 JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SelectionError('a selection must be a JSON object');
  }
  const selection = check(value as Record<string, unknown>);
  if (expect.runId !== undefined && selection.runId !== expect.runId) {
    throw new SelectionError(`the selection is of run "${selection.runId}", not "${expect.runId}"`);
  }
  if (expect.window !== undefined && selection.window !== expect.window) {
    throw new SelectionError(`the selection is of window ${selection.window}, not ${expect.window}`);
  }
  return selection;
}

/** A scored peer the selection may take. */
export interface SelectionCandidate {
  readonly uid: number;
  readonly hotkey: string;
  readonly payloadBlake2b256: string;
  readonly payloadDigest: string;
  readonly finalScore: number;
}

/**
 * The contributors of a window: the peers scored this window (a valid, in-sync, on-time update with
 * the right receipt, not a copier — the caller passes only those), best final score first, at most
 * `count`, then sorted by uid as the aggregate wants them. A newcomer with no score yet is still taken
 * while there is room (its update was valid), after every peer with a positive score.
 */
export function chooseContributors(
  candidates: readonly SelectionCandidate[],
  count: number,
): SelectedUpdate[] {
  if (!Number.isInteger(count) || count < 1)
    throw new SelectionError(`a selection takes at least one peer, not ${count}`);
  return [...candidates]
    .sort((a, b) => b.finalScore - a.finalScore || a.uid - b.uid)
    .slice(0, count)
    .map(({ uid, hotkey, payloadBlake2b256, payloadDigest }) => ({
      uid,
      hotkey,
      payloadBlake2b256,
      payloadDigest,
    }))
    .sort((a, b) => a.uid - b.uid);
}
