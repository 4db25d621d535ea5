import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PRESET_NAMES, parameterCount, presetSizes } from './preset-sizes.js';

test('parameter counts match the engine’s preset table (docs/engine.md)', () => {
  assert.deepEqual(
    PRESET_NAMES.map((p) => parameterCount(p)),
    [7_226_496, 205_677_568, 1_176_832_000, 7_391_678_464, 68_864_450_560],
  );
});

test('sizes follow from the parameter count: fp32 checkpoint, 0.16 bits per parameter update', () => {
  const s = presetSizes('150M');
  assert.equal(s.checkpointBytes, 4 * 205_677_568);
  assert.equal(s.updateBytes, Math.ceil((205_677_568 * 0.16) / 8));
  assert.ok(s.aggregateBytes > 240e6 && s.aggregateBytes < 250e6, 'the bench’s 244 MB aggregate');
  assert.ok(s.trainGpuBytes > s.evalGpuBytes);
});
