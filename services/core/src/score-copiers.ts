/**
 * Copier detection (protocol §5): two payloads of one window whose kept indices overlap above the
 * threshold are one work done twice; the copier is the one the validator saw **later** in that window's
 * upload slot (its own first-seen clock, never the uploader's LastModified). Fixes of the reference
 * (templar.md, weak points): the times compared are those of the window being scored, not the window
 * before; and a tie — both first seen in the same poll — flags neither (an honest miner is never
 * punished for being copied fast), reported as a suspect pair so the explanation shows it.
 */
import { InvalidArgumentError } from './errors.js';
import { sampleOverlap } from './index-sample.js';

/** The mean fraction of one payload's kept indices the other payload also kept (0..1, symmetric use). */
export interface OverlapPair {
  readonly a: string;
  readonly b: string;
  readonly overlap: number;
}

/** A flagged copier: who it copied and how much overlapped. */
export interface CopierFinding {
  readonly hotkey: string;
  readonly copied: string;
  readonly overlap: number;
}

/** What {@link findCopiers} concluded. */
export interface CopierReport {
  /** One entry per flagged hotkey (the highest overlap when it copied several). */
  readonly copiers: readonly CopierFinding[];
  /** Pairs above the threshold first seen at the same instant: nobody is flagged for these. */
  readonly ties: readonly OverlapPair[];
}

/** Default overlap threshold (protocol §5). */
export const COPIER_THRESHOLD = 0.4;

/**
 * Flag the later-seen member of every pair at or above `threshold`. `firstSeenMs` holds the
 * validator's first-seen time of each payload of this window; a pair with a member it never saw is
 * skipped (that member is missing, a penalty of its own).
 */
export function findCopiers(
  pairs: readonly OverlapPair[],
  firstSeenMs: ReadonlyMap<string, number>,
  threshold = COPIER_THRESHOLD,
): CopierReport {
  if (!(threshold > 0 && threshold <= 1)) {
    throw new InvalidArgumentError(`the overlap threshold must be in (0, 1], not ${threshold}`, {
      reason: 'SCORE_BAD_POLICY',
    });
  }
  const flagged = new Map<string, CopierFinding>();
  const ties: OverlapPair[] = [];
  for (const pair of pairs) {
    if (!Number.isFinite(pair.overlap) || pair.overlap < 0 || pair.overlap > 1) {
      throw new InvalidArgumentError(`overlap of ${pair.a} and ${pair.b} is not in [0, 1]: ${pair.overlap}`, {
        reason: 'SCORE_BAD_OVERLAP',
      });
    }
    if (pair.a === pair.b || pair.overlap < threshold) continue;
    const ta = firstSeenMs.get(pair.a);
    const tb = firstSeenMs.get(pair.b);
    if (ta === undefined || tb === undefined) continue;
    if (ta === tb) {
      ties.push(pair);
      continue;
    }
    const [copier, original] = ta > tb ? [pair.a, pair.b] : [pair.b, pair.a];
    const previous = flagged.get(copier);
    if (previous === undefined || pair.overlap > previous.overlap) {
      flagged.set(copier, { hotkey: copier, copied: original, overlap: pair.overlap });
    }
  }
  const copiers = [...flagged.values()].sort((x, y) =>
    x.hotkey < y.hotkey ? -1 : x.hotkey > y.hotkey ? 1 : 0,
  );
  return { copiers, ties };
}

/**
 * The pairs a window's copy check compares: every two hotkeys with an index sample of which at least one
 * was scored (only a scored update can be penalised). Samples come from score results and, for updates
 * left unjudged, from sample jobs (ADR 0018), so a scored copier is caught even when its victim was not
 * scored. Hotkeys ascend, so the pairs and their order depend only on the inputs.
 */
export function samplePairs(
  samples: ReadonlyMap<string, BigUint64Array>,
  scored: ReadonlySet<string>,
): OverlapPair[] {
  const hotkeys = [...samples.keys()].filter((h) => samples.get(h)!.length > 0).sort();
  const pairs: OverlapPair[] = [];
  for (let i = 0; i < hotkeys.length; i++) {
    for (let j = i + 1; j < hotkeys.length; j++) {
      const a = hotkeys[i]!;
      const b = hotkeys[j]!;
      if (!scored.has(a) && !scored.has(b)) continue;
      pairs.push({ a, b, overlap: sampleOverlap(samples.get(a)!, samples.get(b)!) });
    }
  }
  return pairs;
}
