/**
 * The CheckpointStoreService implementation: thin handlers (handlers/*) over the backend contract, all
 * sharing one {@link StoreDeps}.
 */
import type { ServiceImpl } from '@cohort/kit';
import type { CheckpointStoreService } from '@cohort/proto/cohort/store/v1/checkpoint_store';

import { createGet } from './handlers/get.js';
import { createDelete, createHead, createList } from './handlers/head-list-delete.js';
import { createPut } from './handlers/put.js';
import type { StoreDeps } from './handlers/store-deps.js';
import { createWatch } from './handlers/watch.js';

/** Every CheckpointStoreService RPC, bound to `deps`. */
export function createStoreImpl(deps: StoreDeps): ServiceImpl<typeof CheckpointStoreService> {
  return {
    put: createPut(deps),
    get: createGet(deps),
    head: createHead(deps),
    list: createList(deps),
    delete: createDelete(deps),
    watch: createWatch(deps),
  };
}
