import assert from 'node:assert/strict';
import { test } from 'node:test';
import { windowVerdicts } from './window-verdicts.js';

const LOSSES = { assignedBefore: 4, assignedAfter: 3.5, randomBefore: 4, randomAfter: 3.9 };

test('slot timing, evaluator faults and silence become verdicts', () => {
  const v = windowVerdicts({
    registered: ['early', 'late', 'honest', 'garbage', 'silent', 'flaky', 'pending'],
    firstSeenMs: new Map([
      ['early', 900],
      ['late', 2101],
      ['honest', 1000],
      ['garbage', 1500],
      ['flaky', 2100],
      ['pending', 1200],
      ['stranger', 1300],
    ]),
    slot: { openMs: 1000, closeMs: 2100 },
    evaluations: new Map([
      ['honest', { kind: 'measured', losses: LOSSES }],
      ['garbage', { kind: 'fault', fault: 'INVALID' }],
      ['flaky', { kind: 'evaluator_failed', detail: 'out of memory' }],
      ['stranger', { kind: 'fault', fault: 'OUT_OF_SYNC' }],
    ]),
  });
  assert.deepEqual(Object.fromEntries(v.verdicts), {
    early: { kind: 'fault', reason: 'EARLY' },
    late: { kind: 'fault', reason: 'LATE' },
    honest: { kind: 'scored', losses: LOSSES },
    garbage: { kind: 'fault', reason: 'INVALID' },
    stranger: { kind: 'fault', reason: 'OUT_OF_SYNC' },
  });
  assert.deepEqual(
    v.inSlot,
    ['flaky', 'garbage', 'honest', 'pending', 'stranger'],
    'the slot bounds are inclusive',
  );
  assert.deepEqual(v.inactive, ['silent']);
  assert.deepEqual(v.unjudged, ['flaky', 'pending'], "an evaluator's failure is never the miner's fault");
});
