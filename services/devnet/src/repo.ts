/** Paths inside the repository checkout, resolved from this file (services/devnet/dist/repo.js). */
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

/** The repository root. */
export const repoRoot = resolve(fileURLToPath(import.meta.url), '../../../..');

/** The built entry point of a service binary. */
export function serviceEntry(service: string): string {
  return resolve(repoRoot, 'services', service, 'dist', 'main.js');
}
