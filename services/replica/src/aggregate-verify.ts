/**
 * Re-derive a published aggregate from the payloads it names and compare it bit for bit (protocol §6:
 * "anyone holding the payloads can recompute A_w"). The one check that catches a trusted aggregator
 * signing wrong values or indices, which a replica's cheap checks (core's checkAggregate: signer,
 * selection) cannot see. Used by `cohort verify-aggregate`, the aggregator's VerifyAggregate RPC and any
 * node that samples windows to audit the run's aggregator; it downloads every contributor's payload
 * (O(N) bytes), so replicas do not run it on every window.
 *
 * The derivation is the aggregator's own: the listed payloads in listed order, the envelope's θ_w
 * fingerprint and aggregator key, the codec's deterministic aggregation, written in the published
 * aggregate's wire-format version. Everything before the trailer
 * must be identical (the signature is randomised and is checked separately).
 */
import {
  AggregateRefused,
  CohortError,
  Code,
  WIRE_HEADER_BYTES,
  WIRE_TRAILER_BYTES,
  aggregateKey,
  checkAggregate,
  decodeSs58,
  updateKey,
  forEachLimited,
} from '@cohort/core';
import type { AggregateRefusal, AggregateTrust, Selection } from '@cohort/core';
import type { StoreClient } from '@cohort/kit';
import { NoValidUpdatesError, aggregateUpdates, objectDigest } from '@cohort/native';

/** Where the aggregate and its payloads are. */
export interface VerifySource {
  readonly runId: string;
  readonly store: StoreClient;
  readonly signal?: AbortSignal;
  /** Largest payload accepted (default 1 GiB): a bigger listed one is not downloaded (DERIVATION_MISMATCH). */
  readonly maxUpdateBytes?: number;
  /**
   * Largest aggregate fetched (default: the store client's limit); a bigger one is refused from its
   * announced size (TOO_LARGE) before it is buffered. Readers holding a model pass
   * `aggregateBytesBound(parameterCount)`.
   */
  readonly maxAggregateBytes?: number;
}

/** Options of {@link verifyAggregate}. */
export interface VerifyOptions {
  /** The aggregate to verify; fetched from `aggregates/<w>` when absent. */
  readonly aggregate?: Uint8Array;
  /** Whom to trust (the signer; the selection's validator). Default: any valid signer, no selection. */
  readonly trust?: AggregateTrust;
  /** The validator's selection for the window, checked when the trust names its validator. */
  readonly selection?: Selection;
}

/** The outcome: matches, or the first rule the aggregate broke. */
export interface AggregateVerification {
  readonly window: number;
  readonly matches: boolean;
  /** Why it does not match; undefined when it does. */
  readonly reason?: AggregateRefusal;
  readonly detail: string;
  /** SS58 of the aggregate's signer ('' when the bytes are not an aggregate). */
  readonly aggregator: string;
  readonly contributors: number;
  readonly aggregateBytes: number;
  /** Bytes of the payloads downloaded to re-derive it. */
  readonly payloadBytes: number;
  /** The re-derived (unsigned) aggregate, when the derivation ran. */
  readonly derived?: Uint8Array;
}

const FETCH_CONCURRENCY = 8;
/** The aggregator's default `maxUpdateBytes`. */
const DEFAULT_MAX_UPDATE_BYTES = 2 ** 30;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Where in the object byte `at` lies, for a mismatch report. */
function sectionOf(at: number, contributors: number): string {
  if (at < 192) return 'the fixed header';
  if (at < 196 + 64 * contributors) return 'the contributor list';
  return 'the tensor table or body';
}

/** First offset where a and b differ (before their trailers), or -1 when identical there. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length) - WIRE_TRAILER_BYTES;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : Math.max(n, 0);
}

/** A listed payload over `maxUpdateBytes`: never downloaded, and never a valid contributor. */
interface OverLimit {
  readonly overLimit: string;
}

async function fetchPayloads(
  source: VerifySource,
  window: number,
  hotkeys: readonly string[],
): Promise<(Uint8Array | OverLimit | undefined)[]> {
  const out = new Array<Uint8Array | OverLimit | undefined>(hotkeys.length);
  const opts = {
    maxBytes: source.maxUpdateBytes ?? DEFAULT_MAX_UPDATE_BYTES,
    ...(source.signal ? { signal: source.signal } : {}),
  };
  await forEachLimited(hotkeys, FETCH_CONCURRENCY, async (hotkey, i) => {
    try {
      out[i] = (await source.store.get(updateKey(source.runId, window, hotkey), opts))?.bytes;
    } catch (error) {
      if (!(error instanceof CohortError && error.reason === 'TOO_LARGE')) throw error;
      out[i] = { overLimit: error.message };
    }
  });
  return out;
}

/**
 * Verify window `window`'s aggregate. Resolves to the outcome (a mismatch is an outcome, not an error);
 * rejects with reason AGGREGATE_NOT_FOUND when there is no aggregate, or with the store's error.
 */
