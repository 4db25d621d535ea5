/**
 * What the validator sets on chain every `windowsPerWeights` windows (protocol §7): the final scores of
 * the peers that still hold a uid (by the metagraph the bridge read), shaped by core's
 * {@link weightsFromScores} and normalised to u16 the way the Bittensor SDK does, zero weights dropped.
 * A hotkey that lost its uid simply drops out; the burn uid keeps its share.
 */
import { normalizeWeightsU16, weightsFromScores } from '@cohort/core';
import type { PeerScoreState, WeightsShape } from '@cohort/core';

/** uids and u16 weights, uid-ascending, ready for SetWeights. */
export interface WeightsPlan {
  readonly uids: number[];
  readonly weights: number[];
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
