/**
 * The repository root, for tests that read the files under deploy/ and the services' sources. Compiled to
 * test/dist/deploy/, three levels below the root.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the repository root. */
export const repoRoot = resolve(fileURLToPath(import.meta.url), '../../../..');