export async function verifyAggregate(
  source: VerifySource,
  window: number,
  options: VerifyOptions = {},
): Promise<AggregateVerification> {
  const { runId } = source;
  let object = options.aggregate;
  if (object === undefined) {
    const stored = await source.store.get(aggregateKey(runId, window), {
      ...(source.signal ? { signal: source.signal } : {}),
      ...(source.maxAggregateBytes === undefined ? {} : { maxBytes: source.maxAggregateBytes }),
    });
    if (stored === undefined) {
      throw new CohortError(Code.NotFound, `no aggregate of window ${window} in run ${runId}`, {
        reason: 'AGGREGATE_NOT_FOUND',
        details: { window },
      });
    }
    object = stored.bytes;
  }
  const base = { window, aggregateBytes: object.length, payloadBytes: 0 };
  const refuse = (
    reason: AggregateRefusal,
    detail: string,
    more: Partial<AggregateVerification> = {},
  ): AggregateVerification => ({
    ...base,
    aggregator: '',
    contributors: 0,
    ...more,
    matches: false,
    reason,
    detail,
  });
  let envelope;
  try {
    envelope = checkAggregate(object, { runId, window }, options.trust ?? {}, options.selection);
  } catch (error) {
    if (error instanceof AggregateRefused) return refuse(error.reason, error.message);
    throw error;
  }
  const known = { aggregator: envelope.aggregator, contributors: envelope.contributors.length };
  const hotkeys = envelope.contributors.map((c) => c.hotkey);
  const payloads = await fetchPayloads(source, window, hotkeys);
  const payloadBytes = payloads.reduce((n, p) => n + (p instanceof Uint8Array ? p.length : 0), 0);
  for (const [i, c] of envelope.contributors.entries()) {
    const payload = payloads[i];
    if (payload === undefined) {
      return refuse('PAYLOAD_MISSING', `${c.hotkey}'s update of window ${window} is not in the store`, {
        ...known,
        payloadBytes,
      });
    }
    if (!(payload instanceof Uint8Array)) {
      return refuse(
        'DERIVATION_MISMATCH',
        `the aggregate includes ${c.hotkey}, whose update is invalid (TOO_LARGE: ${payload.overLimit})`,
        { ...known, payloadBytes },
      );
    }
    const digest = payload.length >= WIRE_HEADER_BYTES + WIRE_TRAILER_BYTES ? hex(objectDigest(payload)) : '';
    if (digest !== c.digest) {
      return refuse(
        'PAYLOAD_MISMATCH',
        `${c.hotkey}'s stored update has digest ${digest || '(none)'}, the aggregate lists ${c.digest}`,
        { ...known, payloadBytes },
      );
    }
  }
  let derived;
  try {
    derived = await aggregateUpdates(
      payloads as Uint8Array[],
      {
        runId,
        window: BigInt(window),
        hotkey: envelope.aggregatorKey,
        stateFingerprint: Uint8Array.from(Buffer.from(envelope.stateFingerprint, 'hex')),
      },
      {
        expect: { runId, window: BigInt(window), hotkeys: hotkeys.map((h) => decodeSs58(h)) },
        limits: { maxBytes: source.maxUpdateBytes ?? DEFAULT_MAX_UPDATE_BYTES },
        // An aggregate published before version 2 is re-derived as version 1 (raw fp32 values).
        formatVersion: envelope.formatVersion === 1 ? 1 : 2,
      },
    );
  } catch (error) {
    if (!(error instanceof NoValidUpdatesError)) throw error;
    const first = error.contributors[0];
    return refuse(
      'DERIVATION_MISMATCH',
      `none of the listed updates is valid (${hotkeys[first?.index ?? 0]}: ${first?.reason ?? ''})`,
      { ...known, payloadBytes },
    );
  }
  const invalid = derived.contributors.find((c) => !c.included);
  if (invalid !== undefined) {
    return refuse(
      'DERIVATION_MISMATCH',
      `the aggregate includes ${hotkeys[invalid.index]}, whose update is invalid (${invalid.reason}: ${invalid.detail})`,
      { ...known, payloadBytes, derived: derived.bytes },
    );
  }
  const at = firstDifference(object, derived.bytes);
  if (at >= 0) {
    return refuse(
      'DERIVATION_MISMATCH',
      `re-derived from its ${hotkeys.length} payloads, the aggregate differs at byte ${at} (${sectionOf(at, hotkeys.length)}; ${object.length} bytes published, ${derived.bytes.length} derived)`,
      { ...known, payloadBytes, derived: derived.bytes },
    );
  }
  return {
    ...base,
    ...known,
    payloadBytes,
    matches: true,
    detail: `re-derived bit for bit from ${hotkeys.length} payloads (${payloadBytes} bytes)`,
    derived: derived.bytes,
  };
}
