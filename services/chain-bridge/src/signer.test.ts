import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Keyring } from '@polkadot/keyring';
import { u8aToHex } from '@polkadot/util';
import {
  cryptoWaitReady,
  mnemonicToMiniSecret,
  signatureVerify,
  sr25519PairFromSeed,
} from '@polkadot/util-crypto';
import { CohortError } from '@cohort/core';
import { expandHome, loadSigner } from './signer.js';
import type { SignerSource } from './signer.js';

/** Substrate's dev phrase (the standard BIP-39 test mnemonic). */
const PHRASE = 'bottom drive obey lake curtain smoke basket hold race lonely fit walk';
/** Alice's well-known SS58 address (prefix 42). */
const ALICE = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';

const root = await mkdtemp(join(tmpdir(), 'cohort-signer-'));
after(() => rm(root, { recursive: true, force: true }));

/** The key btcli would write for PHRASE, derived independently of signer.ts. */
interface Expected {
  readonly seed: string;
  readonly privateKey: string;
  readonly publicKey: string;
  readonly address: string;
}
let expected: Expected;
/** A second, different key (for mismatches). */
let otherAddress: string;

before(async () => {
  await cryptoWaitReady();
  const seed = mnemonicToMiniSecret(PHRASE);
  const keys = sr25519PairFromSeed(seed);
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const pair = keyring.addFromSeed(seed);
  expected = {
    seed: u8aToHex(seed),
    privateKey: u8aToHex(keys.secretKey),
    publicKey: u8aToHex(keys.publicKey),
    address: pair.address,
  };
  otherAddress = keyring.addFromUri('//Bob').address;
});

/** The full btcli hotkey file for the expected key. */
function btcliHotkey(): Record<string, string> {
  return {
    accountId: expected.publicKey,
    publicKey: expected.publicKey,
    privateKey: expected.privateKey,
    secretPhrase: PHRASE,
    secretSeed: expected.seed,
    ss58Address: expected.address,
  };
}

let wallets = 0;
/** Write `content` as `<walletPath>/<walletName>/hotkeys/<hotkeyName>` in a fresh wallets dir. */
async function writeHotkey(
  content: string | Record<string, unknown>,
  mode = 0o600,
): Promise<SignerSource & { readonly path: string }> {
  const walletPath = join(root, `wallets-${wallets++}`);
  const hotkeys = join(walletPath, 'miner', 'hotkeys');
  await mkdir(hotkeys, { recursive: true });
  const path = join(hotkeys, 'default');
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content), { mode });
  await chmod(path, mode); // the umask may have narrowed the mode
  return { ...noSource, walletPath, walletName: 'miner', hotkeyName: 'default', path };
}

const noSource: SignerSource = {
  walletPath: '~/.bittensor/wallets',
  walletName: '',
  hotkeyName: 'default',
  hotkeyMnemonic: '',
  hotkeyUri: '',
};

/** The seed and every mnemonic word: none may appear in an error's message, details or rendering. */
function assertNoSecrets(err: CohortError): void {
  const texts = [err.message, err.toString(), JSON.stringify(err.details)];
  const seedHex = expected.seed.slice(2).toLowerCase();
  const privHex = expected.privateKey.slice(2).toLowerCase();
  for (const text of texts) {
    const lower = text.toLowerCase();
    assert.ok(!lower.includes(seedHex), `secret seed leaked: ${text}`);
    assert.ok(!lower.includes(privHex.slice(0, 64)), `private key leaked: ${text}`);
    assert.ok(!lower.includes(PHRASE), `mnemonic leaked: ${text}`);
    for (const word of PHRASE.split(' ')) {
      assert.ok(!new RegExp(`\\b${word}\\b`).test(lower), `mnemonic word "${word}" leaked: ${text}`);
    }
  }
}

/** Expect loadSigner to reject with a CohortError of `reason` that leaks no secret; return it. */
async function rejectsWith(source: SignerSource, reason: string): Promise<CohortError> {
  let caught: unknown;
  try {
    await loadSigner(source);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof CohortError, `expected a CohortError, got ${String(caught)}`);
  assert.equal(caught.reason, reason, caught.message);
  assertNoSecrets(caught);
  return caught;
}

/** Collect process warnings emitted while `fn` runs (and the ticks right after). */
async function warningsDuring<T>(fn: () => Promise<T>): Promise<{ value: T; warnings: string[] }> {
  const warnings: string[] = [];
  const listener = (w: Error): void => void warnings.push(w.message);
  process.on('warning', listener);
  try {
    const value = await fn();
    await new Promise<void>((resolve) => setImmediate(resolve));
    return { value, warnings };
  } finally {
    process.off('warning', listener);
  }
}

