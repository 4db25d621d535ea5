/**
 * Head, List and Delete: metadata reads of this operator's or a peer's bucket (first-seen by this store's
 * clock), listings by prefix with page tokens, and deletes of this operator's objects. A read that names
 * no bucket goes to the key owner's (ADR 0024); a window's update folder is listed across every miner's
 * committed bucket (list-updates.ts).
 */
import { validateKey, validateKeyPrefix } from '@cohort/core';
import type { CallContext } from '@cohort/kit';
import type { DeleteRequest, HeadRequest, ListRequest } from '@cohort/proto/cohort/store/v1/checkpoint_store';

import { StoreError } from '../backends/backend.js';
import { reasonOf } from './put.js';
import type { StoreDeps } from './store-deps.js';
import { listWindowUpdates } from './list-updates.js';
import { bucketFor, objectInfo, peerOf, readFrom } from './store-deps.js';

async function measured<T>(deps: StoreDeps, rpc: string, fn: () => Promise<T>): Promise<T> {
  const done = deps.metrics.time(rpc);
  try {
    const out = await fn();
    deps.metrics.request(rpc, 'ok');
    return out;
  } catch (error) {
    deps.metrics.request(rpc, reasonOf(error));
    throw error;
  } finally {
    done();
  }
}

/** The Head handler: NOT_FOUND for a missing key. */
export function createHead(deps: StoreDeps) {
  return (request: HeadRequest, ctx: CallContext) =>
    measured(deps, 'head', async () => {
      const key = validateKey(request.key);
      const peer = bucketFor(deps, request.bucket, key);
      const meta = await readFrom(deps, peer, (b) => b.head(key, ctx.signal), ctx.signal);
      if (meta === undefined) throw new StoreError('NOT_FOUND', `no object ${key}`);
      return { info: objectInfo(deps, peer, meta) };
    });
}

/** The List handler: keys ascending, at most `maxPageSize` per page. */
export function createList(deps: StoreDeps) {
  return (request: ListRequest, ctx: CallContext) =>
    measured(deps, 'list', async () => {
      const prefix = validateKeyPrefix(request.prefix);
      const named = peerOf(request.bucket);
      const route =
        named === undefined ? deps.router.routeList(prefix) : { kind: 'peer' as const, peer: named };
      if (route.kind === 'updates') return listWindowUpdates(deps, prefix, route, ctx.signal);
      const peer = route.kind === 'peer' ? route.peer : undefined;
      const pageSize = Math.min(
        deps.maxPageSize,
        request.pageSize === 0 ? deps.maxPageSize : request.pageSize,
      );
      const page = await readFrom(
        deps,
        peer,
        (b) => b.list(prefix, request.pageToken === '' ? undefined : request.pageToken, pageSize, ctx.signal),
        ctx.signal,
      );
      return {
        objects: page.objects.map((m) => objectInfo(deps, peer, m)),
        nextPageToken: page.nextPageToken ?? '',
      };
    });
}

/** The Delete handler: this operator's bucket only. */
export function createDelete(deps: StoreDeps) {
  return (request: DeleteRequest) =>
    measured(deps, 'delete', async () => {
      const key = validateKey(request.key);
      const size = deps.usage.limited ? ((await deps.own.head(key))?.sizeBytes ?? 0) : 0;
      const deleted = await deps.own.delete(key);
      if (deleted) deps.usage.deleted(size);
      if (deleted) deps.log.info('object_deleted', { key });
      return { deleted };
    });
}
