import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ScoreRecordError,
  buildScoreRecords,
  encodeScoreRecord,
  parseScoreRecord,
  recheckScoreRecord,
} from './score-record.js';
import { scoreWindow } from './score-window.js';
import type { PeerScoreState, PeerVerdict } from './score-window.js';

const scored = (control: number, edge = 0.05): PeerVerdict => ({
  kind: 'scored',
  losses: {
    assignedBefore: 4,
    assignedAfter: 4 * (1 - control - edge),
    randomBefore: 4,
    randomAfter: 4 * (1 - control),
  },
});
const CONTEXT = { runId: 'devnet', window: 12, validator: 'validator' };

function window(previous: ReadonlyMap<string, PeerScoreState>) {
  const verdicts = new Map<string, PeerVerdict>([
    ['a', scored(0.03)],
    ['b', scored(0.01)],
    ['c', { kind: 'fault', reason: 'LATE' }],
    ['d', scored(0.02)],
  ]);
  const copiers = new Map([['d', 'a']]);
  const out = scoreWindow(previous, verdicts, { copiers, inactive: ['e'] });
  return { verdicts, out };
}

test('every record of a window rechecks from its own inputs, after a JSON round trip', () => {
  let states: ReadonlyMap<string, PeerScoreState> = new Map();
  for (let i = 0; i < 5; i++) states = window(states).out.states;
  const { verdicts, out } = window(states);
  const records = buildScoreRecords(CONTEXT, verdicts, out, ['e']);
  assert.deepEqual(records.map((r) => r.explanation.hotkey).sort(), ['a', 'b', 'c', 'd', 'e']);
  for (const r of records) {
    const back = parseScoreRecord(encodeScoreRecord(r));
    const check = recheckScoreRecord(back);
    assert.ok(check.matches, `${r.explanation.hotkey}: ${check.detail}`);
  }
  assert.equal(records.find((r) => r.explanation.hotkey === 'd')!.explanation.copied, 'a');
});

test('a tampered record does not recheck', () => {
  const { verdicts, out } = window(new Map());
  const record = buildScoreRecords(CONTEXT, verdicts, out, ['e']).find((r) => r.explanation.hotkey === 'b')!;
  const inflated = {
    ...record,
    explanation: { ...record.explanation, after: { ...record.explanation.after, finalScore: 99 } },
  };
  assert.equal(recheckScoreRecord(inflated).matches, false);
  const otherLosses = {
    ...record,
    match: record.match.map((m) => (m.hotkey === 'a' ? { ...m, verdict: scored(0.001) } : m)),
  };
  assert.equal(recheckScoreRecord(otherLosses).matches, false, "another peer's losses change the match");
});

test('malformed records are refused', () => {
  for (const v of [{}, { format: 'cohort-score/2' }, { format: 'cohort-score/2', explanation: {} }]) {
    assert.throws(
      () => parseScoreRecord(new TextEncoder().encode(JSON.stringify(v))),
      (e) => e instanceof ScoreRecordError && e.reason === 'SCORE_RECORD_INVALID',
    );
  }
  assert.throws(() => parseScoreRecord(Uint8Array.of(0xff)), ScoreRecordError);
});

test("a scored verdict's clip factor survives the round trip and must lie in [0, 1]", () => {
  const verdicts = new Map<string, PeerVerdict>([
    ['a', { ...scored(0.03), clipFactor: 0.5 } as PeerVerdict],
    ['b', scored(0.01)],
  ]);
  const record = buildScoreRecords(CONTEXT, verdicts, scoreWindow(new Map(), verdicts)).find(
    (r) => r.explanation.hotkey === 'a',
  )!;
  const back = parseScoreRecord(encodeScoreRecord(record));
  assert.deepEqual(back.explanation.verdict, { ...scored(0.03), clipFactor: 0.5 });
  assert.ok(recheckScoreRecord(back).matches);
  for (const clipFactor of [1.5, -0.1, 'half']) {
    const doctored = {
      ...record,
      explanation: { ...record.explanation, verdict: { ...record.explanation.verdict, clipFactor } },
    };
    assert.throws(
      () => parseScoreRecord(new TextEncoder().encode(JSON.stringify(doctored))),
      (e) => e instanceof ScoreRecordError && e.reason === 'SCORE_RECORD_INVALID',
      String(clipFactor),
    );
  }
});
