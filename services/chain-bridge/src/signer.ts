/**
 * The operator's hotkey, the only key the bridge signs with. Three sources, exactly one at a time: a
 * bittensor wallet laid out as btcli does (`<walletPath>/<wallet>/hotkeys/<hotkey>`, so operators reuse the
 * keys they already have), a mnemonic from a secret, or a dev URI on the devnet. Secrets never reach a log
 * line or an error message; only the SS58 address does.
 */
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import type { KeyringPair } from '@polkadot/keyring/types';
import { cryptoWaitReady, mnemonicValidate } from '@polkadot/util-crypto';
import { CohortError, Code } from '@cohort/core';

/** Bittensor's SS58 prefix. */
const SS58_FORMAT = 42;

/** Where the hotkey comes from (the config keys of the same names). */
export interface SignerSource {
  readonly walletPath: string;
  readonly walletName: string;
  readonly hotkeyName: string;
  readonly hotkeyMnemonic: string;
  readonly hotkeyUri: string;
}

/** A loaded hotkey and where it came from (for the start-up log; never the secret). */
export interface LoadedSigner {
  readonly pair: KeyringPair;
  readonly address: string;
  readonly source: 'wallet' | 'mnemonic' | 'uri';
}

function signerError(reason: string, message: string, details: Record<string, string> = {}): CohortError {
  return new CohortError(Code.FailedPrecondition, message, { reason, details });
}

/** Expand a leading `~` to the home directory. */
export function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
}

/** The hotkey file btcli writes: JSON with the secret seed (or phrase) and the SS58 address. */
interface HotkeyFile {
  secretSeed?: unknown;
  secretPhrase?: unknown;
  ss58Address?: unknown;
}

async function fromWallet(keyring: Keyring, source: SignerSource): Promise<KeyringPair> {
  const path = join(expandHome(source.walletPath), source.walletName, 'hotkeys', source.hotkeyName);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new CohortError(
      Code.FailedPrecondition,
      `cannot read hotkey file ${path}: ${(cause as Error).message}`,
      {
        reason: 'HOTKEY_UNREADABLE',
        details: { path },
      },
    );
  }
  if (text.startsWith('$NACL') || text.startsWith('$BTWALLET') || text.startsWith('$ANSIBLE')) {
    throw signerError(
      'HOTKEY_ENCRYPTED',
      `hotkey file ${path} is encrypted; give the hotkey's mnemonic through hotkeyMnemonic (a secret) instead`,
      { path },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw signerError('HOTKEY_MALFORMED', `hotkey file ${path} is not JSON`, { path });
  }
  // `null` would make the field reads below throw a bare TypeError; any non-object has no secret.
  const file: HotkeyFile = typeof parsed === 'object' && parsed !== null ? parsed : {};
  const secret =
    typeof file.secretSeed === 'string' && /^0x[0-9a-fA-F]{64}$/.test(file.secretSeed)
      ? file.secretSeed
      : typeof file.secretPhrase === 'string' && mnemonicValidate(file.secretPhrase)
        ? file.secretPhrase
        : undefined;
  if (secret === undefined) {
    throw signerError('HOTKEY_MALFORMED', `hotkey file ${path} has no usable secretSeed or secretPhrase`, {
      path,
    });
  }
  const pair = keyring.addFromUri(secret);
  if (typeof file.ss58Address === 'string' && file.ss58Address !== pair.address) {
    throw signerError(
      'HOTKEY_MISMATCH',
      `hotkey file ${path} says ${file.ss58Address} but its secret derives ${pair.address}`,
      { path, claimed: file.ss58Address, derived: pair.address },
    );
  }
  const mode = (await stat(path)).mode;
  if ((mode & 0o077) !== 0) {
    // Readable by others: still usable (btcli writes 0600 itself), but say so once at start-up.
    process.emitWarning(
      `hotkey file ${path} is readable by group or others (mode ${(mode & 0o777).toString(8)})`,
    );
  }
  return pair;
}

/**
 * Load the configured hotkey, or `undefined` when none is configured (a read-only bridge). More than one
 * source is a configuration error (`SIGNER_AMBIGUOUS`).
 */
export async function loadSigner(source: SignerSource): Promise<LoadedSigner | undefined> {
  const chosen = [
    source.walletName !== '' ? 'wallet' : undefined,
    source.hotkeyMnemonic !== '' ? 'mnemonic' : undefined,
    source.hotkeyUri !== '' ? 'uri' : undefined,
  ].filter((s): s is LoadedSigner['source'] => s !== undefined);
  if (chosen.length === 0) return undefined;
  if (chosen.length > 1) {
    throw new CohortError(
      Code.InvalidArgument,
      `set exactly one hotkey source (walletName, hotkeyMnemonic or hotkeyUri), not ${chosen.join(' and ')}`,
      { reason: 'SIGNER_AMBIGUOUS' },
    );
  }
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519', ss58Format: SS58_FORMAT });
  const kind = chosen[0]!;
  let pair: KeyringPair;
  if (kind === 'wallet') {
    pair = await fromWallet(keyring, source);
  } else if (kind === 'mnemonic') {
    const phrase = source.hotkeyMnemonic.trim();
    if (!mnemonicValidate(phrase))
      throw signerError('HOTKEY_MALFORMED', 'hotkeyMnemonic is not a valid BIP-39 mnemonic');
    pair = keyring.addFromUri(phrase);
  } else {
    try {
      pair = keyring.addFromUri(source.hotkeyUri.trim());
    } catch {
      throw signerError('HOTKEY_MALFORMED', 'hotkeyUri is not a valid secret URI');
    }
  }
  return { pair, address: pair.address, source: kind };
}
