/**
 * The per-update signals of the Gauntlet (protocol §5), from four loss measurements a validator takes
 * around applying only that update: on the miner's assigned pages and on control pages, before and
 * after. Pure arithmetic on finite positive losses; anything else is refused (`SCORE_BAD_LOSS`), so a
 * broken evaluation can never turn into a score.
 */
import { InvalidArgumentError } from './errors.js';

/** Losses measured for one update: before and after applying it, on assigned and on control pages. */
export interface LossMeasurement {
  readonly assignedBefore: number;
  readonly assignedAfter: number;
  readonly randomBefore: number;
  readonly randomAfter: number;
}

function checkLoss(value: number, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(`${what} must be a finite positive loss, not ${String(value)}`, {
      reason: 'SCORE_BAD_LOSS',
      details: { field: what },
    });
  }
  return value;
}

/** Check every loss of a measurement; returns it. */
export function checkMeasurement(m: LossMeasurement): LossMeasurement {
  checkLoss(m.assignedBefore, 'assignedBefore');
  checkLoss(m.assignedAfter, 'assignedAfter');
  checkLoss(m.randomBefore, 'randomBefore');
  checkLoss(m.randomAfter, 'randomAfter');
  return m;
}

/** Relative improvement on the miner's assigned pages: (before − after) / before. */
export function ownGain(m: LossMeasurement): number {
  checkMeasurement(m);
  return (m.assignedBefore - m.assignedAfter) / m.assignedBefore;
}

/** Relative improvement on the control pages: (before − after) / before. Positive = the update helps. */
export function gradientScore(m: LossMeasurement): number {
  checkMeasurement(m);
  return (m.randomBefore - m.randomAfter) / m.randomBefore;
}

/**
 * +1 when the update improves the miner's assigned pages more than the control pages (it trained on
 * what it was given), −1 otherwise — equality included, so an update that does nothing earns −1.
 */
export function binaryIndicator(m: LossMeasurement): 1 | -1 {
  return ownGain(m) > gradientScore(m) ? 1 : -1;
}

/** One step of an exponential moving average: (1 − α)·previous + α·value. */
export function emaStep(previous: number, value: number, alpha: number): number {
  if (!(alpha > 0 && alpha <= 1)) {
    throw new InvalidArgumentError(`an EMA factor must be in (0, 1], not ${alpha}`, {
      reason: 'SCORE_BAD_POLICY',
    });
  }
  return (1 - alpha) * previous + alpha * value;
}
