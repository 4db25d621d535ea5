/**
 * Gather window s's updates from the store for the aggregate: list `updates/<s>/`, keep what the layout
 * names (other keys are logged as `update_key_ignored` and skipped), refuse oversized objects before
 * downloading them, keep at most `maxPeers` (the earliest the store saw), download the rest a few at a
 * time, each within `fetchTimeoutMs` (one that is not is dropped: FETCH_TIMEOUT, logged with the
 * exclusions; one whose download fails otherwise — truncated, corrupt, refused — is dropped as
 * FETCH_FAILED with the error's reason code: a bad object never wedges the window, only shutdown stops
 * it). The survivors come back sorted by hotkey string (the aggregate's order).
 * With a validator's selection, only the selected updates are taken (others: NOT_SELECTED, a selected
 * one never uploaded: MISSING), and each must be the very bytes the validator scored (SELECTION_MISMATCH).
 *
 * The collector never parses an update: it compares sizes and the store's hashes only. Every check of
 * the bytes themselves (structure, run, window, the key's hotkey, signature, θ_s's fingerprint:
 * WRONG_STATE) is the aggregation's, in the compressor when one is configured (ADR 0014), so untrusted
 * bytes are parsed in one process and only once.
 */
import { CohortError, codeName, decodeSs58, forEachLimited, tryParseKey, updatesPrefix } from '@cohort/core';
import type { Selection } from '@cohort/core';
import type { ObjectInfo } from '@cohort/proto/cohort/common/v1/types';

import type { AggregatorDeps } from './deps.js';

/** An update that passed every check, ready for aggregation. */
export interface CollectedUpdate {
  readonly key: string;
  /** The miner's SS58 hotkey from the key. */
  readonly hotkey: string;
  readonly publicKey: Uint8Array;
  readonly bytes: Uint8Array;
}

/**
 * An update left out, with its stable reason: TOO_LARGE, TOO_MANY_PEERS, MISSING, FETCH_TIMEOUT,
 * FETCH_FAILED, NOT_SELECTED or SELECTION_MISMATCH here; the aggregation adds codec reasons and WRONG_STATE.
 */
export interface Exclusion {
  readonly hotkey: string;
  readonly reason: string;
  readonly detail: string;
}

/** What {@link collectUpdates} found. */
export interface Collected {
  /** Update keys listed for the window (excluded ones included). */
  readonly listed: number;
  readonly updates: CollectedUpdate[];
  readonly excluded: Exclusion[];
}

/** What collecting needs of the aggregator's dependencies: the store and the settings. */
export type CollectDeps = Pick<AggregatorDeps, 'runId' | 'store' | 'log' | 'signal' | 'settings'>;

/** Downloads in flight at once. */
const FETCH_CONCURRENCY = 8;

interface Listed {
  readonly info: ObjectInfo;
  readonly hotkey: string;
  readonly window: number;
}

/** List window `window`'s update keys; `update_key_ignored` for anything else under the prefix. */
async function listUpdates(deps: CollectDeps, window: number): Promise<Listed[]> {
  const out: Listed[] = [];
  for (const info of await deps.store.list(updatesPrefix(deps.runId, window), { signal: deps.signal })) {
    const key = tryParseKey(info.key);
    if (key?.kind !== 'update' || key.window !== window) {
      deps.log.warn('update_key_ignored', { window, key: info.key });
      continue;
    }
    out.push({ info, hotkey: key.hotkey, window });
  }
  return out;
}

/**
 * Why one update's download failed, as an exclusion: past `fetchTimeoutMs` (FETCH_TIMEOUT), announced
 * over `maxUpdateBytes` (TOO_LARGE), or anything else (FETCH_FAILED, with the error's reason code): a
 * truncated transfer, a corrupt object, a peer that refuses. One update's bad luck or bad object never
 * fails the window; only shutdown does.
 */
function fetchFailure(hotkey: string, error: unknown, timedOut: boolean, deadlineMs: number): Exclusion {
  const cause = CohortError.from(error);
  if (timedOut) {
    return {
      hotkey,
      reason: 'FETCH_TIMEOUT',
      detail: `not downloaded within ${deadlineMs} ms: ${String(cause)}`,
    };
  }
  if (cause.reason === 'TOO_LARGE') return { hotkey, reason: 'TOO_LARGE', detail: cause.message };
  return {
    hotkey,
    reason: 'FETCH_FAILED',
    detail: `${cause.reason ?? codeName(cause.code)}: ${cause.message}`,
  };
}

