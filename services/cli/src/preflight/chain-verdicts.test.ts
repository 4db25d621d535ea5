import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chainVerdict, hotkeyVerdict, subnetVerdict } from './chain-verdicts.js';
import type { NetworkObservation } from './chain-verdicts.js';

const HOTKEY = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
const net = (over: Partial<NetworkObservation> = {}): NetworkObservation => ({
  netuid: 3,
  subnetExists: true,
  neurons: 4,
  hotkey: HOTKEY,
  uid: 2,
  validatorPermit: false,
  stakeRao: 0n,
  ...over,
});
const connected = {
  kind: 'connected' as const,
  endpoint: 'ws://h:9944',
  specName: 'node-subtensor',
  specVersion: 218,
  hasSubtensorModule: true,
  headBlock: 10,
  headTimestampMs: 0,
};

test('chain: unreachable fails with advice by cause; a runtime without SubtensorModule fails', () => {
  const refused = chainVerdict({
    kind: 'unreachable',
    endpoint: 'ws://h:1',
    cause: 'refused',
    message: 'ECONNREFUSED',
  });
  assert.equal(refused.status, 'FAIL');
  assert.match(refused.advice, /start your subtensor node/);
  assert.match(
    chainVerdict({ kind: 'unreachable', endpoint: 'ws://x', cause: 'dns', message: '' }).advice,
    /resolve/,
  );
  assert.equal(chainVerdict(connected).status, 'ok');
  assert.match(chainVerdict(connected).detail, /node-subtensor spec 218, head #10/);
  assert.equal(
    chainVerdict({ ...connected, hasSubtensorModule: false, specName: 'polkadot' }).status,
    'FAIL',
  );
  assert.equal(chainVerdict({ ...connected, specName: 'other-subtensor' }).status, 'warn');
});

test('subnet: a missing netuid fails', () => {
  assert.equal(subnetVerdict(net()).status, 'ok');
  const missing = subnetVerdict(net({ subnetExists: false }));
  assert.equal(missing.status, 'FAIL');
  assert.match(missing.advice, /btcli subnet list/);
});

test('hotkey: unregistered fails with the register command; a validator needs a permit or at least stake', () => {
  const unregistered = hotkeyVerdict(net({ uid: null }), 'miner');
  assert.equal(unregistered.status, 'FAIL');
  assert.match(unregistered.advice, /btcli subnet register --netuid 3/);
  assert.equal(hotkeyVerdict(net({ uid: null }), 'aggregator').status, 'warn');
  assert.equal(hotkeyVerdict(net(), 'miner').status, 'ok');
  assert.match(hotkeyVerdict(net(), 'miner').detail, /uid 2 on netuid 3/);
  const broke = hotkeyVerdict(net(), 'validator');
  assert.equal(broke.status, 'FAIL');
  assert.match(broke.advice, /btcli stake add/);
  assert.equal(hotkeyVerdict(net({ stakeRao: 5n * 10n ** 9n }), 'validator').status, 'warn');
  const permitted = hotkeyVerdict(net({ stakeRao: 5n * 10n ** 9n, validatorPermit: true }), 'validator');
  assert.equal(permitted.status, 'ok');
  assert.match(permitted.detail, /stake 5\.000 α, validator permit/);
  assert.equal(hotkeyVerdict(net({ hotkey: undefined }), 'miner').status, 'warn');
});
