// A newcomer joining a running devnet network (issue 9, protocol §9): real chain (chopsticks), real
// NATS, every service a process (test/harness/newcomer.ts). The run trains from genesis with the
// aggregator checkpointing every 5 windows; at window 20 a new miner operator starts, loads the newest
// checkpoint, replays the aggregates since and must contribute a valid (aggregated) update in its first
// window. Records the catch-up time and bytes. Writes test/bench/results/newcomer.json.
//   pnpm bench newcomer [--quick]
//     full:  2 miners, join at window 20, checkpoints every 5, 8 s windows
//     quick: join at window 6, checkpoints every 3 (a few minutes: the chain and services alone take
//            most of a minute to come up; see the JSON's note)
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const quick = process.argv.includes('--quick');
const out = resolve(root, 'test/bench/results/newcomer.json');
const { runNewcomer } = await import(resolve(root, 'test/dist/harness/index.js'));
const log = (...a) => console.log(`[bench newcomer ${new Date().toISOString().slice(11, 19)}]`, ...a);

const setup = {
  miners: 2,
  joinAfterWindows: quick ? 6 : 20,
  checkpointEvery: quick ? 3 : 5,
  blocksPerWindow: 8,
  blockMs: 1000,
  preset: 'devnet',
};
const t0 = performance.now();
const r = await runNewcomer({ runId: 'bench-newcomer', ...setup, progress: (line) => log(line) });
const result = {
  bench: 'newcomer',
  quick,
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg() },
  setup,
  result: r,
  summary: {
    catchUpSeconds: r.catchUpMs / 1000,
    resyncSeconds: r.resyncMs / 1000,
    catchUpBytes: r.catchUpBytes,
    catchUpBytesOverCheckpoint: r.checkpointModelBytes > 0 ? r.catchUpBytes / r.checkpointModelBytes : null,
    aggregatesReplayed: r.aggregatesReplayed,
    contributedInFirstWindow: r.contributedInFirstWindow,
  },
  seconds: (performance.now() - t0) / 1000,
  note:
    'catchUpMs runs from starting the newcomer operator (nats-server, chain-bridge, gpu-worker, coordinator ' +
    'processes) to its resync_done; resyncMs is the resync alone (checkpoint download and load by the worker, ' +
    'then the aggregates since, each trust-checked and applied). catchUpBytes is what the resync downloaded ' +
    '(checkpoint model + config, aggregates). contributedInFirstWindow: its first uploaded update was in the ' +
    'window it synced in or the next, and that update was aggregated (valid). --quick cannot fit a minute: the ' +
    'network takes most of a minute to come up and windows are 8 s.',
};
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
log(
  `caught up in ${(r.catchUpMs / 1000).toFixed(1)} s (resync ${(r.resyncMs / 1000).toFixed(1)} s), ` +
    `${r.catchUpBytes} bytes (checkpoint ${r.checkpointModelBytes}, ${r.aggregatesReplayed} aggregates), ` +
    `first window: ${r.contributedInFirstWindow}`,
);
