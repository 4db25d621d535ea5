/**
 * YAML parsing for the deploy checks. @cohort/test does not declare a YAML parser, so `yaml` is loaded the
 * way @cohort/kit (which declares it, for config files) resolves it: from kit's own dependencies.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { repoRoot } from './repo-root.js';

interface YamlModule {
  parse(source: string): unknown;
}

const yaml = createRequire(join(repoRoot, 'services', 'kit', 'package.json'))('yaml') as YamlModule;

/** Parse one YAML document; throws on a syntax error. */
export function parseYaml(source: string): unknown {
  return yaml.parse(source);
}
