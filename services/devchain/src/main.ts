#!/usr/bin/env node
// cohort-devchain: the local subtensor chain as its own process (the devnet, and tests that restart the
// chain). Prints one JSON line {"event":"devchain_ready","url":...} when it serves; SIGTERM/SIGINT stop it.
import { parseArgs } from 'node:util';
import { startBlockClock, startLocalChain } from './local-chain.js';
import type { BlockMode } from './local-chain.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'block-ms': { type: 'string', default: '0' },
    mode: { type: 'string' },
    spec: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(
    'cohort-devchain [--port N] [--block-ms MS] [--spec raonet.json]\n' +
      '  --port      loopback port (0: a free one)\n' +
      '  --block-ms  make a block every MS milliseconds (0: no clock)\n' +
      '  --mode      instant | batch | manual (default: manual with a clock, else batch)\n' +
      '  --spec      chain spec path (default: $COHORT_CHAIN_SPEC, else ../shared/chain/raonet.json)\n',
  );
  process.exit(0);
}
const port = Number(values.port);
const blockMs = Number(values['block-ms']);
if (!Number.isInteger(port) || port < 0 || port > 65535 || !Number.isInteger(blockMs) || blockMs < 0) {
  process.stderr.write('--port must be 0..65535 and --block-ms a non-negative integer\n');
  process.exit(2);
}
const mode = (values.mode ?? (blockMs > 0 ? 'manual' : 'batch')) as BlockMode;
if (!['instant', 'batch', 'manual'].includes(mode)) {
  process.stderr.write('--mode must be instant, batch or manual\n');
  process.exit(2);
}
try {
  const chain = await startLocalChain({
    port,
    blockMode: mode,
    ...(values.spec === undefined ? {} : { specPath: values.spec }),
  });
  const clock =
    blockMs > 0
      ? startBlockClock(chain, blockMs, (err) => process.stderr.write(`block failed: ${String(err)}\n`))
      : undefined;
  process.stdout.write(
    `${JSON.stringify({ event: 'devchain_ready', url: chain.url, port: chain.port, mode })}\n`,
  );
  const stop = (): void => {
    void (async () => {
      await clock?.stop();
      await chain.close();
      process.exit(0);
    })();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
