/**
 * values.schema.json keeps in step with the services' config keys (see values-schema.ts), and every
 * service block's `config` uses its service's definition.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { test } from 'node:test';

import { repoRoot, template } from './chart.js';
import { definitionName, expectedDefinitions, readSchema, writeDefinitions } from './values-schema.js';
import type { ConfigReferenceEntry } from './values-schema.js';

const BLOCKS: Record<string, string> = {
  coordinator: 'coordinator',
  chainBridge: 'chain-bridge',
  checkpointStore: 'checkpoint-store',
  compressor: 'compressor',
  gpuWorker: 'gpu-worker',
  gauntletEvaluator: 'gauntlet-evaluator',
  aggregator: 'aggregator',
};

function configReference(): ConfigReferenceEntry[] {
  const res = spawnSync(process.execPath, [resolve(repoRoot, 'services/cli/dist/main.js'), 'config', '--json'], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  assert.equal(res.status, 0, res.stderr);
  return JSON.parse(res.stdout) as ConfigReferenceEntry[];
}

test('the config definitions match `cohort config --json` (COHORT_WRITE_SCHEMA=1 rewrites them)', () => {
  const expected = expectedDefinitions(configReference());
  if (process.env['COHORT_WRITE_SCHEMA'] === '1') writeDefinitions(expected);
  assert.deepEqual(readSchema().definitions, expected);
});

test('each service block takes its own service config definition', () => {
  const properties = readSchema()['properties'] as Record<string, { properties: { config: { $ref: string } } }>;
  for (const [block, service] of Object.entries(BLOCKS)) {
    assert.equal(properties[block]?.properties.config.$ref, `#/definitions/${definitionName(service)}`, block);
  }
});

test('a config key of another service, or a wrongly typed one, is refused', () => {
  const misplaced = template({ set: { 'gpuWorker.config.innerSteps': 30 } });
  assert.notEqual(misplaced.status, 0);
  assert.match(misplaced.stderr, /innerSteps/);
  const mistyped = template({ set: { 'coordinator.config.innerSteps': 'thirty' } });
  assert.notEqual(mistyped.status, 0);
  const fine = template({ set: { 'coordinator.config.innerSteps': 30, 'gpuWorker.config.microBatchSize': 4 } });
  assert.equal(fine.status, 0, fine.stderr);
});
