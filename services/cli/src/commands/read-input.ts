/**
 * Reading a file the user named on the command line. A file that cannot be read is the user's to fix,
 * so it is an InvalidArgument CohortError (INPUT_UNREADABLE, exit 2) naming the flag and the path, not a
 * bare errno that exits 1 with no reason.
 */
import { readFile } from 'node:fs/promises';
import { CohortError, Code } from '@cohort/core';

const why: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a parent is not a directory',
};

/** The bytes of `path`, given as `flag` (e.g. `--file`); INPUT_UNREADABLE when it cannot be read. */
export async function readInputFile(path: string, flag: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const errno = (err as NodeJS.ErrnoException).code;
    const reason = (errno === undefined ? undefined : why[errno]) ?? CohortError.from(err).message;
    throw new CohortError(Code.InvalidArgument, `cannot read ${flag} ${path}: ${reason}`, {
      reason: 'INPUT_UNREADABLE',
      cause: err,
      details: { flag, file: path, ...(errno === undefined ? {} : { errno }) },
    });
  }
}
