/**
 * docs/configuration.md: the operator-facing reference of every service's configuration, generated from
 * the same specs the binaries load (so it cannot drift; a test compares the committed file).
 */
import { configReference } from './config-reference.js';

const header = `# Configuration reference

Generated from the services' config specs by \`node scripts/gen-config-doc.mjs\`; do not edit by hand (a test
fails when this file is stale). Precedence: flags > environment > \`--config\` file (JSON or YAML, camelCase
keys; \`COHORT_CONFIG_FILE\`) > defaults. Every key has an env twin (\`grpcPort\` → \`COHORT_GRPC_PORT\`) and a
flag twin (\`--grpc-port\`). Secrets are read from \`COHORT_X\` or from the file named by \`COHORT_X_FILE\`, and are
never logged. A bad value stops the binary with exit code 2 and one line naming the key and the expected form.
`;

/** The full text of docs/configuration.md. */
export function configDoc(): string {
  return `${header}\n${configReference([])}\n`;
}
