/**
 * A deliberately broken config value: the binary prints one clear line naming the key, its env
 * twin and the expected form, and exits with code 2 before binding anything.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnService } from '../harness/index.js';

async function runBad(service: string, env: Record<string, string>, args: string[] = []) {
  const proc = spawnService(service, { env, args });
  const code = await proc.exited;
  return { code, stderr: proc.stderr(), records: proc.records };
}

test('a non-numeric port: exit 2, one line naming key, env twin and expected form', async () => {
  const { code, stderr, records } = await runBad('compressor', { COHORT_GRPC_PORT: 'fifty' });
  assert.equal(code, 2);
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, stderr);
  assert.match(
    lines[0] ?? '',
    /^cohort-compressor: invalid config grpcPort \(env COHORT_GRPC_PORT, flag --grpc-port\): expected a TCP port: an integer in \[0, 65535\].* but received "fifty" \(from env\)$/,
  );
  assert.deepEqual(records, [], 'nothing may start before the config is valid');
});

test('an out-of-range value from a flag', async () => {
  const { code, stderr } = await runBad('coordinator', {}, ['--shutdown-grace-ms', '-5']);
  assert.equal(code, 2);
  assert.match(
    stderr,
    /shutdownGraceMs .*expected an integer in \[0, 600000\] \(ms\) but received "-5" \(from flag\)/,
  );
});

test('an unknown role in a list', async () => {
  const { code, stderr } = await runBad('coordinator', { COHORT_ROLES: 'miner,banker' });
  assert.equal(code, 2);
  assert.match(stderr, /roles .*COHORT_ROLES.*miner, validator or aggregator/);
});

test('a role without what it needs: the miner role without a worker', async () => {
  const { code, stderr } = await runBad('coordinator', { COHORT_ROLES: 'miner' });
  assert.equal(code, 2);
  assert.match(stderr, /workerAddress \(env COHORT_WORKER_ADDRESS\) is required for the miner role/);
});

test('a cross-key rule: the s3 backend without an endpoint', async () => {
  const { code, stderr } = await runBad('checkpoint-store', { COHORT_BACKEND: 's3', COHORT_S3_BUCKET: 'b' });
  assert.equal(code, 2);
  assert.match(stderr, /backend "s3" needs s3Endpoint \(env COHORT_S3_ENDPOINT\)/);
});

test('a cross-key rule: a bucket limit with two store processes (kept per process)', async () => {
  const { code, stderr } = await runBad('checkpoint-store', {
    COHORT_STORE_REPLICAS: '2',
    COHORT_MAX_BUCKET_BYTES: '1000000',
  });
  assert.equal(code, 2);
  assert.match(
    stderr,
    /maxBucketBytes \(env COHORT_MAX_BUCKET_BYTES\) is kept per process and needs one writer/,
  );
});

test('a store routing by commitments with a mistyped role hotkey (bad checksum)', async () => {
  const { code, stderr } = await runBad('checkpoint-store', {
    COHORT_AGGREGATOR_HOTKEY: '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQZ',
  });
  assert.equal(code, 2);
  assert.match(stderr, /aggregatorHotkey \(env COHORT_AGGREGATOR_HOTKEY\) must be an SS58 address/);
});

test('an unknown flag', async () => {
  const { code, stderr } = await runBad('aggregator', {}, ['--grpc-prot', '1']);
  assert.equal(code, 2);
  assert.match(stderr, /unknown flag --grpc-prot/);
});

test('--help prints every key with its env twin and exits 0', async () => {
  const { code, records } = await runBad('compressor', {}, ['--help']);
  assert.equal(code, 0);
  assert.deepEqual(records, []);
});
