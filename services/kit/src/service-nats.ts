/**
 * The NATS connection of a service: connected during start (health waits for it), reported as the
 * `nats` dependency, drained at shutdown after gRPC has drained.
 */
import type { ConfigOf } from './config/spec.js';
import type { natsFields } from './config/common-fields.js';
import { connectNats } from './nats.js';
import type { NatsHandle } from './nats.js';
import type { ServiceContext } from './service-runtime.js';

/** The config keys {@link useNats} reads. */
export type NatsConfig = ConfigOf<ReturnType<typeof natsFields>>;

/**
 * Connect this service to NATS, waiting (and retrying) until the server is reachable or shutdown
 * begins, and register the drain as a shutdown hook.
 */
export async function useNats(ctx: ServiceContext<NatsConfig>, serviceName: string): Promise<NatsHandle> {
  const nats = await connectNats({
    servers: ctx.config.natsUrl,
    name: `cohort-${serviceName}`,
    ...(ctx.config.natsToken === '' ? {} : { token: ctx.config.natsToken }),
    log: ctx.log,
    health: ctx.health,
    registry: ctx.metrics.registry,
    signal: ctx.shutdownSignal,
  });
  ctx.onShutdown('nats', () => nats.close());
  return nats;
}
