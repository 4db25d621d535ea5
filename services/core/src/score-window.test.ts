import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildScoreRecords, recheckScoreRecord } from './score-record.js';
import { DEFAULT_SCORING_POLICY, initialPeerState, scoreWindow } from './score-window.js';
import type { PeerScoreState, PeerVerdict } from './score-window.js';

/** A scored verdict with a given improvement on control pages and an edge on assigned pages. */
const scored = (control: number, edge = 0.05): PeerVerdict => ({
  kind: 'scored',
  losses: {
    assignedBefore: 4,
    assignedAfter: 4 * (1 - control - edge),
    randomBefore: 4,
    randomAfter: 4 * (1 - control),
  },
});

/** Run `windows` identical windows of `verdicts` from an empty state. */
function run(windows: number, verdicts: Map<string, PeerVerdict>): Map<string, PeerScoreState> {
  let states = new Map<string, PeerScoreState>();
  for (let i = 0; i < windows; i++) states = new Map(scoreWindow(states, verdicts).states);
  return states;
}

describe('scoreWindow', () => {
  test('better updates rate higher; final = max(0, ordinal + 25) × max(0, binary EMA)', () => {
    const s = run(
      20,
      new Map([
        ['a', scored(0.03)],
        ['b', scored(0.02)],
        ['c', scored(0.01)],
      ]),
    );
    const [a, b, c] = ['a', 'b', 'c'].map((h) => s.get(h)!);
    assert.ok(a!.mu > b!.mu && b!.mu > c!.mu, 'ranked by gradient score');
    assert.ok(a!.finalScore > b!.finalScore && b!.finalScore > c!.finalScore);
    assert.ok(a!.binaryEma > 0.6 && a!.binaryEma < 1, `EMA after 20 windows of +1: ${a!.binaryEma}`);
    const r = scoreWindow(
      s,
      new Map([
        ['a', scored(0.03)],
        ['b', scored(0.02)],
      ]),
    );
    const e = r.explanations.find((x) => x.hotkey === 'a')!;
    assert.ok(Math.abs(e.after.finalScore - (e.ordinal + 25) * e.after.binaryEma) < 1e-12);
    assert.ok(c!.finalScore > 0, 'the slowest honest miner still scores above zero');
  });

  test('a lazy miner (no edge on its own pages) never earns a positive score', () => {
    const s = run(
      20,
      new Map([
        ['honest', scored(0.02)],
        ['lazy', scored(0.03, -0.01)],
      ]),
    );
    assert.ok(s.get('lazy')!.binaryEma < 0);
    assert.equal(s.get('lazy')!.finalScore, 0);
    assert.ok(s.get('honest')!.finalScore > 0);
  });

  test("faults penalise only the faulty peer (the reference's ×0 for others is gone)", () => {
    const base = run(
      10,
      new Map([
        ['a', scored(0.03)],
        ['b', scored(0.02)],
        ['c', scored(0.01)],
      ]),
    );
    const r = scoreWindow(
      base,
      new Map<string, PeerVerdict>([
        ['a', scored(0.03)],
        ['b', { kind: 'fault', reason: 'MISSING' }],
        ['c', { kind: 'fault', reason: 'INVALID' }],
      ]),
    );
    const b = r.states.get('b')!;
    assert.ok(Math.abs(b.finalScore - base.get('b')!.finalScore * 0.75) < 1e-12, 'missing: ×0.75');
    assert.ok(Math.abs(b.binaryEma - base.get('b')!.binaryEma * 0.75) < 1e-12, 'and its trust decays');
    assert.equal(r.states.get('c')!.finalScore, 0, 'invalid: ×0');
    assert.ok(r.states.get('a')!.finalScore > 0, 'the honest peer is untouched by the others');
    assert.deepEqual(r.explanations.find((e) => e.hotkey === 'b')!.penalties, [
      { reason: 'MISSING', factor: 0.75 },
    ]);
  });

  test('a data-receipt mismatch and being out of sync cost the whole score', () => {
    const base = run(
      10,
      new Map([
        ['a', scored(0.03)],
        ['b', scored(0.02)],
      ]),
    );
    for (const reason of ['RECEIPT_MISMATCH', 'OUT_OF_SYNC'] as const) {
      const r = scoreWindow(base, new Map<string, PeerVerdict>([['b', { kind: 'fault', reason }]]));
      assert.equal(r.states.get('b')!.finalScore, 0, reason);
    }
  });

  test('a penalty never improves a negative score', () => {
    const neg: PeerScoreState = { ...initialPeerState(), finalScore: -3, binaryEma: -0.2 };
    const r = scoreWindow(
      new Map([['x', neg]]),
      new Map<string, PeerVerdict>([['x', { kind: 'fault', reason: 'INVALID' }]]),
    );
    assert.equal(r.states.get('x')!.finalScore, -3);
    assert.equal(r.states.get('x')!.binaryEma, -0.2);
  });

  test('a copier is scored, then zeroed, and the explanation names whom it copied', () => {
    const verdicts = new Map([
      ['a', scored(0.03)],
      ['b', scored(0.03)],
    ]);
    const base = run(10, verdicts);
    const r = scoreWindow(base, verdicts, { copiers: new Map([['b', 'a']]) });
    assert.equal(r.states.get('b')!.finalScore, 0);
    const e = r.explanations.find((x) => x.hotkey === 'b')!;
    assert.equal(e.copied, 'a');
    assert.deepEqual(e.penalties, [{ reason: 'COPIER', factor: 0 }]);
    assert.ok(r.states.get('a')!.finalScore > 0);
  });

  test('inactivity decays ×0.75 per window and resets to the prior after more than 3', () => {
    let states: ReadonlyMap<string, PeerScoreState> = run(
      10,
      new Map([
        ['a', scored(0.03)],
        ['b', scored(0.02)],
      ]),
    );
    const start = states.get('b')!.finalScore;
    for (let i = 1; i <= 3; i++) {
      states = scoreWindow(states, new Map([['a', scored(0.03)]]), { inactive: ['b'] }).states;
      assert.ok(Math.abs(states.get('b')!.finalScore - start * 0.75 ** i) < 1e-9, `window ${i}`);
    }
    states = scoreWindow(states, new Map([['a', scored(0.03)]]), { inactive: ['b'] }).states;
    assert.deepEqual(states.get('b'), initialPeerState());
  });

  test('registered: deregistered peers are forgotten, idle ones without a state leave no record', () => {
    const start = run(
      5,
      new Map([
        ['a', scored(0.03)],
        ['b', scored(0.02)],
        ['gone', scored(0.01)],
      ]),
    );
    const registered = ['a', 'b', 'idle'];
    const verdicts = new Map([['a', scored(0.03)]]);
    const inactive = ['b', 'idle'];
    const plain = scoreWindow(start, verdicts, { inactive });
    const pruned = scoreWindow(start, verdicts, { inactive, registered });
    assert.deepEqual([...pruned.states.keys()].sort(), ['a', 'b'], 'gone dropped, idle never stored');
    assert.deepEqual(plain.states.get('idle'), { ...initialPeerState(), inactiveWindows: 1 }, 'unpruned');
    assert.ok(plain.states.has('gone'));
    for (const h of ['a', 'b']) assert.deepEqual(pruned.states.get(h), plain.states.get(h), h);
    assert.deepEqual(
      pruned.explanations.map((e) => e.hotkey),
      ['a', 'b'],
      'no INACTIVE record for a peer with nothing to decay',
    );
    // A hotkey that comes back is scored from the prior, as a stored prior would have been.
    const back = new Map([
      ['a', scored(0.03)],
      ['gone', scored(0.01)],
    ]);
    assert.deepEqual(
      scoreWindow(pruned.states, back, { registered: ['a', 'gone'] }).states.get('gone'),
      scoreWindow(new Map([...pruned.states, ['gone', initialPeerState()]]), back).states.get('gone'),
    );
  });

  test('registered: a state reset by inactivity is dropped; its record still rechecks', () => {
    let states: ReadonlyMap<string, PeerScoreState> = run(
      5,
      new Map([
        ['a', scored(0.03)],
        ['b', scored(0.02)],
      ]),
    );
    const registered = ['a', 'b'];
    const verdicts = new Map([['a', scored(0.03)]]);
    for (let i = 1; i <= 3; i++) {
      states = scoreWindow(states, verdicts, { inactive: ['b'], registered }).states;
      assert.equal(states.get('b')!.inactiveWindows, i);
    }
    const reset = scoreWindow(states, verdicts, { inactive: ['b'], registered });
    assert.equal(reset.states.has('b'), false, 'the prior is not stored');
    const e = reset.explanations.find((x) => x.hotkey === 'b')!;
    assert.deepEqual(e.after, initialPeerState(), 'the reset is still explained');
    const records = buildScoreRecords({ runId: 'r', window: 9, validator: 'v' }, verdicts, reset, ['b']);
    for (const record of records) assert.ok(recheckScoreRecord(record).matches, record.explanation.hotkey);
    const next = scoreWindow(reset.states, verdicts, { inactive: ['b'], registered });
    assert.deepEqual(
      next.explanations.map((x) => x.hotkey),
      ['a'],
      'then nothing more',
    );
  });

  test('one scored peer: its EMA moves, its rating does not (no match of one)', () => {
    const r = scoreWindow(new Map(), new Map([['solo', scored(0.02)]]));
    const s = r.states.get('solo')!;
    assert.equal(s.mu, initialPeerState().mu);
    assert.equal(s.binaryEma, DEFAULT_SCORING_POLICY.binaryEmaAlpha);
  });

  test('deterministic: the order peers arrive in changes nothing', () => {
    const entries: [string, PeerVerdict][] = [
      ['c', scored(0.01)],
      ['a', scored(0.03)],
      ['b', { kind: 'fault', reason: 'LATE' }],
      ['d', scored(0.02)],
    ];
    const one = scoreWindow(new Map(), new Map(entries));
    const two = scoreWindow(new Map(), new Map([...entries].reverse()));
    assert.deepEqual([...one.states].sort(), [...two.states].sort());
    assert.deepEqual(one.explanations, two.explanations);
  });
});
