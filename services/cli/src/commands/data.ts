/** `cohort data <prepare|inspect|publish>`: the training data pipeline's commands (docs/data.md). */
import { CohortError, Code } from '@cohort/core';
import type { CliIo } from '../cli-io.js';
import { dataInspect, inspectUsage } from './data-inspect.js';
import { dataPrepare, prepareUsage } from './data-prepare.js';
import { dataPublish, publishUsage } from './data-publish.js';

/** Usage of `cohort data`. */
export const dataUsage = `${prepareUsage}\n\n${inspectUsage}\n\n${publishUsage}`;

/** Run `cohort data <args>`. */
export async function dataCommand(args: readonly string[], io: CliIo): Promise<string> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') return dataUsage;
  if (sub === 'prepare') return dataPrepare(rest, io);
  if (sub === 'inspect') return dataInspect(rest);
  if (sub === 'publish') return dataPublish(rest, io);
  throw new CohortError(Code.InvalidArgument, `unknown data command ${JSON.stringify(sub)}\n\n${dataUsage}`, {
    reason: 'UNKNOWN_COMMAND',
  });
}
