import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CohortError } from '@cohort/core';
import { parsePreflightArgs } from './preflight-options.js';

const misuse = (args: string[], env: NodeJS.ProcessEnv = {}): void =>
  assert.throws(
    () => parsePreflightArgs(args, env),
    (e) => e instanceof CohortError && e.code === 3,
    args.join(' '),
  );

test('preflight flags: groups go together, secrets come from flags or their env twins', () => {
  misuse([]);
  misuse(['--role', 'oracle']);
  misuse(['--role', 'miner', '--chain', 'ws://h:9944']);
  misuse(['--role', 'miner', '--chain', 'http://h:9944', '--netuid', '1']);
  misuse(['--role', 'miner', '--s3-endpoint', 'http://s3:80', '--bucket', 'b']);
  misuse(['--role', 'miner', '--hotkey', 'x', '--hotkey-uri', '//a']);
  misuse(['--role', 'miner', '--preset', '3B']);
  misuse(['--role', 'miner', '--bogus']);
  const { options, json } = parsePreflightArgs(
    [
      '--role',
      'validator',
      '--chain',
      'ws://h:9944',
      '--netuid',
      '3',
      '--hotkey-uri',
      '//cohort//1',
      '--s3-endpoint',
      'http://s3:80/',
      '--bucket',
      'b',
      '--json',
    ],
    { COHORT_S3_ACCESS_KEY_ID: 'AK', COHORT_S3_SECRET_ACCESS_KEY: 'SK' },
  );
  assert.equal(json, true);
  assert.deepEqual(options.chain, { url: 'ws://h:9944', netuid: 3 });
  assert.equal(options.s3?.target.endpoint, 'http://s3:80');
  assert.equal(options.s3?.target.secretAccessKey, 'SK');
  assert.equal(options.s3?.read, undefined);
  assert.equal(options.s3?.probeBytes, 8e6);
  assert.deepEqual(options.hotkey, {
    signer: {
      walletPath: '~/.bittensor/wallets',
      walletName: '',
      hotkeyName: 'default',
      hotkeyMnemonic: '',
      hotkeyUri: '//cohort//1',
    },
  });
  assert.equal(options.maxSkewMs, 10_000);
});
