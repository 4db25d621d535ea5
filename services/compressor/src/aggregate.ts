/**
 * Aggregate: the selection's header (run, window, model, hotkeys in selection order), then each payload's
 * chunks tagged with its index; out: a summary naming every contributor's verdict, then the unsigned
 * aggregate object in chunks. Invalid payloads are excluded with their reason (a payload streamed past the
 * cap: TOO_LARGE); the call fails only for a malformed request or when no payload is valid
 * (FailedPrecondition, `NO_VALID_PAYLOADS`, details: `reasons`, and `reasonsByPayload` — each payload's
 * reason in header order, comma-separated — while it stays under 4 KiB).
 *
 * The aggregate's header names the aggregator from the request (a zero key when it names none) and the
 * requested θ_w fingerprint, excluding payloads computed from another state (WRONG_STATE), or, when none
 * is given, the one most included payloads share.
 */
import type { MessageInitShape } from '@bufbuild/protobuf';
import { CohortError, Code, InvalidArgumentError, decodeSs58 } from '@cohort/core';
import { NoValidUpdatesError, aggregateUpdates } from '@cohort/native';
import type { ContributorResult } from '@cohort/native';
import type {
  AggregateHeader,
  AggregateRequest,
  AggregateResponseSchema,
  ContributorResultSchema,
} from '@cohort/proto/cohort/codec/v1/compressor';

import { ByteCollector } from './byte-collector.js';
import type { HandlerDeps } from './handler-deps.js';

type AggregateResponse = MessageInitShape<typeof AggregateResponseSchema>;
type ContributorInit = MessageInitShape<typeof ContributorResultSchema>;

/** Longest per-payload reason list carried in a NO_VALID_PAYLOADS status (its trailing metadata). */
const MAX_REASONS_DETAIL = 4096;

/** The aggregator key written when the request names none. */
const NO_AGGREGATOR = new Uint8Array(32);

function checkHeader(header: AggregateHeader, maxPeers: number): Uint8Array[] {
  if (header.stateFingerprint.length !== 0 && header.stateFingerprint.length !== 32) {
    throw new InvalidArgumentError('the state fingerprint must have 32 bytes or none', {
      reason: 'CONTEXT_INVALID',
    });
  }
  const peers = header.hotkeys.length;
  if (peers === 0 || peers > maxPeers) {
    throw new InvalidArgumentError(
      `an aggregate takes 1 to ${maxPeers} payloads, the header names ${peers}`,
      {
        reason: 'PEER_COUNT',
        details: { peers, maxPeers },
      },
    );
  }
  if (header.runId === '') {
    throw new InvalidArgumentError('the aggregate header names no run', { reason: 'CONTEXT_INVALID' });
  }
  if (header.modelFingerprint.length !== 0 && header.modelFingerprint.length !== 32) {
    throw new InvalidArgumentError('the model fingerprint must have 32 bytes or none', {
      reason: 'CONTEXT_INVALID',
    });
  }
  return header.hotkeys.map((h) => decodeSs58(h));
}

/** Read the header and every payload's chunks. */
async function readSelection(
  requests: AsyncIterable<AggregateRequest>,
  deps: HandlerDeps,
): Promise<{ header: AggregateHeader; hotkeys: Uint8Array[]; payloads: ByteCollector[] }> {
  let selection: { header: AggregateHeader; hotkeys: Uint8Array[]; payloads: ByteCollector[] } | undefined;
  for await (const { part } of requests) {
    if (part.case === 'header') {
      if (selection !== undefined) {
        throw new InvalidArgumentError('the aggregate header was sent twice', { reason: 'CONTEXT_REPEATED' });
      }
      const hotkeys = checkHeader(part.value, deps.maxAggregatePeers);
      const payloads = hotkeys.map(() => new ByteCollector(deps.limits.maxBytes));
      selection = { header: part.value, hotkeys, payloads };
    } else if (part.case === 'chunk') {
      if (selection === undefined) {
        throw new InvalidArgumentError('a payload chunk arrived before the header', {
          reason: 'CONTEXT_REQUIRED',
        });
      }
      const target = selection.payloads[part.value.index];
      if (target === undefined) {
        throw new InvalidArgumentError(
          `chunk for payload ${part.value.index} of ${selection.payloads.length}`,
          {
            reason: 'CHUNK_INDEX_OUT_OF_RANGE',
          },
        );
      }
      target.add(part.value.data);
    } else {
      throw new InvalidArgumentError('a request message without header or chunk', { reason: 'EMPTY_PART' });
    }
  }
  if (selection === undefined) {
    throw new InvalidArgumentError('the stream ended without an aggregate header', {
      reason: 'CONTEXT_REQUIRED',
    });
  }
  return selection;
}

