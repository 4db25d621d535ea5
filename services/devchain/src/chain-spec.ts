/**
 * Where the local chain's runtime comes from: `raonet.json`, a raw subtensor chain spec (spec version 218)
 * that the project reads from `../shared/chain/` beside the checkout, or from `COHORT_CHAIN_SPEC`, and never
 * commits. The file is checked against its published sha256 before use, so a truncated or different
 * runtime fails loudly instead of producing a chain that behaves subtly differently.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CohortError, Code } from '@cohort/core';

/** sha256 of the raonet.json this project was built and tested against (opentensor/subtensor e2b8367b8). */
export const RAONET_SHA256 = 'bb2c7e34390f8fb5032750cc7d80d23f91a47f56fdebf4c35a24c7938b96c57c';

/** Environment variable that overrides the spec's path. */
export const CHAIN_SPEC_ENV = 'COHORT_CHAIN_SPEC';

/** The repository root, from this file (services/devchain/dist/chain-spec.js). */
const repoRoot = resolve(fileURLToPath(import.meta.url), '../../../..');

/** A raw chain spec as chopsticks takes it (only the parts this package touches are typed). */
export interface RawChainSpec {
  name: string;
  genesis: { raw: { top: Record<string, string> } };
  [key: string]: unknown;
}

/** `shared/chain/raonet.json` beside `dir`. */
const besides = (dir: string): string => resolve(dir, '..', 'shared', 'chain', 'raonet.json');

/** The default location: `../shared/chain/raonet.json` relative to the checkout. */
export const DEFAULT_CHAIN_SPEC = besides(repoRoot);

/**
 * Where a checkout's `../shared/chain/raonet.json` may be: beside this checkout, beside an ancestor
 * directory (a checkout nested one level deeper), or beside the checkout this one was cloned from (a CI
 * clone of a local repository keeps it as `origin`).
 */
export function chainSpecCandidates(root = repoRoot): string[] {
  const out = [besides(root)];
  for (let dir = dirname(root); dir !== dirname(dir); dir = dirname(dir)) out.push(besides(dir));
  try {
    const config = readFileSync(join(root, '.git', 'config'), 'utf8');
    const origin = /\[remote "origin"\][^[]*?url\s*=\s*(\S+)/.exec(config)?.[1];
    if (origin !== undefined && isAbsolute(origin.replace(/^file:\/\//, ''))) {
      out.push(besides(origin.replace(/^file:\/\//, '').replace(/\/\.git\/?$/, '')));
    }
  } catch {
    // not a git checkout
  }
  return [...new Set(out)];
}

/**
 * The spec's path: an explicit one, else `COHORT_CHAIN_SPEC`, else the first candidate that exists
 * ({@link chainSpecCandidates}), else the default (which {@link loadChainSpec} reports as missing).
 */
export function chainSpecPath(explicit?: string): string {
  return (
    explicit ??
    process.env[CHAIN_SPEC_ENV] ??
    chainSpecCandidates().find((p) => existsSync(p)) ??
    DEFAULT_CHAIN_SPEC
  );
}

/**
 * Read and check the chain spec. Throws a CohortError with reason `CHAIN_SPEC_MISSING` (with where it
 * looked and how to get the file), `CHAIN_SPEC_HASH_MISMATCH` or `CHAIN_SPEC_INVALID`.
 */
export function loadChainSpec(path = chainSpecPath()): RawChainSpec {
  if (!existsSync(path)) {
    throw new CohortError(
      Code.FailedPrecondition,
      `subtensor chain spec not found at ${path}: put raonet.json (opentensor/subtensor commit e2b8367b8, ` +
        `scripts/specs/raonet.json, sha256 ${RAONET_SHA256}) there or point ${CHAIN_SPEC_ENV} at it`,
      { reason: 'CHAIN_SPEC_MISSING', details: { path } },
    );
  }
  const bytes = readFileSync(path);
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (digest !== RAONET_SHA256) {
    throw new CohortError(
      Code.FailedPrecondition,
      `chain spec ${path} has sha256 ${digest}, expected ${RAONET_SHA256} (a different or damaged file)`,
      { reason: 'CHAIN_SPEC_HASH_MISMATCH', details: { path, sha256: digest } },
    );
  }
  let spec: unknown;
  try {
    spec = JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw new CohortError(Code.FailedPrecondition, `chain spec ${path} is not JSON`, {
      reason: 'CHAIN_SPEC_INVALID',
      cause,
    });
  }
  const top = (spec as { genesis?: { raw?: { top?: unknown } } }).genesis?.raw?.top;
  if (typeof top !== 'object' || top === null) {
    throw new CohortError(Code.FailedPrecondition, `chain spec ${path} has no raw genesis`, {
      reason: 'CHAIN_SPEC_INVALID',
    });
  }
  return spec as RawChainSpec;
}
