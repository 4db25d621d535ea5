/**
 * chain-bridge: the only connection to subtensor. This build serves its contract and connects to
 * NATS (where it will publish block and window events); the chain client arrives with the chain issue,
 * so its RPCs answer UNIMPLEMENTED.
 */
import { ChainBridgeService } from '@cohort/proto/cohort/chain/v1/chain_bridge';
import { useNats } from '@cohort/kit';
import type { ServiceDefinition } from '@cohort/kit';
import { configSpec } from './config.js';

/** The chain-bridge service definition, run by main.ts. */
export const chainBridgeService: ServiceDefinition<typeof configSpec.fields> = {
  name: 'chain-bridge',
  spec: configSpec,
  async start(ctx) {
    ctx.addGrpcService(ChainBridgeService, {});
    await useNats(ctx, 'chain-bridge');
  },
};
