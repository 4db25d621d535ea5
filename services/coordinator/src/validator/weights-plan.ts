/**
 * What the validator sets on chain every `windowsPerWeights` windows (protocol §7): the final scores of
 * the peers that still hold a uid (by the metagraph the bridge read), shaped by core's
 * {@link weightsFromScores} and normalised to u16 the way the Bittensor SDK does, zero weights dropped.
 * A hotkey that lost its uid simply drops out; the burn uid keeps its share.
 */
import { DEFAULT_WEIGHTS_SHAPE, normalizeWeightsU16, weightsFromScores } from '@cohort/core';
import type { PeerScoreState, WeightsShape } from '@cohort/core';
import { ExtrinsicOutcome_Status, SetWeightsResponse_Mode } from '@cohort/proto/cohort/chain/v1/chain_bridge';
import type { SetWeightsResponse } from '@cohort/proto/cohort/chain/v1/chain_bridge';

/** uids and u16 weights, uid-ascending, ready for SetWeights. */
export interface WeightsPlan {
  readonly uids: number[];
  readonly weights: number[];
}

/** The operator's say in the weights' shape (coordinator config; the rest is the protocol's). */
export interface WeightsSettings {
  readonly gatherPeerCount: number;
  readonly reservePeerCount: number;
  readonly weightsBurnShare: number;
  readonly weightsBurnUid: number;
}

/** The weights' shape from the coordinator's settings. */
export function weightsShapeOf(s: WeightsSettings): WeightsShape {
  return {
    ...DEFAULT_WEIGHTS_SHAPE,
    gatherCount: s.gatherPeerCount,
    reserveCount: s.reservePeerCount,
    burnShare: s.weightsBurnShare,
    burnUid: s.weightsBurnUid,
  };
}

/** Build the plan from the score states and the metagraph's hotkey → uid map. */
export function planWeights(
  states: ReadonlyMap<string, PeerScoreState>,
  uidOf: ReadonlyMap<string, number>,
  shape?: WeightsShape,
): WeightsPlan {
  const scores = [...states]
    .filter(([hotkey]) => uidOf.has(hotkey))
    .map(([hotkey, s]) => ({ uid: uidOf.get(hotkey)!, score: s.finalScore }));
  const floats = weightsFromScores(scores, shape);
  const uids = [...floats.keys()];
  const u16 = normalizeWeightsU16([...floats.values()]);
  const keep = u16.map((w, i) => [uids[i]!, w] as const).filter(([, w]) => w > 0);
  return { uids: keep.map(([uid]) => uid), weights: keep.map(([, w]) => w) };
}

/**
 * What a SetWeights answer means: `ok` the weights are set (included, or skipped by the bridge because
 * nothing changed), `committed` only their hash landed (commit-reveal: the bridge reveals them later, or
 * the chain does for a timelocked commit), `failed` anything else.
 */
export type WeightsResult = 'ok' | 'committed' | 'failed';

/** The {@link WeightsResult} of a SetWeights response. */
export function weightsResult(r: Pick<SetWeightsResponse, 'mode' | 'outcome'>): WeightsResult {
  const status = r.outcome?.status;
  if (status === ExtrinsicOutcome_Status.SKIPPED) return 'ok';
  if (status !== ExtrinsicOutcome_Status.INCLUDED) return 'failed';
  return r.mode === SetWeightsResponse_Mode.COMMIT || r.mode === SetWeightsResponse_Mode.TIMELOCKED
    ? 'committed'
    : 'ok';
}