/** Download one update and check its size and hash; returns it, or the reason it is excluded. */
async function fetchUpdate(
  deps: CollectDeps,
  entry: Listed,
  selectedHash: string | undefined,
): Promise<CollectedUpdate | Exclusion> {
  const { hotkey, info } = entry;
  const cap = deps.settings.maxUpdateBytes;
  const deadline = deps.settings.fetchTimeoutMs;
  const timeout = AbortSignal.timeout(deadline);
  let stored;
  try {
    stored = await deps.store.get(info.key, {
      signal: AbortSignal.any([deps.signal, timeout]),
      maxBytes: cap,
    });
  } catch (error) {
    if (deps.signal.aborted) throw error; // shutdown, not this peer's fault
    const excluded = fetchFailure(hotkey, error, timeout.aborted, deadline);
    deps.log.warn('update_fetch_failed', { window: entry.window, key: info.key, ...excluded });
    return excluded;
  }
  if (stored === undefined)
    return { hotkey, reason: 'MISSING', detail: `${info.key} vanished after the listing` };
  const hash = Buffer.from(stored.info.blake2b256).toString('hex');
  if (selectedHash !== undefined && hash !== selectedHash) {
    return {
      hotkey,
      reason: 'SELECTION_MISMATCH',
      detail: `the stored bytes hash to ${hash}, the validator scored ${selectedHash}`,
    };
  }
  return { key: info.key, hotkey, publicKey: decodeSs58(hotkey), bytes: stored.bytes };
}

/** Collect window `window`'s updates (see the module comment). */
export async function collectUpdates(
  deps: CollectDeps,
  window: number,
  selection?: Selection,
): Promise<Collected> {
  const { maxUpdateBytes, maxPeers } = deps.settings;
  const listed = await listUpdates(deps, window);
  const excluded: Exclusion[] = [];
  const candidates: Listed[] = [];
  const selected = selection && new Map(selection.contributors.map((c) => [c.hotkey, c.payloadBlake2b256]));
  for (const hotkey of selected?.keys() ?? []) {
    if (!listed.some((l) => l.hotkey === hotkey)) {
      excluded.push({ hotkey, reason: 'MISSING', detail: 'selected, but not in the store' });
    }
  }
  for (const entry of listed) {
    if (selected !== undefined && !selected.has(entry.hotkey)) {
      excluded.push({
        hotkey: entry.hotkey,
        reason: 'NOT_SELECTED',
        detail: `not in ${selection!.validator}'s selection`,
      });
    } else if (entry.info.sizeBytes > BigInt(maxUpdateBytes)) {
      excluded.push({
        hotkey: entry.hotkey,
        reason: 'TOO_LARGE',
        detail: `${entry.info.sizeBytes} bytes, over maxUpdateBytes ${maxUpdateBytes}`,
      });
    } else {
      candidates.push(entry);
    }
  }
  candidates.sort(
    (a, b) =>
      Number(a.info.firstSeenUnixMs - b.info.firstSeenUnixMs) ||
      (a.hotkey < b.hotkey ? -1 : a.hotkey > b.hotkey ? 1 : 0),
  );
  for (const entry of candidates.splice(maxPeers)) {
    excluded.push({ hotkey: entry.hotkey, reason: 'TOO_MANY_PEERS', detail: `beyond maxPeers ${maxPeers}` });
  }
  const updates: CollectedUpdate[] = [];
  await forEachLimited(candidates, FETCH_CONCURRENCY, async (entry) => {
    const result = await fetchUpdate(deps, entry, selected?.get(entry.hotkey));
    if ('bytes' in result) updates.push(result);
    else excluded.push(result);
  });
  const byHotkey = (a: { hotkey: string }, b: { hotkey: string }): number =>
    a.hotkey < b.hotkey ? -1 : a.hotkey > b.hotkey ? 1 : 0;
  updates.sort(byHotkey);
  excluded.sort(byHotkey);
  return { listed: listed.length, updates, excluded };
}
