/** Probes of this machine: free space and write access at the state directory, and `nvidia-smi`. */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, stat, statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { DiskObservation, GpuObservation } from './host-verdicts.js';
import { parseNvidiaSmi } from './host-verdicts.js';

/** Measure `path`, or its nearest existing ancestor when it does not exist yet. */
export async function probeDisk(path: string): Promise<DiskObservation> {
  const wanted = resolve(path);
  let measured = wanted;
  for (;;) {
    const found = await stat(measured).then(
      () => true,
      () => false,
    );
    if (found || dirname(measured) === measured) break;
    measured = dirname(measured);
  }
  const fs = await statfs(measured);
  const writable = await access(measured, constants.W_OK).then(
    () => true,
    () => false,
  );
  return {
    path: wanted,
    measuredPath: measured,
    exists: measured === wanted,
    writable,
    freeBytes: fs.bavail * fs.bsize,
  };
}

/** The GPUs `nvidia-smi` lists; `absent` when the program is not installed. */
export function probeGpus(timeoutMs: number, program = 'nvidia-smi'): Promise<GpuObservation> {
  return new Promise((resolveGpus) => {
    execFile(
      program,
      ['--query-gpu=name,memory.total,memory.used', '--format=csv,noheader,nounits'],
      { timeout: timeoutMs },
      (error, stdout, stderr) => {
        if (error !== null) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return resolveGpus({ kind: 'absent' });
          const said = `${stdout}${stderr}`.trim().split('\n')[0] ?? '';
          return resolveGpus({ kind: 'error', message: said || error.message });
        }
        try {
          resolveGpus({ kind: 'gpus', gpus: parseNvidiaSmi(stdout) });
        } catch (err) {
          resolveGpus({ kind: 'error', message: (err as Error).message });
        }
      },
    );
  });
}
