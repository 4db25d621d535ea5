/**
 * checkpoint-store: object storage for updates, aggregates and checkpoints (filesystem or S3), and
 * reads of peers' buckets. The storage backends arrive with the storage issue; until then the RPCs
 * answer UNIMPLEMENTED, and an s3 backend without endpoint or bucket is refused as a config error.
 */
import { CheckpointStoreService } from '@cohort/proto/cohort/store/v1/checkpoint_store';
import { ConfigError, envName } from '@cohort/kit';
import type { ServiceDefinition } from '@cohort/kit';
import { configSpec } from './config.js';
import type { Config } from './config.js';

/** Cross-key rules the per-key parsers cannot express. */
export function checkBackend(config: Config): void {
  if (config.backend !== 's3') return;
  for (const key of ['s3Endpoint', 's3Bucket'] as const) {
    if (config[key] === '') {
      throw new ConfigError(
        `backend "s3" needs ${key} (env ${envName(key)})`,
        'CONFIG_MISSING_VALUE',
        key,
        undefined,
      );
    }
  }
}

/** The checkpoint-store service definition, run by main.ts. */
export const checkpointStoreService: ServiceDefinition<typeof configSpec.fields> = {
  name: 'checkpoint-store',
  spec: configSpec,
  validate: checkBackend,
  start(ctx) {
    ctx.addGrpcService(CheckpointStoreService, {});
    ctx.log.info('store_backend', {
      backend: ctx.config.backend,
      fsRoot: ctx.config.fsRoot,
      s3Endpoint: ctx.config.s3Endpoint,
    });
    return Promise.resolve();
  },
};
