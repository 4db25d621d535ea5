/**
 * Subnet setup on the local chain, the way an operator would do it on a real one: register a subnet,
 * set its hyperparameters through sudo (AdminUtils), register hotkeys by burn, stake, and run an epoch so
 * validator permits exist. The runtime-specific workarounds (seeding the new subnet's pool) are here and
 * nowhere else.
 */
import type { SubmittableExtrinsic } from '@polkadot/api/types';
import { CohortError, Code } from '@cohort/core';
import { devPair } from './dev-accounts.js';
import type { LocalChain } from './local-chain.js';
import { storageItem, txCall } from '@cohort/chain-bridge';
import { submitAndWait } from './submit.js';

/** The sudo key after the genesis fixes. */
export const SUDO_URI = '//Alice';

/** Hyperparameters the harness can set (only the given ones are sent). */
export interface SubnetHyperparameters {
  readonly tempo?: number;
  readonly weightsRateLimit?: number;
  readonly commitRevealEnabled?: boolean;
  /** Reveal period in epochs (`sudo_set_commit_reveal_weights_interval`). */
  readonly revealPeriodEpochs?: number;
  readonly weightsVersionKey?: number;
  readonly maxAllowedValidators?: number;
  readonly minAllowedWeights?: number;
  readonly weightsMinStake?: number;
  readonly activityCutoff?: number;
}

/** Options of {@link createSubnet}. */
export interface CreateSubnetOptions {
  /** Owner coldkey (pays the lock). Default Alice. */
  readonly ownerUri?: string;
  /** Owner hotkey. Default `<ownerUri>//owner-hot`. */
  readonly ownerHotkeyUri?: string;
  /** TAO seeded into the new pool, in rao (staking into a 1-rao pool yields no alpha). */
  readonly poolRao?: bigint;
  readonly hyperparameters?: SubnetHyperparameters;
}

async function sudo(chain: LocalChain, call: SubmittableExtrinsic<'promise'>): Promise<void> {
  await submitAndWait(chain, txCall(chain.api, 'sudo', 'sudo')(call), await devPair(SUDO_URI));
}

/** Register a subnet; returns its netuid. Registration limits are lifted so tests can register many hotkeys. */
export async function createSubnet(chain: LocalChain, options: CreateSubnetOptions = {}): Promise<number> {
  const { api } = chain;
  const owner = await devPair(options.ownerUri ?? SUDO_URI);
  const ownerHot = await devPair(options.ownerHotkeyUri ?? `${options.ownerUri ?? SUDO_URI}//owner-hot`);
  const before = new Set(
    (await storageItem(api, 'subtensorModule', 'networksAdded').entries()).map(([k]) =>
      k.args[0]!.toString(),
    ),
  );
  await submitAndWait(chain, txCall(api, 'subtensorModule', 'registerNetwork')(ownerHot.address, 1), owner);
  const after = (await storageItem(api, 'subtensorModule', 'networksAdded').entries()).map(([k]) =>
    Number(k.args[0]!.toString()),
  );
  const netuid = after.find((n) => !before.has(String(n)));
  if (netuid === undefined) {
    throw new CohortError(Code.Internal, 'registerNetwork succeeded but no new netuid appeared', {
      reason: 'SUBNET_NOT_CREATED',
    });
  }
  const pool = (options.poolRao ?? 1_000_000_000_000n).toString();
  await chain.setStorage({
    SubtensorModule: { SubnetTAO: [[[netuid], pool]], SubnetAlphaIn: [[[netuid], pool]] },
  });
  await sudo(chain, txCall(api, 'adminUtils', 'sudoSetMaxRegistrationsPerBlock')(netuid, 64));
  await sudo(chain, txCall(api, 'adminUtils', 'sudoSetTargetRegistrationsPerInterval')(netuid, 64));
  if (options.hyperparameters !== undefined) await setHyperparameters(chain, netuid, options.hyperparameters);
  return netuid;
}