function contributorInit(
  hotkey: string,
  result: ContributorResult | undefined,
  tooLarge: boolean,
): ContributorInit {
  if (tooLarge || result === undefined) return { hotkey, included: false, reasonCode: 'TOO_LARGE' };
  return {
    hotkey,
    included: result.included,
    reasonCode: result.reason ?? '',
    detail: result.detail ?? '',
    payloadBlake2b256: result.digest ?? new Uint8Array(0),
  };
}

/** The Aggregate handler. */
export function createAggregate(
  deps: HandlerDeps,
): (requests: AsyncIterable<AggregateRequest>) => AsyncIterable<AggregateResponse> {
  return async function* aggregate(requests) {
    const { header, hotkeys, payloads } = await readSelection(requests, deps);
    deps.metrics.bytesIn(
      'aggregate',
      payloads.reduce((n, p) => n + p.received, 0),
    );
    const fits = payloads.map((p, i) => ({ i, p })).filter(({ p }) => !p.overflowed);
    const done = deps.metrics.time('aggregate');
    let results: (ContributorResult | undefined)[] = [];
    let object: { bytes: Uint8Array; digest: Uint8Array } | undefined;
    try {
      if (fits.length === 0) throw new NoValidUpdatesError([]);
      const out = await aggregateUpdates(
        fits.map(({ p }) => p.bytes()),
        {
          runId: header.runId,
          window: header.window,
          hotkey: header.aggregatorHotkey === '' ? NO_AGGREGATOR : decodeSs58(header.aggregatorHotkey),
          stateFingerprint: header.stateFingerprint.length === 32 ? header.stateFingerprint : null,
        },
        {
          expect: {
            runId: header.runId,
            window: header.window,
            hotkeys: fits.map(({ i }) => hotkeys[i] as Uint8Array),
            ...(header.modelFingerprint.length === 32 ? { modelFingerprint: header.modelFingerprint } : {}),
          },
          limits: deps.limits,
        },
      );
      object = out;
      results = out.contributors.slice();
    } catch (error) {
      if (!(error instanceof NoValidUpdatesError)) throw error;
      results = error.contributors.slice();
    } finally {
      done();
    }
    const byIndex = new Map(fits.map(({ i }, j) => [i, results[j]]));
    const contributors = header.hotkeys.map((h, i) =>
      contributorInit(h, byIndex.get(i), payloads[i]?.overflowed ?? false),
    );
    for (const c of contributors)
      deps.metrics.payload('aggregate', c.included === true ? null : (c.reasonCode ?? ''));
    const where = { run: header.runId, window: header.window.toString() };
    const excluded = contributors.filter((c) => c.included !== true);
    if (excluded.length > 0) {
      deps.log.info('aggregate_excluded', {
        ...where,
        excluded: excluded.map((c) => [c.hotkey, c.reasonCode]),
      });
    }
    if (object === undefined) {
      const byPayload = contributors.map((c) => c.reasonCode ?? '').join(',');
      throw new CohortError(Code.FailedPrecondition, `none of the ${hotkeys.length} payloads is valid`, {
        reason: 'NO_VALID_PAYLOADS',
        details: {
          payloads: hotkeys.length,
          reasons: [...new Set(excluded.map((c) => c.reasonCode))].join(','),
          // Each payload's reason in header order, when it fits the status metadata comfortably.
          ...(byPayload.length <= MAX_REASONS_DETAIL ? { reasonsByPayload: byPayload } : {}),
        },
      });
    }
    deps.log.info('aggregate_built', { ...where, included: contributors.length - excluded.length });
    const { bytes, digest } = object;
    yield {
      part: { case: 'summary', value: { sizeBytes: BigInt(bytes.length), blake2b256: digest, contributors } },
    };
    for (let at = 0; at < bytes.length; at += deps.responseChunkBytes) {
      yield { part: { case: 'chunk', value: bytes.subarray(at, at + deps.responseChunkBytes) } };
    }
  };
}
