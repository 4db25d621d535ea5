import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { configUsage } from './commands/config-reference.js';
import { inspectUsage } from './commands/data-inspect.js';
import { prepareUsage } from './commands/data-prepare.js';
import { publishUsage } from './commands/data-publish.js';
import { devnetUsage } from './commands/devnet.js';
import { explainUsage } from './commands/explain.js';
import { exportUsage } from './commands/export.js';
import { preflightUsage } from './commands/preflight.js';
import { verifyAggregateUsage } from './commands/verify-aggregate.js';
import { runCli, versionUsage } from './run-cli.js';

const main = resolve(fileURLToPath(import.meta.url), '../main.js');

/** Every subcommand and its usage text. */
const commands: readonly (readonly [readonly string[], string])[] = [
  [['version'], versionUsage],
  [['config'], configUsage],
  [['data', 'prepare'], prepareUsage],
  [['data', 'inspect'], inspectUsage],
  [['data', 'publish'], publishUsage],
  [['devnet'], devnetUsage],
  [['explain'], explainUsage],
  [['preflight'], preflightUsage],
  [['verify-aggregate'], verifyAggregateUsage],
  [['export'], exportUsage],
];

for (const [command, usage] of commands) {
  const name = `cohort ${command.join(' ')}`;
  describe(`${name} --help`, () => {
    test('the binary prints the usage on stdout and exits 0', () => {
      assert.match(usage, new RegExp(`^usage: ${name}`));
      const res = spawnSync(process.execPath, [main, ...command, '--help'], { encoding: 'utf8' });
      assert.equal(res.stderr, '');
      assert.equal(res.status, 0);
      assert.equal(res.stdout, `${usage}\n`);
    });

    test('-h too, and help wins over other arguments, even wrong ones', async () => {
      assert.equal(await runCli([...command, '-h']), usage);
      assert.equal(await runCli([...command, '--no-such-flag', 'stray', '--help']), usage);
    });
  });
}
