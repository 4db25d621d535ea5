import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CohortError } from '@cohort/core';
import { runCli } from './run-cli.js';
import type { ConfigRow } from './commands/config-reference.js';

test('config --json lists every service key with a unique env twin per service', async () => {
  const rows = JSON.parse(await runCli(['config', '--json'])) as ConfigRow[];
  const services = new Set(rows.map((r) => r.service));
  assert.deepEqual([...services].sort(), [
    'aggregator',
    'chain-bridge',
    'checkpoint-store',
    'compressor',
    'coordinator',
    'gauntlet-evaluator',
    'gpu-worker',
  ]);
  for (const s of services) {
    const envs = rows.filter((r) => r.service === s).map((r) => r.env);
    assert.equal(new Set(envs).size, envs.length, `${s} has duplicate env keys`);
    assert.ok(envs.includes('COHORT_GRPC_PORT') && envs.includes('COHORT_METRICS_PORT'), s);
  }
  const token = rows.find((r) => r.key === 'natsToken');
  assert.equal(token?.secret, true);
  assert.equal(token?.default, null);
});

test('default ports differ between services so they can share one host', async () => {
  const rows = JSON.parse(await runCli(['config', '--json'])) as ConfigRow[];
  const ports = rows.filter((r) => r.key === 'grpcPort' || r.key === 'metricsPort').map((r) => r.default);
  assert.equal(new Set(ports).size, ports.length);
});

test('config for one service renders a markdown table', async () => {
  const text = await runCli(['config', 'compressor']);
  assert.match(text, /^## cohort-compressor/);
  assert.match(text, /\| `maxPayloadBytes` \| `COHORT_MAX_PAYLOAD_BYTES` \| `4294967296` \|/);
  assert.doesNotMatch(text, /coordinator/);
});

test('misuse is an InvalidArgument CohortError with a reason', async () => {
  await assert.rejects(runCli(['nope']), (e) => e instanceof CohortError && e.reason === 'UNKNOWN_COMMAND');
  await assert.rejects(
    runCli(['config', 'nope']),
    (e) => e instanceof CohortError && e.reason === 'UNKNOWN_SERVICE',
  );
  assert.match(await runCli([]), /usage: cohort/);
  assert.match(await runCli([]), /data prepare/);
});
