/**
 * A devnet killed hard (SIGKILL, a closed terminal) can leave its children running. Each run records its
 * processes in a pid file; the next run stops those still alive whose command line is unchanged (a
 * recycled pid running something else is left alone), so a second run never trips over the first.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/** Where the current run records its processes. */
export const PID_FILE = join(tmpdir(), `cohort-devnet-${userInfo().uid}.pids.json`);

const cmdline = (pid: number): string | undefined => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined;
  }
};

/** Record `pids` (with their command lines) as this run's processes. */
export function recordPids(pids: readonly number[], file = PID_FILE): void {
  const entries = pids.map((pid) => ({ pid, cmd: cmdline(pid) })).filter((e) => e.cmd !== undefined);
  writeFileSync(file, JSON.stringify(entries));
}

/** Forget the record (a clean stop). */
export function clearPids(file = PID_FILE): void {
  rmSync(file, { force: true });
}

/** SIGTERM every recorded process still running the same command; returns how many. */
export function stopLeftovers(file = PID_FILE): number {
  let entries: { pid: number; cmd: string }[];
  try {
    entries = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; cmd: string }[];
  } catch {
    return 0;
  }
  let stopped = 0;
  // Valid JSON of another shape (`[null]`) is as corrupt as a torn write: skip what is not an entry.
  const valid = (Array.isArray(entries) ? entries : []).filter((e) => typeof e === 'object' && e !== null);
  for (const { pid, cmd } of valid) {
    if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid || cmdline(pid) !== cmd) continue;
    try {
      process.kill(pid, 'SIGTERM');
      stopped++;
    } catch {
      // gone meanwhile
    }
  }
  clearPids(file);
  return stopped;
}
