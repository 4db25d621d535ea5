/**
 * `cohort preflight` as an operator runs it: the CLI binary as a child process against the real subtensor
 * runtime (a `cohort-devchain` process) and a real S3 server (Ceph RADOS Gateway). One run where every
 * check passes, then the mistakes it exists to catch: an unregistered hotkey and the write key offered as
 * the read key (both FAIL in the same report), a wrong secret key, an unreachable chain, misuse.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from 'minio';
import { createSubnet, devPair, devUri, registerNeuron, runEpoch } from '@cohort/devchain';
import { repoRoot, startDevchainProcess, startS3Server } from '../harness/index.js';
import type { DevchainProcess, S3Server } from '../harness/index.js';

const TAO = 1_000_000_000n;
const VALIDATOR = { coldkeyUri: devUri(0), hotkeyUri: devUri(1), stakeRao: 5_000n * TAO };
const MINER = { coldkeyUri: devUri(2), hotkeyUri: devUri(3), stakeRao: 0n };
const BUCKET = 'cohort-preflight';
/** chopsticks' block timestamps start at a pinned genesis time, far from the wall clock. */
const SIMULATED_CHAIN_SKEW_MS = String(10 ** 13);

interface Check {
  check: string;
  status: 'ok' | 'warn' | 'FAIL';
  detail: string;
  advice: string;
}
interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

function cohort(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const start = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(repoRoot, 'services/cli/dist/main.js'), 'preflight', ...args],
      { env: { ...process.env, ...env }, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr, ms: Date.now() - start });
      },
    );
  });
}

const byName = (stdout: string): Map<string, Check> => {
  const report = JSON.parse(stdout) as { checks: Check[] };
  return new Map(report.checks.map((c) => [c.check, c]));
};

