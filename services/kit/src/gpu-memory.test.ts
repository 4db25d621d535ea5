import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { registerGpuMemoryMetric } from './gpu-memory.js';
import type { GpuMemory } from './gpu-memory.js';

const series = async (r: Registry): Promise<Record<string, number>> => {
  const metric = (await r.getMetricsAsJSON()).find((m) => m.name === 'cohort_gpu_memory_bytes');
  return Object.fromEntries((metric?.values ?? []).map((v) => [String(v.labels.state), v.value]));
};

// The probe is a stand-in for @cohort/native's cudaMemory: this machine has no GPU to read (the native
// build-info test checks the real probe's null there).
test('each scrape reads the probe: used = total − free; no device or a failing probe, no series', async () => {
  const r = new Registry();
  let next: GpuMemory | null | Error = { freeBytes: 30e9, totalBytes: 80e9 };
  registerGpuMemoryMetric(r, () => {
    if (next instanceof Error) throw next;
    return next;
  });
  assert.deepEqual(await series(r), { used: 50e9, total: 80e9 });
  next = { freeBytes: 1e9, totalBytes: 80e9 };
  assert.deepEqual(await series(r), { used: 79e9, total: 80e9 }, 'read again at the next scrape');
  next = null;
  assert.deepEqual(await series(r), {});
  next = new Error('driver gone');
  assert.deepEqual(await series(r), {});
  assert.match(await r.metrics(), /# TYPE cohort_gpu_memory_bytes gauge/);
});
