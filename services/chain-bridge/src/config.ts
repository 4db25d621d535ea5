import { bucketCommitFields, commonFields, defineConfig, field, natsFields } from '@cohort/kit';
import type { ConfigOf } from '@cohort/kit';

/**
 * chain-bridge configuration: where the chain is, which subnet, the window length, how staleness and
 * reconnects behave, and where the operator's hotkey comes from (exactly one of wallet, mnemonic or dev
 * URI; none makes a read-only bridge whose writes answer FAILED_PRECONDITION / NO_SIGNER).
 */
export const configSpec = defineConfig('chain-bridge', {
  ...commonFields({ grpc: 50052, metrics: 9102 }),
  ...natsFields(),
  ...bucketCommitFields(),
  chainUrl: field.list({
    doc: 'Subtensor WebSocket endpoints, tried in order on every (re)connect, comma-separated',
    default: ['ws://127.0.0.1:9944'],
    item: /^wss?:\/\/[^\s,]+$/,
    itemDoc: 'ws://host:port or wss://host',
    min: 1,
  }),
  netuid: field.int({ doc: "The run's subnet", default: 3, min: 0, max: 65535 }),
  blocksPerWindow: field.int({
    doc: 'Blocks per training window (protocol §1): window = floor(block / blocksPerWindow)',
    default: 125,
    min: 1,
    max: 1_000_000,
  }),
  staleAfterMs: field.int({
    doc: 'No new block for this long marks the head stale (reported, never waited on)',
    default: 60_000,
    min: 100,
    max: 3_600_000,
    unit: 'ms',
  }),
  reconnectMinMs: field.int({
    doc: 'First reconnect delay after the chain connection drops (doubles up to reconnectMaxMs, full jitter)',
    default: 500,
    min: 10,
    max: 600_000,
    unit: 'ms',
  }),
  reconnectMaxMs: field.int({
    doc: 'Longest reconnect delay',
    default: 30_000,
    min: 10,
    max: 3_600_000,
    unit: 'ms',
  }),
  requestTimeoutMs: field.int({
    doc: 'Longest wait for one chain read (and for connecting); a dead chain fails reads, never hangs them',
    default: 15_000,
    min: 100,
    max: 600_000,
    unit: 'ms',
  }),
  extrinsicTimeoutMs: field.int({
    doc: 'Longest wait for a submitted extrinsic to reach a block before it is reported dropped',
    default: 120_000,
    min: 1000,
    max: 3_600_000,
    unit: 'ms',
  }),
  metagraphEveryBlocks: field.int({
    doc: 'Re-read the metagraph (and publish a metagraph event when it changed) every this many blocks',
    default: 25,
    min: 1,
    max: 100_000,
  }),
  walletPath: field.string({
    doc: 'Bittensor wallets directory, laid out as btcli does (<path>/<wallet>/hotkeys/<hotkey>); "~" is the home directory',
    default: '~/.bittensor/wallets',
  }),
  walletName: field.string({
    doc: 'Wallet whose hotkey signs (with hotkeyName); empty: not from a wallet',
    default: '',
    allowEmpty: true,
  }),
  hotkeyName: field.string({ doc: 'Hotkey file name inside the wallet', default: 'default' }),
  hotkeyMnemonic: field.secret({
    doc: 'Hotkey mnemonic (12/24 words), e.g. from a Kubernetes secret',
    optional: true,
  }),
  hotkeyUri: field.secret({
    doc: 'Hotkey secret URI such as //cohort//3 (devnet only: dev URIs are public keys)',
    optional: true,
  }),
  stateDir: field.string({
    doc: 'Directory for durable bridge state: commit-reveal salts, so a restart still reveals',
    default: './chain-bridge-state',
  }),
});

export type Config = ConfigOf<typeof configSpec.fields>;
