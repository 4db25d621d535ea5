import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_QUALITY_POLICY, judgeQuality, specificMargin } from './score-quality.js';
import type { QualityInput } from './score-quality.js';
import { scoreWindow } from './score-window.js';
import type { PeerScoreState, PeerVerdict } from './score-window.js';

/** Losses of an update that gains `own` (relative) on its pages and `control` on control pages. */
const losses = (own: number, control: number) => ({
  assignedBefore: 10,
  assignedAfter: 10 * (1 - own),
  randomBefore: 10,
  randomAfter: 10 * (1 - control),
});
const input = (hotkey: string, own: number, control: number, norm = 1, recentMargins: number[] = []) =>
  ({ hotkey, losses: losses(own, control), norm, recentMargins }) satisfies QualityInput;

// Figures of the order measured on the devnet model (ADR 0012): honest own ≈ 1.5e-3, control ≈ 1e-3.
const HONEST = [
  input('h1', 0.0015, 0.001),
  input('h2', 0.0013, 0.0009),
  input('h3', 0.0018, 0.0012),
  input('h4', 0.0012, 0.0009),
];

describe('judgeQuality', () => {
  test('honest updates pass; each kind of bad update gets its reason', () => {
    const out = judgeQuality([
      ...HONEST,
      input('scaled', 0.04, 0.03, 100), // ×100: helps here, still an outlier by norm
      input('flipped', -0.0015, -0.001),
      input('zero', 0, 0, 0),
      input('random', 0.00004, -0.00003),
      input('lazy', 0.001, 0.00105),
    ]);
    for (const h of ['h1', 'h2', 'h3', 'h4']) assert.equal(out.get(h)!.reason, null, h);
    assert.equal(out.get('scaled')!.reason, 'NORM_OUTLIER');
    assert.equal(out.get('flipped')!.reason, 'HARMFUL');
    assert.equal(out.get('zero')!.reason, 'NO_GAIN');
    assert.equal(out.get('random')!.reason, 'NO_GAIN');
    assert.equal(out.get('lazy')!.reason, 'LAZY');
  });

  test('a crowd of do-nothing updates cannot drag the typical gain down to their level', () => {
    const zeros = Array.from({ length: 10 }, (_, i) => input(`z${i}`, 0, 0, 0));
    const out = judgeQuality([...HONEST, ...zeros, input('random', 0.0001, 0.00008)]);
    assert.equal(out.get('random')!.reason, 'NO_GAIN');
    for (const h of ['h1', 'h2', 'h3', 'h4']) assert.equal(out.get(h)!.reason, null);
    for (let i = 0; i < 10; i++) assert.equal(out.get(`z${i}`)!.reason, 'NO_GAIN');
  });

  test('LAZY is judged on the mean margin of the last windows: one weak window of an honest peer is not', () => {
    const p = DEFAULT_QUALITY_POLICY;
    // An honest peer with two good windows, then a weak one (margin 0.05): mean above lazyMargin.
    const weak = judgeQuality([...HONEST, input('h5', 0.001, 0.00095, 1, [0.35, 0.3])]).get('h5')!;
    assert.ok(Math.abs(weak.margin - 0.05) < 1e-9);
    assert.equal(weak.reason, null);
    assert.equal(weak.recentMargins.length, 3);
    // A lazy peer whose first window looked good by chance is caught as the evidence comes in.
    let margins: readonly number[] = [];
    const reasons: (string | null)[] = [];
    for (const [own, control] of [
      [0.0012, 0.0008],
      [0.0011, 0.0012],
      [0.001, 0.0011],
    ] as const) {
      const v = judgeQuality([...HONEST, input('lazy', own, control, 1, [...margins])]).get('lazy')!;
      margins = v.recentMargins;
      reasons.push(v.reason);
    }
    assert.deepEqual(reasons, [null, 'LAZY', 'LAZY']);
    assert.ok(margins.length <= p.lazyWindows);
  });

  test('the specific margin is relative to the own gain and bounded', () => {
    assert.ok(Math.abs(specificMargin(losses(0.002, 0.001)) - 0.5) < 1e-9);
    assert.equal(specificMargin(losses(0, 0.001)), -1);
    assert.equal(specificMargin(losses(-0.01, 0.001)), -1);
    assert.equal(specificMargin(losses(0.001, -0.5)), 1);
  });

  test('an update without a norm skips only the norm check', () => {
    const out = judgeQuality([...HONEST, { hotkey: 'x', losses: losses(0.0015, 0.001), recentMargins: [] }]);
    assert.equal(out.get('x')!.reason, null);
  });

  test('hostile numbers are refused, never judged', () => {
    assert.throws(() => judgeQuality([input('a', 0.001, 0.001, Number.NaN)]), /norm/);
    assert.throws(() => judgeQuality([input('a', 0.001, 0.001, -1)]), /norm/);
    assert.throws(
      () => judgeQuality(HONEST, { ...DEFAULT_QUALITY_POLICY, lazyWindows: 0 }),
      (e: Error & { reason?: string }) => e.reason === 'SCORE_BAD_POLICY',
    );
    assert.throws(() => judgeQuality(HONEST, { ...DEFAULT_QUALITY_POLICY, normOutlierFactor: 0.5 }));
  });
});

describe('scoreWindow with quality checks', () => {
  const scored = (own: number, control: number, norm = 1): PeerVerdict => ({
    kind: 'scored',
    losses: losses(own, control),
    norm,
  });

  test('a flagged update is zeroed with its reason, kept out of trust, and its margin remembered', () => {
    const verdicts = new Map<string, PeerVerdict>([
      ['h1', scored(0.0015, 0.001)],
      ['h2', scored(0.0013, 0.0009)],
      ['h3', scored(0.0018, 0.0012)],
      ['flip', scored(-0.0015, -0.001)],
    ]);
    let states: ReadonlyMap<string, PeerScoreState> = new Map();
    for (let i = 0; i < 3; i++) states = scoreWindow(states, verdicts).states;
    const out = scoreWindow(states, verdicts);
    const flip = out.explanations.find((e) => e.hotkey === 'flip')!;
    assert.deepEqual(flip.penalties, [{ reason: 'HARMFUL', factor: 0 }]);
    assert.equal(flip.after.finalScore, 0);
    assert.ok(flip.after.binaryEma <= 0);
    assert.deepEqual(flip.after.recentMargins, [-1, -1, -1]);
    for (const h of ['h1', 'h2', 'h3']) {
      const e = out.explanations.find((x) => x.hotkey === h)!;
      assert.deepEqual(e.penalties, []);
      assert.ok(e.after.finalScore > 0, `${h} keeps a positive score`);
      assert.equal(e.after.recentMargins.length, 3);
    }
  });
});