describe('loadSigner from a btcli wallet', () => {
  test('a full btcli hotkey file loads; address and public key match the file', async () => {
    const source = await writeHotkey(btcliHotkey());
    const { value: signer, warnings } = await warningsDuring(() => loadSigner(source));
    assert.ok(signer !== undefined);
    assert.equal(signer.source, 'wallet');
    assert.equal(signer.address, expected.address);
    assert.equal(signer.pair.address, expected.address);
    assert.equal(u8aToHex(signer.pair.publicKey), expected.publicKey);
    assert.equal(signer.pair.type, 'sr25519');
    assert.deepEqual(warnings, [], 'a 0600 hotkey file draws no warning');
    // The pair really holds the secret: it signs, and the signature verifies against the file's address.
    const message = new TextEncoder().encode('cohort');
    const signature = signer.pair.sign(message);
    assert.equal(signatureVerify(message, signature, expected.address).isValid, true);
  });

  test('a file with only secretPhrase (and the address) loads the same key', async () => {
    const source = await writeHotkey({ secretPhrase: PHRASE, ss58Address: expected.address });
    const signer = await loadSigner(source);
    assert.equal(signer?.address, expected.address);
    assert.equal(signer?.source, 'wallet');
  });

  test('a file with only secretPhrase and no address loads the same key', async () => {
    const source = await writeHotkey({ secretPhrase: PHRASE });
    assert.equal((await loadSigner(source))?.address, expected.address);
  });

  test('a file with only secretSeed loads the same key', async () => {
    const source = await writeHotkey({ secretSeed: expected.seed });
    assert.equal((await loadSigner(source))?.address, expected.address);
  });

  test('an upper-case hex secretSeed is accepted', async () => {
    const source = await writeHotkey({ secretSeed: `0x${expected.seed.slice(2).toUpperCase()}` });
    assert.equal((await loadSigner(source))?.address, expected.address);
  });

  test('a valid secretSeed wins over an unusable secretPhrase', async () => {
    const source = await writeHotkey({ ...btcliHotkey(), secretPhrase: 'not a mnemonic' });
    assert.equal((await loadSigner(source))?.address, expected.address);
  });

  test('an unusable secretSeed falls back to a valid secretPhrase', async () => {
    const source = await writeHotkey({ ...btcliHotkey(), secretSeed: '0x1234' });
    assert.equal((await loadSigner(source))?.address, expected.address);
  });

  test('a walletPath starting with ~ is read from the home directory', async (t) => {
    const home = join(root, 'home');
    const hotkeys = join(home, '.bittensor', 'wallets', 'miner', 'hotkeys');
    await mkdir(hotkeys, { recursive: true });
    await writeFile(join(hotkeys, 'hk1'), JSON.stringify(btcliHotkey()), { mode: 0o600 });
    await chmod(join(hotkeys, 'hk1'), 0o600);
    const saved = process.env['HOME'];
    t.after(() => {
      if (saved === undefined) delete process.env['HOME'];
      else process.env['HOME'] = saved;
    });
    process.env['HOME'] = home;
    assert.equal(homedir(), home, 'os.homedir() follows $HOME on this platform');
    const signer = await loadSigner({
      ...noSource,
      walletPath: '~/.bittensor/wallets',
      walletName: 'miner',
      hotkeyName: 'hk1',
    });
    assert.equal(signer?.address, expected.address);
  });

  test('a group/other-readable file still loads but emits one warning naming the path and mode', async () => {
    const source = await writeHotkey(btcliHotkey(), 0o644);
    const warned = new Promise<Error>((resolve) => process.once('warning', resolve));
    const signer = await loadSigner(source);
    assert.equal(signer?.address, expected.address);
    const warning = await Promise.race([
      warned,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no warning emitted')), 1000)),
    ]);
    assert.match(warning.message, /readable by group or others/);
    assert.ok(warning.message.includes(source.path), warning.message);
    assert.match(warning.message, /mode 644/);
    assert.ok(!warning.message.includes(expected.seed.slice(2)));
    assert.ok(!warning.message.includes(PHRASE));
  });
});

describe('expandHome', () => {
  test('expands a leading ~ and ~/ only', () => {
    assert.equal(expandHome('~'), homedir());
    assert.equal(expandHome('~/'), join(homedir(), '/'));
    assert.equal(expandHome('~/.bittensor/wallets'), join(homedir(), '.bittensor', 'wallets'));
    assert.equal(expandHome('/var/wallets'), '/var/wallets');
    assert.equal(expandHome('wallets/~'), 'wallets/~');
    assert.equal(expandHome('~alice/wallets'), '~alice/wallets');
    assert.equal(expandHome(''), '');
  });
});

