import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bar, createLiveView, formatBytes, renderLive } from './live-view.js';
import type { LiveMiner, LiveState, ViewSink } from './live-view.js';

const miner = (name: string, over: Partial<LiveMiner> = {}): LiveMiner => ({
  name,
  kind: 'honest',
  phase: 'training',
  loss: 4.25,
  score: 0.5,
  weight: 0.25,
  penalties: [],
  ...over,
});

const state = (over: Partial<LiveState> = {}): LiveState => ({
  window: 7,
  index: 2,
  totalWindows: 10,
  windowProgress: 0.5,
  phase: 'training',
  miners: [
    miner('miner-1'),
    miner('flipped', {
      kind: 'flipped',
      loss: undefined,
      score: 0,
      weight: undefined,
      penalties: ['HARMFUL', 'LOW_SCORE'],
    }),
  ],
  wireBytes: 1_500_000,
  cpu: 0.42,
  elapsedMs: 125_000,
  ...over,
});

/** A sink that records what is written. */
function fakeSink(isTTY: boolean, columns?: number): ViewSink & { out: string[] } {
  const out: string[] = [];
  return {
    out,
    isTTY,
    ...(columns === undefined ? {} : { columns }),
    write: (text: string) => out.push(text),
  };
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[/;

test('formatBytes: 1000-based units, no decimals for bytes', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(999), '999 B');
  assert.equal(formatBytes(1000), '1.0 kB');
  assert.equal(formatBytes(1_500_000), '1.5 MB');
  assert.equal(formatBytes(2.25e9), '2.3 GB');
  assert.equal(formatBytes(3e12), '3.0 TB');
  assert.equal(formatBytes(5e15), '5000.0 TB'); // no unit past TB
  assert.equal(formatBytes(-1500), '-1.5 kB');
});

test('bar: proportional, clamped to [0, 1], NaN as empty', () => {
  assert.equal(bar(0.5, 10), '[#####.....]');
  assert.equal(bar(0, 4), '[....]');
  assert.equal(bar(1, 4), '[####]');
  assert.equal(bar(-0.3, 4), '[....]');
  assert.equal(bar(7, 4), '[####]');
  assert.equal(bar(Number.NaN, 4), '[....]');
  for (const f of [0, 0.1, 0.33, 0.99, 1, 2, -1, Number.NaN]) assert.equal(bar(f, 24).length, 26, String(f));
});

test('renderLive: a header, a column row and one row per miner', () => {
  const lines = renderLive(state());
  assert.equal(lines.length, 4);
  assert.match(lines[0]!, /^cohort devnet {2}window 7 \(3\/10\) \[#{12}\.{12}\] training/);
  assert.match(lines[0]!, /wire 1\.5 MB {2}cpu 42% {2}2:05$/);
  assert.match(lines[1]!, /miner.*kind.*phase.*loss.*score.*weight.*penalties/);
  assert.match(lines[2]!, /^ {2}miner-1 .* 4\.250 +0\.500 +0\.250 {2}$/);
  // Missing figures show as '-'; penalties are listed.
  assert.match(lines[3]!, /^ {2}flipped +flipped .* - +0\.000 +- {2}HARMFUL,LOW_SCORE$/);
});

test('renderLive: before the first window, and past the last, the place is bounded', () => {
  assert.match(renderLive(state({ window: undefined, index: undefined }))[0]!, /window - \[/);
  assert.match(renderLive(state({ index: 12 }))[0]!, /window 7 \(10\/10\)/);
});

test('renderLive: long lines are cut to fit the columns, short ones are kept whole', () => {
  const wide = renderLive(state(), 200);
  const narrow = renderLive(state(), 40);
  assert.ok(wide.some((l) => l.length > 40));
  assert.equal(narrow.length, wide.length);
  narrow.forEach((l, i) => {
    assert.ok(l.length < 40 || (l.length === 40 && l === wide[i]), `line ${i} is ${l.length} long`);
    assert.ok(wide[i]!.startsWith(l), 'a cut line is a prefix of the whole');
  });
});

test('not a TTY: one line per new window, news lines as given, never an escape', () => {
  const sink = fakeSink(false);
  const view = createLiveView(sink);
  view.update(state({ window: undefined, index: undefined }));
  assert.equal(sink.out.length, 0, 'nothing before the first window');
  view.update(state());
  view.update(state({ windowProgress: 0.9, phase: 'scoring' })); // same window: no line
  view.line('miner-3 registered');
  view.update(state({ window: 8, index: 3 }));
  view.close();
  assert.equal(sink.out.length, 3);
  assert.match(sink.out[0]!, /^\[2:05\] window 7 \(3\/10\) training; wire 1\.5 MB; cpu 42%; scores /);
  assert.match(sink.out[0]!, /miner-1=0\.500 flipped=0\.000\(HARMFUL,LOW_SCORE\)\n$/);
  assert.equal(sink.out[1], 'miner-3 registered\n');
  assert.match(sink.out[2]!, /^\[2:05\] window 8 \(4\/10\)/);
  for (const text of sink.out) {
    assert.doesNotMatch(text, ANSI);
    assert.equal(text.indexOf('\n'), text.length - 1, 'exactly one line per write');
  }
});

test('TTY: each update erases the previous block before drawing the next', () => {
  const sink = fakeSink(true, 80);
  const view = createLiveView(sink);
  view.update(state());
  assert.equal(sink.out.length, 1, 'nothing to erase at first');
  assert.doesNotMatch(sink.out[0]!, ANSI);
  assert.equal(sink.out[0], `${renderLive(state(), 80).join('\n')}\n`);

  const next = state({ miners: [miner('miner-1')] }); // a block of 3 lines
  view.update(next);
  assert.deepEqual(sink.out.slice(1), ['\x1b[4F\x1b[0J', `${renderLive(next, 80).join('\n')}\n`]);

  // A news line goes above the block: erase, print it, redraw the same block.
  view.line('flipped caught: HARMFUL');
  assert.deepEqual(sink.out.slice(3), [
    '\x1b[3F\x1b[0J',
    'flipped caught: HARMFUL\n',
    `${renderLive(next, 80).join('\n')}\n`,
  ]);

  // Closing writes nothing: the last block stays on screen.
  view.close();
  assert.equal(sink.out.length, 6);
});

test('TTY: a news line before any update is just printed', () => {
  const sink = fakeSink(true);
  createLiveView(sink).line('starting');
  assert.deepEqual(sink.out, ['starting\n']);
});

test('TTY without a width draws at 100 columns', () => {
  const sink = fakeSink(true);
  const s = state({ miners: [miner('m'.repeat(150))] });
  createLiveView(sink).update(s);
  assert.equal(sink.out[0], `${renderLive(s, 100).join('\n')}\n`);
  assert.ok(sink.out[0].split('\n').every((l) => l.length <= 100));
});
