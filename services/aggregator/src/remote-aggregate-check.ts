/**
 * What the aggregator checks of a compressor's answer before it signs anything: the compressor parses
 * hostile payloads, so a compromised or broken one must not get bytes signed that are not the aggregate
 * of this window's request. Pure (no I/O), so every refusal is unit-tested on hand-made answers.
 *
 * - size: the streamed bytes are as many as the summary says (`SIZE_MISMATCH`);
 * - digest: the summary's BLAKE2b-256, the aggregate's trailer digest and the hash of the bytes before
 *   the trailer are one value (`HASH_MISMATCH`);
 * - contributors: one verdict per requested payload, same hotkeys, same order, an included one with the
 *   digest of the payload sent, and the aggregate's own contributor list equal to the included ones
 *   (`CONTRIBUTORS_MISMATCH`);
 * - header: the aggregate names this run, window, aggregator key and θ_w fingerprint (`HEADER_MISMATCH`);
 * - bytes that are no aggregate envelope at all: `AGGREGATE_MALFORMED`.
 */
import { CohortError, Code, WIRE_TRAILER_BYTES, readAggregateEnvelope } from '@cohort/core';
import { blake2b256Async } from '@cohort/native';
import type { AggregateEnvelope } from '@cohort/core';

import type { AggregateOutcome, AggregateRequest, ContributorVerdict } from './payload-aggregator.js';

/** The reasons a compressor's answer is refused. */
export type RemoteRefusal =
  'SIZE_MISMATCH' | 'HASH_MISMATCH' | 'CONTRIBUTORS_MISMATCH' | 'HEADER_MISMATCH' | 'AGGREGATE_MALFORMED';

/** A compressor's answer that is not this window's aggregate; nothing of it is signed or published. */
export class RemoteAggregateRefusedError extends CohortError {
  override readonly name: string = 'RemoteAggregateRefusedError';
  override readonly reason: RemoteRefusal;
  constructor(reason: RemoteRefusal, message: string, options: { readonly cause?: unknown } = {}) {
    super(Code.DataLoss, `the compressor's aggregate is refused: ${message}`, {
      reason,
      cause: options.cause,
    });
    this.reason = reason;
  }
}

/** The summary fields the checks read (the proto's AggregateSummary has them). */
export interface RemoteSummary {
  readonly sizeBytes: bigint;
  readonly blake2b256: Uint8Array;
  readonly contributors: readonly {
    readonly hotkey: string;
    readonly included: boolean;
    readonly reasonCode: string;
    readonly detail: string;
    readonly payloadBlake2b256: Uint8Array;
  }[];
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** A payload's trailer digest ('' when it is too short to have a trailer). */
const trailerDigest = (bytes: Uint8Array): string =>
  bytes.length < WIRE_TRAILER_BYTES
    ? ''
    : hex(bytes.subarray(bytes.length - WIRE_TRAILER_BYTES, bytes.length - 64));

async function checkDigest(
  summary: RemoteSummary,
  bytes: Uint8Array,
  envelope: AggregateEnvelope,
): Promise<void> {
  const claimed = hex(summary.blake2b256);
  const actual = hex(await blake2b256Async(bytes.subarray(0, bytes.length - WIRE_TRAILER_BYTES)));
  if (claimed !== actual || hex(envelope.digest) !== actual) {
    throw new RemoteAggregateRefusedError(
      'HASH_MISMATCH',
      `the bytes hash to ${actual}, the summary says ${claimed}, the trailer ${hex(envelope.digest)}`,
    );
  }
}

function checkHeader(request: AggregateRequest, envelope: AggregateEnvelope): void {
  const want = {
    runId: request.runId,
    window: request.window,
    aggregator: hex(request.aggregatorKey),
    stateFingerprint: hex(request.stateFingerprint),
  };
  const got = {
    runId: envelope.runId,
    window: envelope.window,
    aggregator: hex(envelope.aggregatorKey),
    stateFingerprint: envelope.stateFingerprint,
  };
  const wrong = (Object.keys(want) as (keyof typeof want)[]).filter((k) => want[k] !== got[k]);
  if (wrong.length > 0) {
    const detail = wrong.map((k) => `${k} ${String(got[k])} (expected ${String(want[k])})`).join(', ');
    throw new RemoteAggregateRefusedError('HEADER_MISMATCH', `its header names ${detail}`);
  }
}

function contributorsMismatch(detail: string): RemoteAggregateRefusedError {
  return new RemoteAggregateRefusedError('CONTRIBUTORS_MISMATCH', detail);
}

function verdicts(request: AggregateRequest, summary: RemoteSummary): ContributorVerdict[] {
  const sent = request.payloads;
  if (summary.contributors.length !== sent.length) {
    throw contributorsMismatch(`${summary.contributors.length} verdicts for ${sent.length} payloads`);
  }
  return summary.contributors.map((c, index) => {
    const payload = sent[index]!;
    if (c.hotkey !== payload.hotkey) {
      throw contributorsMismatch(`verdict ${index} names ${c.hotkey}, payload ${index} is ${payload.hotkey}`);
    }
    if (!c.included) {
      return {
        index,
        included: false,
        reason: c.reasonCode || 'UNKNOWN',
        detail: c.detail,
        hotkey: c.hotkey,
        digest: null,
      };
    }
    if (hex(c.payloadBlake2b256) !== trailerDigest(payload.bytes)) {
      throw contributorsMismatch(`${c.hotkey} is included with a digest other than its payload's`);
    }
    return {
      index,
      included: true,
      reason: null,
      detail: null,
      hotkey: c.hotkey,
      digest: c.payloadBlake2b256,
    };
  });
}

function checkListed(envelope: AggregateEnvelope, included: readonly ContributorVerdict[]): void {
  const listed = envelope.contributors.map((c) => `${c.hotkey}:${c.digest}`);
  const want = included.map((c) => `${c.hotkey ?? ''}:${hex(c.digest ?? new Uint8Array())}`);
  if (listed.length !== want.length || listed.some((l, i) => l !== want[i])) {
    throw contributorsMismatch(
      `the aggregate lists ${listed.length} contributors, the summary includes ${want.length}, not the same in order`,
    );
  }
}

/**
 * Accept a compressor's answer to `request` (summary, then `bytes` as streamed) as this window's
 * unsigned aggregate, or throw {@link RemoteAggregateRefusedError} naming the first check it fails.
 */
export async function checkRemoteAggregate(
  request: AggregateRequest,
  summary: RemoteSummary,
  bytes: Uint8Array,
): Promise<AggregateOutcome> {
  if (BigInt(bytes.length) !== summary.sizeBytes) {
    throw new RemoteAggregateRefusedError(
      'SIZE_MISMATCH',
      `the summary announces ${summary.sizeBytes} bytes, ${bytes.length} arrived`,
    );
  }
  let envelope: AggregateEnvelope;
  try {
    envelope = readAggregateEnvelope(bytes);
  } catch (error) {
    throw new RemoteAggregateRefusedError('AGGREGATE_MALFORMED', CohortError.from(error).message, {
      cause: error,
    });
  }
  await checkDigest(summary, bytes, envelope);
  const contributors = verdicts(request, summary);
  checkListed(
    envelope,
    contributors.filter((c) => c.included),
  );
  checkHeader(request, envelope);
  return { bytes, contributors };
}