describe('loadSigner from a mnemonic or dev URI', () => {
  test('hotkeyMnemonic gives the same key as the wallet file', async () => {
    const fromWallet = await loadSigner(await writeHotkey(btcliHotkey()));
    const fromMnemonic = await loadSigner({ ...noSource, hotkeyMnemonic: PHRASE });
    assert.equal(fromMnemonic?.source, 'mnemonic');
    assert.equal(fromMnemonic?.address, expected.address);
    assert.equal(fromMnemonic?.address, fromWallet?.address);
    assert.deepEqual(fromMnemonic?.pair.publicKey, fromWallet?.pair.publicKey);
  });

  test('surrounding whitespace (a secret file ending in a newline) is trimmed', async () => {
    const signer = await loadSigner({ ...noSource, hotkeyMnemonic: `  ${PHRASE}\n` });
    assert.equal(signer?.address, expected.address);
  });

  test("the dev URI //Alice gives Alice's address", async () => {
    const signer = await loadSigner({ ...noSource, hotkeyUri: '//Alice' });
    assert.equal(signer?.source, 'uri');
    assert.equal(signer?.address, ALICE);
  });

  test('no source configured gives undefined (a read-only bridge)', async () => {
    assert.equal(await loadSigner(noSource), undefined);
  });
});

describe('loadSigner errors', () => {
  test('two sources are SIGNER_AMBIGUOUS, naming both', async () => {
    const err = await rejectsWith(
      { ...noSource, hotkeyMnemonic: PHRASE, hotkeyUri: '//Alice' },
      'SIGNER_AMBIGUOUS',
    );
    assert.match(err.message, /mnemonic and uri/);
    await rejectsWith({ ...noSource, walletName: 'miner', hotkeyUri: '//Alice' }, 'SIGNER_AMBIGUOUS');
    await rejectsWith(
      { ...noSource, walletName: 'miner', hotkeyMnemonic: PHRASE, hotkeyUri: '//Alice' },
      'SIGNER_AMBIGUOUS',
    );
  });

  test('a missing hotkey file is HOTKEY_UNREADABLE with its path', async () => {
    const source = { ...noSource, walletPath: join(root, 'nowhere'), walletName: 'miner', hotkeyName: 'hk' };
    const err = await rejectsWith(source, 'HOTKEY_UNREADABLE');
    assert.equal(err.details['path'], join(root, 'nowhere', 'miner', 'hotkeys', 'hk'));
  });

  test('an encrypted ($NACL) hotkey file is HOTKEY_ENCRYPTED', async () => {
    const source = await writeHotkey('$NACL\u0000\u0001opaque-ciphertext');
    const err = await rejectsWith(source, 'HOTKEY_ENCRYPTED');
    assert.match(err.message, /hotkeyMnemonic/);
  });

  test('a non-JSON hotkey file is HOTKEY_MALFORMED', async () => {
    await rejectsWith(await writeHotkey(`${PHRASE} is not json`), 'HOTKEY_MALFORMED');
  });

  test('JSON without a usable secret is HOTKEY_MALFORMED', async () => {
    const contents: (string | Record<string, unknown>)[] = [
      {},
      { ss58Address: expected.address, publicKey: expected.publicKey },
      { secretSeed: '0x1234', ss58Address: expected.address },
      { secretSeed: expected.seed.slice(2) }, // no 0x prefix
      { secretSeed: 42, secretPhrase: ['bottom', 'drive'] },
      { secretPhrase: 'bottom drive obey lake curtain smoke basket hold race lonely fit fit' }, // bad checksum
      'null',
      '[]',
      '"0x00"',
    ];
    for (const content of contents) {
      const source = await writeHotkey(content);
      await rejectsWith(source, 'HOTKEY_MALFORMED');
    }
  });

  test('an ss58Address that does not match the secret is HOTKEY_MISMATCH', async () => {
    const source = await writeHotkey({ ...btcliHotkey(), ss58Address: otherAddress });
    const err = await rejectsWith(source, 'HOTKEY_MISMATCH');
    assert.equal(err.details['claimed'], otherAddress);
    assert.equal(err.details['derived'], expected.address);
  });

  test('an invalid hotkeyMnemonic is HOTKEY_MALFORMED', async () => {
    // Right length, valid words, wrong checksum; and plain garbage.
    await rejectsWith(
      { ...noSource, hotkeyMnemonic: 'bottom drive obey lake curtain smoke basket hold race lonely fit fit' },
      'HOTKEY_MALFORMED',
    );
    await rejectsWith({ ...noSource, hotkeyMnemonic: 'walk obey lake' }, 'HOTKEY_MALFORMED');
  });

  test('an invalid hotkeyUri is HOTKEY_MALFORMED', async () => {
    // Twelve words that are not a valid mnemonic: keyring refuses it.
    await rejectsWith(
      { ...noSource, hotkeyUri: 'bottom drive obey lake curtain smoke basket hold race lonely fit fit//x' },
      'HOTKEY_MALFORMED',
    );
  });
});
