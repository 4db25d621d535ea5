/**
 * Whose bucket a layout key lives in (protocol §8: each operator writes only its own bucket). An update
 * is its miner's; aggregates, checkpoints and `LATEST` are the run's aggregator's; a selection is the
 * validator's whose selection the run follows. Score records and everything outside the layout
 * (datasets) are read where this operator keeps them. The checkpoint-store routes every read that names
 * no bucket by this rule (ADR 0024), so services read "the run" and never pick buckets themselves.
 *
 * Pure: no I/O.
 */
import { runPrefix, tryParseKey } from './storage-keys.js';

/** The run's fixed roles: SS58 hotkeys, '' when the run has none configured (read this operator's). */
export interface RunRoles {
  /** The hotkey that signs the run's aggregates and checkpoints. */
  readonly aggregator: string;
  /** The hotkey whose selection decides each window's contributors. */
  readonly validator: string;
}

/** Where a key, or a listing prefix, is read. */
export type KeyOwner =
  | { readonly kind: 'own' }
  | { readonly kind: 'hotkey'; readonly hotkey: string }
  /** A window's updates: every miner's own key, each in its miner's bucket (a fan-out). */
  | { readonly kind: 'updates'; readonly run: string; readonly window: number };

const OWN: KeyOwner = { kind: 'own' };

function byRole(hotkey: string): KeyOwner {
  return hotkey === '' ? OWN : { kind: 'hotkey', hotkey };
}

/** The owner of one object key. Keys outside the layout are this operator's. */
export function keyOwner(key: string, roles: RunRoles): KeyOwner {
  const parsed = tryParseKey(key);
  switch (parsed?.kind) {
    case 'update':
      return { kind: 'hotkey', hotkey: parsed.hotkey };
    case 'aggregate':
    case 'checkpoint':
    case 'latest':
      return byRole(roles.aggregator);
    case 'selection':
      return byRole(roles.validator);
    default:
      return OWN;
  }
}

const FOLDER = /^cohort\/v1\/([a-z0-9._-]{1,32})\/(.*)$/;
const WINDOW_FOLDER = /^updates\/(0|[1-9][0-9]{0,15})\/$/;

/**
 * The owner of what a listing prefix names: a window's update folder (`…/updates/<w>/`) is a fan-out
 * over miners; a prefix inside the aggregator's or the validator's folders (`aggregates/`,
 * `checkpoints/`, `checkpoints/12/`, `selections/`) is that role's bucket; anything else (the run's
 * whole prefix, `updates/`, `scores/…`, prefixes spanning folders, non-layout prefixes) is this
 * operator's own listing.
 */
export function prefixOwner(prefix: string, roles: RunRoles): KeyOwner {
  const m = FOLDER.exec(prefix);
  if (m === null) return OWN;
  const run = m[1] ?? '';
  const rest = m[2] ?? '';
  if (run === '.' || run === '..' || `${runPrefix(run)}${rest}` !== prefix) return OWN;
  const w = WINDOW_FOLDER.exec(rest);
  if (w !== null) {
    const window = Number(w[1]);
    if (Number.isSafeInteger(window)) return { kind: 'updates', run, window };
  }
  // Only a prefix wholly inside one folder is routed: `s` spans scores and selections, so it is own.
  if (rest.startsWith('aggregates') || rest.startsWith('checkpoints') || rest.startsWith('LATEST'))
    return byRole(roles.aggregator);
  if (rest.startsWith('selections')) return byRole(roles.validator);
  return OWN;
}
