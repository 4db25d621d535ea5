/**
 * Compute utilisation of the devnet's processes: CPU time of every child (from `/proc/<pid>/stat`, Linux)
 * over wall time and cores. On a CPU-only machine this is the figure that says whether the network is
 * compute-bound; a process that is gone or a system without `/proc` counts as zero, never an error.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** Linux's USER_HZ: `/proc` counts CPU time in these ticks (100 on every mainstream kernel). */
const CLOCK_TICKS = 100;

/** CPU seconds (user + system) the process has used, or undefined when it cannot be read. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / CLOCK_TICKS : undefined;
  } catch {
    return undefined;
  }
}

/** Samples the utilisation of a changing set of processes between calls. */
export class CpuMeter {
  #last = new Map<number, number>();
  #lastAt = performance.now();
  readonly cores = availableParallelism();

  /** Share of all cores (0..1) the processes used since the previous call (first call: since creation). */
  sample(pids: readonly number[]): number {
    const now = performance.now();
    let used = 0;
    const next = new Map<number, number>();
    for (const pid of pids) {
      const s = cpuSeconds(pid);
      if (s === undefined) continue;
      next.set(pid, s);
      used += s - (this.#last.get(pid) ?? s);
    }
    const wall = (now - this.#lastAt) / 1000;
    this.#last = next;
    this.#lastAt = now;
    return wall <= 0 ? 0 : Math.min(1, Math.max(0, used / (wall * this.cores)));
  }
}
