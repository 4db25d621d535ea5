/**
 * Verdicts of the chain checks from what the chain probe saw: the endpoint and its runtime, the subnet,
 * and the operator's hotkey on it. Pure, so each threshold and each piece of advice is a unit test.
 */
import { result } from './check-result.js';
import type { CheckResult } from './check-result.js';
import type { Role } from './roles.js';

/** What connecting to the endpoint gave. */
export type ChainObservation =
  | {
      readonly kind: 'unreachable';
      readonly endpoint: string;
      /** `refused`, `dns`, `timeout`, `not-websocket` or `other`: picks the advice. */
      readonly cause: 'refused' | 'dns' | 'timeout' | 'not-websocket' | 'other';
      readonly message: string;
    }
  | {
      readonly kind: 'connected';
      readonly endpoint: string;
      readonly specName: string;
      readonly specVersion: number;
      /** Whether the runtime has the SubtensorModule pallet. */
      readonly hasSubtensorModule: boolean;
      readonly headBlock: number;
      /** `Timestamp.Now` at the head, Unix ms. */
      readonly headTimestampMs: number;
    };

/** What the chain holds about the subnet and the hotkey (absent parts were not read). */
export interface NetworkObservation {
  readonly netuid: number;
  readonly subnetExists: boolean;
  readonly neurons: number;
  /** The hotkey's SS58 address, or undefined when none was given. */
  readonly hotkey: string | undefined;
  readonly uid: number | null;
  readonly validatorPermit: boolean;
  /** `TotalHotkeyAlpha(hotkey, netuid)`, in rao. */
  readonly stakeRao: bigint;
}

const CAUSE_ADVICE: Readonly<Record<Extract<ChainObservation, { kind: 'unreachable' }>['cause'], string>> = {
  refused:
    'nothing listens there: start your subtensor node or fix the port in --chain (finney: wss://entrypoint-finney.opentensor.ai:443)',
  dns: 'the host name does not resolve: check the spelling in --chain and this machine’s DNS',
  timeout:
    'no answer in time: check firewalls and that the node serves websocket RPC (--rpc-external, --rpc-cors all)',
  'not-websocket':
    'the endpoint is not a websocket RPC server: use ws:// or wss:// and the node’s RPC port (9944)',
  other: 'check --chain: a ws:// or wss:// URL of a subtensor node’s RPC port',
};

/** The `chain` check: reachable and running subtensor. */
export function chainVerdict(o: ChainObservation): CheckResult {
  if (o.kind === 'unreachable') {
    return result('chain', 'FAIL', `${o.endpoint} unreachable: ${o.message}`, CAUSE_ADVICE[o.cause]);
  }
  const what = `${o.endpoint}: ${o.specName} spec ${o.specVersion}, head #${o.headBlock}`;
  if (!o.hasSubtensorModule) {
    return result(
      'chain',
      'FAIL',
      `${what} has no SubtensorModule`,
      'this is not a Bittensor chain: point --chain at a subtensor node',
    );
  }
  if (o.specName !== 'node-subtensor') {
    return result(
      'chain',
      'warn',
      `${what}: a SubtensorModule under another runtime name`,
      'make sure this is the network you mean to join',
    );
  }
  return result('chain', 'ok', what);
}

/** The `subnet` check. */
export function subnetVerdict(o: NetworkObservation): CheckResult {
  if (!o.subnetExists) {
    return result(
      'subnet',
      'FAIL',
      `netuid ${o.netuid} does not exist on this chain`,
      'check --netuid against the run’s announcement (btcli subnet list)',
    );
  }
  return result('subnet', 'ok', `netuid ${o.netuid} exists with ${o.neurons} neurons`);
}

const TAO = 1_000_000_000n;
const alpha = (rao: bigint): string => `${rao / TAO}.${(rao % TAO).toString().padStart(9, '0').slice(0, 3)}`;

/** The `hotkey` check: registered on the subnet; a validator also needs a permit, which comes with stake. */
export function hotkeyVerdict(o: NetworkObservation, role: Role): CheckResult {
  if (o.hotkey === undefined) {
    return result(
      'hotkey',
      'warn',
      'not checked: no hotkey given',
      'give --hotkey <ss58> (or --hotkey-uri, or --wallet-name/--hotkey-name) to check its registration',
    );
  }
  if (!o.subnetExists) {
    return result('hotkey', 'FAIL', `${o.hotkey}: netuid ${o.netuid} does not exist`, 'fix --netuid first');
  }
  if (o.uid === null) {
    const register = `register it: btcli subnet register --netuid ${o.netuid} --wallet.name <wallet> --wallet.hotkey <hotkey>`;
    return role === 'aggregator'
      ? result(
          'hotkey',
          'warn',
          `${o.hotkey} is not registered on netuid ${o.netuid}`,
          `replicas trust an aggregator by address, so this works only if the run names it; else ${register}`,
        )
      : result('hotkey', 'FAIL', `${o.hotkey} is not registered on netuid ${o.netuid}`, register);
  }
  const base = `${o.hotkey} has uid ${o.uid} on netuid ${o.netuid}, stake ${alpha(o.stakeRao)} α`;
  if (role !== 'validator') return result('hotkey', 'ok', base);
  if (o.validatorPermit) return result('hotkey', 'ok', `${base}, validator permit`);
  if (o.stakeRao === 0n) {
    return result(
      'hotkey',
      'FAIL',
      `${base}, no validator permit and no stake`,
      `stake to the hotkey (btcli stake add --netuid ${o.netuid}); permits go to the top stakes at each epoch`,
    );
  }
  return result(
    'hotkey',
    'warn',
    `${base}, no validator permit yet`,
    'permits are given at epoch boundaries to the largest stakes: wait for the next epoch, or add stake if it stays missing',
  );
}

/** The result of a check that did not run: its input is missing, or a check it builds on failed. */
export function notChecked(
  check: CheckResult['check'],
  why: string,
  advice = 'fix the failing check above, then run preflight again',
): CheckResult {
  return result(check, 'warn', `not checked: ${why}`, advice);
}
