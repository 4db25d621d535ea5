/**
 * A window's updates across the run (ADR 0024): what this operator's bucket holds for hotkeys read here,
 * plus each committed miner's own key (`updates/<w>/<hotkey>`, nothing else) headed in its bucket. One
 * page, sorted by key; a peer that fails is left out of this answer (logged, counted) and asked again at
 * the caller's next poll, so one slow or hostile bucket never hides the others.
 */
import { tryParseKey } from '@cohort/core';

import type { ObjectMeta } from '../backends/backend.js';
import type { PeerBucket } from '../peers/peer-pool.js';
import type { ListRoute } from '../routing/read-router.js';
import { reasonOf } from './put.js';
import type { StoreDeps } from './store-deps.js';
import { objectInfo } from './store-deps.js';

/** Heads in flight at once across all peers (each peer is further bounded by the pool). */
const FANOUT_CONCURRENCY = 32;
/** Pages of this operator's own listing read for one window (a window holds one key per hotkey). */
const MAX_OWN_PAGES = 64;

type Found = { readonly meta: ObjectMeta; readonly peer: PeerBucket | undefined };

async function ownUpdates(
  deps: StoreDeps,
  prefix: string,
  ownHotkey: (hotkey: string) => boolean,
  signal: AbortSignal,
): Promise<Found[]> {
  const found: Found[] = [];
  let token: string | undefined;
  for (let page = 0; page < MAX_OWN_PAGES; page++) {
    const listed = await deps.own.list(prefix, token, deps.maxPageSize, signal);
    for (const meta of listed.objects) {
      const key = tryParseKey(meta.key);
      if (key?.kind === 'update' && ownHotkey(key.hotkey)) found.push({ meta, peer: undefined });
    }
    token = listed.nextPageToken;
    if (token === undefined) break;
  }
  return found;
}

/** The List answer for a window's update folder routed as `route`. */
export async function listWindowUpdates(
  deps: StoreDeps,
  prefix: string,
  route: Extract<ListRoute, { kind: 'updates' }>,
  signal: AbortSignal,
) {
  const found = await ownUpdates(deps, prefix, route.ownHotkey, signal);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < route.peers.length && !signal.aborted) {
      const { hotkey, peer } = route.peers[next++]!;
      const key = `${prefix}${hotkey}`;
      try {
        const meta = await deps.peers.run(peer, (b) => b.head(key, signal), signal);
        if (meta !== undefined) found.push({ meta, peer });
      } catch (error) {
        deps.metrics.request('list_fanout', reasonOf(error));
        deps.log.debug('list_fanout_failed', { key, endpoint: peer.endpoint, reason: reasonOf(error) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(FANOUT_CONCURRENCY, route.peers.length) }, worker));
  found.sort((a, b) => (a.meta.key < b.meta.key ? -1 : a.meta.key > b.meta.key ? 1 : 0));
  return { objects: found.map((f) => objectInfo(deps, f.peer, f.meta)), nextPageToken: '' };
}
