import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '@cohort/kit';
import { createValidatorTerms } from './validator-terms.js';

/** Terms whose loops record what they were told. */
function terms() {
  const loops: { windows: number[]; stopped: boolean; signal: AbortSignal }[] = [];
  const logs: Record<string, unknown>[] = [];
  const t = createValidatorTerms({
    hotkey: 'v',
    log: createLogger({
      service: 'test',
      write: (line) => void logs.push(JSON.parse(line) as Record<string, unknown>),
    }),
    newLoop: (signal) => {
      const loop = { windows: [] as number[], stopped: false, signal };
      loops.push(loop);
      return {
        window: (w) => void loop.windows.push(w),
        stop: () => {
          loop.stopped = true;
        },
      };
    },
  });
  return { t, loops, logs };
}

test('a term that begins mid-window starts with that window (the feed does not repeat it)', () => {
  const { t, loops, logs } = terms();
  t.window(41); // a follower sees the window begin
  t.lead(true); // and takes over in it
  assert.deepEqual(loops[0]!.windows, [41], 'watching 41 now, so 41 is scored when 42 begins');
  t.window(42);
  assert.deepEqual(loops[0]!.windows, [41, 42]);
  assert.equal(logs.find((r) => r.event === 'validator_loop_started')?.chainWindow, 41);
  t.lead(true); // a repeated election event starts nothing new
  assert.equal(loops.length, 1);
});

test('losing the lead aborts the term and stops its loop; the next term starts afresh', () => {
  const { t, loops } = terms();
  t.lead(true);
  assert.deepEqual(loops[0]!.windows, [], 'no window seen yet: nothing to hand over');
  t.window(7);
  t.lead(false);
  assert.ok(loops[0]!.signal.aborted, 'the deposed loop publishes nothing more');
  assert.ok(loops[0]!.stopped);
  t.window(8); // followers keep following the chain
  assert.deepEqual(loops[0]!.windows, [7]);
  t.lead(true);
  assert.deepEqual(loops[1]!.windows, [8]);
  assert.equal(loops[1]!.signal.aborted, false);
  t.stop();
  assert.ok(loops[1]!.signal.aborted && loops[1]!.stopped);
});