/** Set the given hyperparameters through sudo, one extrinsic each. */
export async function setHyperparameters(
  chain: LocalChain,
  netuid: number,
  h: SubnetHyperparameters,
): Promise<void> {
  const admin = (call: string, ...args: unknown[]) => txCall(chain.api, 'adminUtils', call)(...args);
  if (h.tempo !== undefined) await sudo(chain, admin('sudoSetTempo', netuid, h.tempo));
  if (h.weightsRateLimit !== undefined)
    await sudo(chain, admin('sudoSetWeightsSetRateLimit', netuid, h.weightsRateLimit));
  if (h.commitRevealEnabled !== undefined) {
    await sudo(chain, admin('sudoSetCommitRevealWeightsEnabled', netuid, h.commitRevealEnabled));
  }
  if (h.revealPeriodEpochs !== undefined) {
    await sudo(chain, admin('sudoSetCommitRevealWeightsInterval', netuid, h.revealPeriodEpochs));
  }
  if (h.weightsVersionKey !== undefined)
    await sudo(chain, admin('sudoSetWeightsVersionKey', netuid, h.weightsVersionKey));
  if (h.maxAllowedValidators !== undefined) {
    await sudo(chain, admin('sudoSetMaxAllowedValidators', netuid, h.maxAllowedValidators));
  }
  if (h.minAllowedWeights !== undefined)
    await sudo(chain, admin('sudoSetMinAllowedWeights', netuid, h.minAllowedWeights));
  if (h.weightsMinStake !== undefined) await sudo(chain, admin('sudoSetWeightsMinStake', h.weightsMinStake));
  if (h.activityCutoff !== undefined)
    await sudo(chain, admin('sudoSetActivityCutoff', netuid, h.activityCutoff));
}

/** One neuron to register: the coldkey that pays and owns, the hotkey that signs, and stake to add. */
export interface NeuronSpec {
  readonly coldkeyUri: string;
  readonly hotkeyUri: string;
  /** TAO to stake into the hotkey on this subnet, in rao (0 or absent: none). */
  readonly stakeRao?: bigint;
}

/** Register `spec.hotkeyUri` on `netuid` by burn, stake, and return its uid. */
export async function registerNeuron(chain: LocalChain, netuid: number, spec: NeuronSpec): Promise<number> {
  const { api } = chain;
  const cold = await devPair(spec.coldkeyUri);
  const hot = await devPair(spec.hotkeyUri);
  await submitAndWait(chain, txCall(api, 'subtensorModule', 'burnedRegister')(netuid, hot.address), cold);
  if (spec.stakeRao !== undefined && spec.stakeRao > 0n) {
    await submitAndWait(
      chain,
      txCall(api, 'subtensorModule', 'addStake')(hot.address, netuid, spec.stakeRao),
      cold,
    );
  }
  const uid = await storageItem(api, 'subtensorModule', 'uids')(netuid, hot.address);
  const value = uid as unknown as { isSome: boolean; unwrap(): { toNumber(): number } };
  if (!value.isSome) {
    throw new CohortError(Code.Internal, `hotkey ${hot.address} has no uid after registering`, {
      reason: 'NEURON_NOT_REGISTERED',
    });
  }
  return value.unwrap().toNumber();
}

/** The first block after `from` at which `netuid`'s epoch runs: `(block + netuid + 1) % (tempo + 1) == tempo`. */
export function nextEpochBlock(from: number, netuid: number, tempo: number): number {
  const period = tempo + 1;
  const offset = (((tempo - netuid - 1 - from) % period) + period) % period;
  return from + (offset === 0 ? period : offset);
}

/** Jump to the subnet's next epoch block (one block made), so permits, ranks and activity update. */
export async function runEpoch(chain: LocalChain, netuid: number): Promise<number> {
  const tempo = Number((await storageItem(chain.api, 'subtensorModule', 'tempo')(netuid)).toString());
  return chain.jumpTo(nextEpochBlock(await chain.head(), netuid, tempo));
}
