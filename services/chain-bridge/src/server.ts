/**
 * The ChainBridgeService implementation: thin handlers over the head follower, the reads and the writers.
 * Reads answer from the chain (UNAVAILABLE / CHAIN_DISCONNECTED while reconnecting, DEADLINE_EXCEEDED /
 * CHAIN_TIMEOUT when it does not answer), and so do the reads a write makes before it submits;
 * GetHead and WatchHead answer from the clock and never wait.
 */
import { create } from '@bufbuild/protobuf';
import { InvalidArgumentError } from '@cohort/core';
import type { CallContext, ServiceImpl } from '@cohort/kit';
import {
  ExtrinsicOutcome_Status,
  ExtrinsicOutcomeSchema,
  SetWeightsResponse_Mode,
} from '@cohort/proto/cohort/chain/v1/chain_bridge';
import type {
  BlockHead,
  ChainBridgeService,
  ExtrinsicOutcome,
} from '@cohort/proto/cohort/chain/v1/chain_bridge';
import { BucketEndpointSchema } from '@cohort/proto/cohort/common/v1/types';
import { readCommitments, readHyperparameters, readMetagraph } from './chain-reads.js';
import { setBucketCommitment } from './commitment-writer.js';
import { noSignerError } from './extrinsics.js';
import type { ExtrinsicSubmitter, Outcome } from './extrinsics.js';
import type { HeadFollower } from './head-follower.js';
import { timedRead } from './timed-read.js';
import type { ReadDeps } from './timed-read.js';
import type { WeightsWriter } from './weights-writer.js';

/** What the handlers use. */
export interface BridgeDeps extends ReadDeps {
  readonly follower: HeadFollower;
  /** Absent on a read-only bridge. */
  readonly submitter: ExtrinsicSubmitter | undefined;
  readonly weights: WeightsWriter | undefined;
}

/** The uid reported for a commitment whose hotkey holds no uid on the subnet (uids are u16). */
export const NO_UID = 0xffffffff;

function netuidOf(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new InvalidArgumentError(`netuid must be a u16, got ${value}`, { reason: 'BAD_NETUID' });
  }
  return value;
}

const statusOf: Record<Outcome['status'], ExtrinsicOutcome_Status> = {
  included: ExtrinsicOutcome_Status.INCLUDED,
  dispatch_error: ExtrinsicOutcome_Status.DISPATCH_ERROR,
  dropped: ExtrinsicOutcome_Status.DROPPED,
  skipped: ExtrinsicOutcome_Status.SKIPPED,
};

/** The proto shape of an outcome. */
export function toOutcome(o: Outcome): ExtrinsicOutcome {
  return create(ExtrinsicOutcomeSchema, {
    status: statusOf[o.status],
    block: BigInt(o.block ?? 0),
    txHash: o.txHash ?? new Uint8Array(),
    errorName: o.errorName ?? '',
    detail: o.detail ?? '',
  });
}

/** Heads for one WatchHead stream, the current one first, until the call ends. */
async function* watchHeads(follower: HeadFollower, ctx: CallContext): AsyncIterable<{ head: BlockHead }> {
  const queue: BlockHead[] = [follower.head()];
  let wake: (() => void) | undefined;
  const stop = follower.watch((head) => {
    if (queue.length > 64) queue.shift(); // a slow reader gets the latest heads, not unbounded memory
    queue.push(head);
    wake?.();
  });
  const ended = (): void => wake?.();
  ctx.signal.addEventListener('abort', ended);
  ctx.draining.addEventListener('abort', ended);
  try {
    while (!ctx.signal.aborted && !ctx.draining.aborted) {
      const head = queue.shift();
      if (head !== undefined) {
        yield { head };
        continue;
      }
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    stop();
    ctx.signal.removeEventListener('abort', ended);
    ctx.draining.removeEventListener('abort', ended);
  }
}

/** Every ChainBridgeService RPC, bound to `deps`. */
export function createBridgeImpl(deps: BridgeDeps): ServiceImpl<typeof ChainBridgeService> {
  const signer = (): ExtrinsicSubmitter =>
    deps.submitter ??
    (() => {
      throw noSignerError();
    })();
  return {
    getHead: () => Promise.resolve({ head: deps.follower.head() }),
    watchHead: (_request, ctx) => watchHeads(deps.follower, ctx),
    async getMetagraph(request) {
      const m = await timedRead(deps, 'metagraph', (api) => readMetagraph(api, netuidOf(request.netuid)));
      return {
        block: BigInt(m.block),
        neurons: m.neurons.map((n) => ({ ...n, lastUpdateBlock: BigInt(n.lastUpdateBlock) })),
      };
    },
    async getHyperparameters(request) {
      const h = await timedRead(deps, 'hyperparameters', (api) =>
        readHyperparameters(api, netuidOf(request.netuid)),
      );
      return {
        tempo: h.tempo,
        weightsRateLimit: BigInt(h.weightsRateLimit),
        commitRevealEnabled: h.commitRevealEnabled,
        commitRevealPeriod: BigInt(h.revealPeriodEpochs),
        weightsVersionKey: h.weightsVersionKey,
        maxAllowedUids: h.maxAllowedUids,
      };
    },
    async listCommitments(request) {
      const r = await timedRead(deps, 'commitments', (api) => readCommitments(api, netuidOf(request.netuid)));
      return {
        block: BigInt(r.block),
        commitments: r.commitments.map((c) => ({
          // A commitment by a hotkey that is no longer registered: no uid (u32 max, never a real uid).
          uid: c.uid ?? NO_UID,
          hotkey: c.hotkey,
          block: BigInt(c.block),
          raw: c.raw,
          decodeError: c.decodeError,
          ...(c.bucket === undefined ? {} : { bucket: create(BucketEndpointSchema, c.bucket) }),
        })),
      };
    },
    async setCommitment(request) {
      const submitter = signer();
      const b = request.bucket;
      if (b === undefined) throw new InvalidArgumentError('bucket is required', { reason: 'BAD_BUCKET' });
      const outcome = await setBucketCommitment(deps, submitter, netuidOf(request.netuid), {
        endpoint: b.endpoint,
        bucket: b.bucket,
        region: b.region,
        accessKeyId: b.accessKeyId,
        secretAccessKey: b.secretAccessKey,
        pathStyle: b.pathStyle,
      });
      return { outcome: toOutcome(outcome) };
    },
    async setWeights(request) {
      signer();
      const { mode, outcome } = await deps.weights!.setWeights(
        netuidOf(request.netuid),
        request.uids,
        request.weights,
      );
      return {
        mode: mode === 'direct' ? SetWeightsResponse_Mode.DIRECT : SetWeightsResponse_Mode.COMMIT,
        outcome: toOutcome(outcome),
      };
    },
  };
}
