/**
 * The aggregator's signature on a checkpoint manifest (protocol §9, ADR 0016). A newcomer loads θ_w from
 * whatever bucket serves it; the manifest's file hashes and fingerprint bind the files to the manifest,
 * and this signature binds the manifest to the run's aggregator, so a bucket (or anyone who can write
 * to it) cannot hand a replica a state the aggregator never published.
 *
 * What is signed: the BLAKE2b-256 of the manifest's canonical JSON — every field in the order
 * {@link canonicalManifestText} writes them, `signer` included, `signature` left out — with the
 * hotkey's sr25519 key, as aggregates are signed. The reader rebuilds the canonical text from the
 * fields it parsed, so whitespace or field order in the stored bytes never matters, and any field the
 * format does not know is not part of the manifest. The text starts with `{"format":"cohort-checkpoint/`,
 * which no signed binary object (update, aggregate) can: one signature never serves as the other.
 */
import { blake2b256 } from './blake2b.js';
import type { CheckpointManifest } from './checkpoint-manifest.js';
import { decodeSs58, signDigest, verifyDigest } from './hotkey-signature.js';
import type { HotkeyPair } from './hotkey-signature.js';

/** A manifest's fields before it is signed. */
export type ManifestBody = Omit<CheckpointManifest, 'signature'>;

/** The canonical JSON of a manifest without its signature: what the signature covers. */
export function canonicalManifestText(m: ManifestBody): string {
  return JSON.stringify({
    format: m.format,
    runId: m.runId,
    window: m.window,
    preset: m.preset,
    stateFingerprint: m.stateFingerprint,
    model: { sizeBytes: m.model.sizeBytes, blake2b256: m.model.blake2b256 },
    config: { sizeBytes: m.config.sizeBytes, blake2b256: m.config.blake2b256 },
    createdUnixMs: m.createdUnixMs,
    ...(m.lineage === undefined
      ? {}
      : {
          lineage: {
            previous: m.lineage.previous,
            outerSteps: m.lineage.outerSteps,
            aggregates: m.lineage.aggregates.map((a) => ({
              window: a.window,
              sizeBytes: a.sizeBytes,
              blake2b256: a.blake2b256,
            })),
          },
        }),
    signer: m.signer,
  });
}

const digestOf = (m: ManifestBody): Uint8Array =>
  blake2b256(new TextEncoder().encode(canonicalManifestText(m)));

/** `pair`'s signature over `m` (whose `signer` must be `pair`'s address), 128 lowercase hex digits. */
export function signManifestBody(m: ManifestBody, pair: HotkeyPair): string {
  return Buffer.from(signDigest(digestOf(m), pair)).toString('hex');
}

/**
 * True when `m.signature` is `m.signer`'s signature over `m`'s other fields. Never throws: an address
 * or signature that does not decode is simply not a valid signature.
 */
export function manifestSignatureValid(m: CheckpointManifest): boolean {
  let key: Uint8Array;
  try {
    key = decodeSs58(m.signer);
  } catch {
    return false;
  }
  if (!/^[0-9a-f]{128}$/.test(m.signature)) return false;
  return verifyDigest(digestOf(m), Uint8Array.from(Buffer.from(m.signature, 'hex')), key);
}