describe('cohort preflight against the local chain and a real S3 server', { timeout: 300_000 }, () => {
  let devchain: DevchainProcess;
  let s3: S3Server;
  let netuid: number;
  let stateDir: string;
  let chainArgs: string[];
  let s3Args: string[];

  before(async () => {
    [devchain, s3] = await Promise.all([startDevchainProcess('manual'), startS3Server()]);
    netuid = await createSubnet(devchain.chain, { hyperparameters: { tempo: 10 } });
    await registerNeuron(devchain.chain, netuid, VALIDATOR);
    await registerNeuron(devchain.chain, netuid, MINER);
    await runEpoch(devchain.chain, netuid);
    const url = new URL(s3.endpoint);
    const raw = new Client({
      endPoint: url.hostname,
      port: Number(url.port),
      useSSL: false,
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
      region: s3.region,
      pathStyle: true,
    });
    await raw.makeBucket(BUCKET, s3.region);
    // Publicly readable and listable, as a bucket whose committed read access needs no key.
    await raw.setBucketPolicy(
      BUCKET,
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: '*',
            Action: ['s3:ListBucket'],
            Resource: [`arn:aws:s3:::${BUCKET}`],
          },
          {
            Effect: 'Allow',
            Principal: '*',
            Action: ['s3:GetObject'],
            Resource: [`arn:aws:s3:::${BUCKET}/*`],
          },
        ],
      }),
    );
    stateDir = mkdtempSync(join(tmpdir(), 'cohort-preflight-'));
    chainArgs = [
      '--chain',
      devchain.chain.url,
      '--netuid',
      String(netuid),
      '--max-skew-ms',
      SIMULATED_CHAIN_SKEW_MS,
    ];
    s3Args = [
      '--s3-endpoint',
      s3.endpoint,
      '--bucket',
      BUCKET,
      '--region',
      s3.region,
      '--run',
      'preflight-test',
    ];
  });

  after(async () => {
    await devchain?.stop();
    await s3?.stop();
    if (stateDir !== undefined) rmSync(stateDir, { recursive: true, force: true });
  });

  const writeKeys = (): NodeJS.ProcessEnv => ({
    COHORT_S3_ACCESS_KEY_ID: s3.accessKey,
    COHORT_S3_SECRET_ACCESS_KEY: s3.secretKey,
  });

  test('a registered validator with a permit, a good bucket and a public read side passes every check', async () => {
    const run = await cohort(
      [
        ...chainArgs,
        ...s3Args,
        '--role',
        'validator',
        '--hotkey-uri',
        VALIDATOR.hotkeyUri,
        '--state-dir',
        stateDir,
        '--probe-mb',
        '4',
        '--json',
      ],
      writeKeys(),
    );
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const checks = byName(run.stdout);
    for (const name of ['chain', 'subnet', 'hotkey', 'bucket', 'bucket-read', 'clock', 'disk', 'bandwidth']) {
      assert.equal(checks.get(name)?.status, 'ok', `${name}: ${JSON.stringify(checks.get(name))}`);
    }
    assert.notEqual(checks.get('gpu')?.status, 'FAIL');
    assert.match(checks.get('chain')!.detail, /node-subtensor spec 218/);
    assert.match(checks.get('hotkey')!.detail, /validator permit/);
    assert.match(checks.get('bandwidth')!.detail, /up [\d.]+ MB\/s/);

    // The probes cleaned up after themselves.
    const url = new URL(s3.endpoint);
    const raw = new Client({
      endPoint: url.hostname,
      port: Number(url.port),
      useSSL: false,
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
      region: s3.region,
      pathStyle: true,
    });
    const left = await raw.listObjectsV2Query(BUCKET, 'cohort/v1/preflight-test/', '', '', 1000, '');
    assert.deepEqual(
      left.objects.map((o) => o.name),
      [],
    );

    // The text report of a miner given by address: one `ok  <check>  <detail>` line per check.
    const miner = (await devPair(MINER.hotkeyUri)).address;
    const text = await cohort(
      [...chainArgs, ...s3Args, '--role', 'miner', '--hotkey', miner, '--state-dir', stateDir],
      writeKeys(),
    );
    assert.equal(text.code, 0, text.stdout + text.stderr);
    assert.match(text.stdout, new RegExp(`^ok {4}hotkey {7}${miner} has uid \\d+ on netuid ${netuid}`, 'm'));
    assert.match(text.stdout, /^preflight passed/m);
  });

  test('an unregistered hotkey and the write key offered as the read key both fail, in one report', async () => {
    const stranger = (await devPair(devUri(7))).address;
    const run = await cohort(
      [
        ...chainArgs,
        ...s3Args,
        '--role',
        'miner',
        '--hotkey',
        stranger,
        '--state-dir',
        stateDir,
        '--json',
        '--read-access-key-id',
        s3.accessKey,
        '--read-secret-access-key',
        s3.secretKey,
      ],
      writeKeys(),
    );
    assert.equal(run.code, 1, run.stderr);
    const checks = byName(run.stdout);
    assert.equal(checks.get('hotkey')?.status, 'FAIL');
    assert.match(checks.get('hotkey')!.detail, /is not registered on netuid/);
    assert.match(checks.get('hotkey')!.advice, /btcli subnet register --netuid/);
    assert.equal(checks.get('bucket-read')?.status, 'FAIL');
    assert.match(checks.get('bucket-read')!.advice, /read-only key/);
    assert.equal(checks.get('chain')?.status, 'ok', 'one failure hides nothing else');
    assert.equal(checks.get('bucket')?.status, 'ok');
  });

  test('a wrong secret key fails the bucket check with what to fix; the bandwidth is not measured', async () => {
    const run = await cohort([...s3Args, '--role', 'aggregator', '--state-dir', stateDir], {
      COHORT_S3_ACCESS_KEY_ID: s3.accessKey,
      COHORT_S3_SECRET_ACCESS_KEY: 'not-the-secret',
    });
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stdout,
      /^FAIL {2}bucket +s3 .* list failed \(PEER_DENIED.*the secret key does not belong to the access key id/m,
    );
    assert.match(run.stdout, /^warn {2}bandwidth +not checked/m);
    assert.doesNotMatch(run.stdout, /not-the-secret/, 'secrets never printed');
  });

  test('an unreachable chain fails at once with a clear message', async () => {
    const run = await cohort([
      '--chain',
      'ws://127.0.0.1:1',
      '--netuid',
      '1',
      '--role',
      'miner',
      '--state-dir',
      stateDir,
    ]);
    assert.equal(run.code, 1);
    assert.match(
      run.stdout,
      /^FAIL {2}chain +ws:\/\/127\.0\.0\.1:1 unreachable: ECONNREFUSED.*start your subtensor node/m,
    );
    assert.match(run.stdout, /^warn {2}subnet +not checked: the chain is unreachable/m);
    assert.ok(run.ms < 15_000, `took ${run.ms} ms`);
  });

  test('misuse exits 2 naming the flag', async () => {
    const run = await cohort(['--role', 'miner', '--s3-endpoint', 'http://127.0.0.1:1', '--bucket', 'b'], {
      COHORT_S3_ACCESS_KEY_ID: '',
      COHORT_S3_SECRET_ACCESS_KEY: '',
    });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--access-key-id and --secret-access-key/);
    assert.equal((await cohort(['--role', 'pilot'])).code, 2);
  });
});
