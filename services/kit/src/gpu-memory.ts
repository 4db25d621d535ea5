/**
 * `cohort_gpu_memory_bytes{state="used"|"total"}`: the memory of the GPU a service's replica lives on, as
 * the driver reports it, read at every scrape. The gpu-worker and the evaluator always declare it (series
 * appear only when their engine runs on CUDA), so the miner dashboard's "GPU memory" shows how close training or scoring runs to an
 * out-of-memory failure (torch's cached blocks count as used: what is left for a larger batch is `total − used`).
 */
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

/** A device's memory now; what @cohort/native's `cudaMemory` returns. */
export interface GpuMemory {
  readonly freeBytes: number;
  readonly totalBytes: number;
}

/**
 * Registers the gauge on `registry`; `probe` is read at each scrape (null: no device, the series disappear;
 * a throwing probe is treated as null, so a failing driver query never fails the whole scrape).
 */
export function registerGpuMemoryMetric(registry: Registry, probe: () => GpuMemory | null): void {
  new Gauge({
    name: 'cohort_gpu_memory_bytes',
    help: "Memory of the GPU this service's replica lives on, by state (used, total), as the driver reports it",
    labelNames: ['state'],
    registers: [registry],
    collect() {
      let memory: GpuMemory | null;
      try {
        memory = probe();
      } catch {
        memory = null;
      }
      this.reset();
      if (memory === null) return;
      this.set({ state: 'used' }, memory.totalBytes - memory.freeBytes);
      this.set({ state: 'total' }, memory.totalBytes);
    },
  });
}
