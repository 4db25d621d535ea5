/**
 * `cohort verify-aggregate <window>`: audit the run's aggregator for one window. Fetch `aggregates/<w>`,
 * run the checks every replica runs (the signer; with `--validator`, its selection `selections/<w>`),
 * download every payload the aggregate names and re-derive it (@cohort/replica's verifyAggregate): the
 * published object must be bit for bit the one its payloads give. A mismatch fails the command with the
 * rule broken as its reason (AGGREGATOR_UNTRUSTED, CONTRIBUTOR_NOT_SELECTED, PAYLOAD_MISMATCH,
 * DERIVATION_MISMATCH…), so a cron job or an operator's alerting can act on it.
 */
import { CohortError, Code, decodeSs58 } from '@cohort/core';
import type { AggregateTrust, Selection } from '@cohort/core';
import { StoreClient, fetchSelection } from '@cohort/kit';
import { verifyAggregate } from '@cohort/replica';

import { parseFlags, stringFlag } from './parse-flags.js';

/** Usage of `cohort verify-aggregate`. */
export const verifyAggregateUsage =
  'usage: cohort verify-aggregate <window> [--store host:port] [--run <run>] [--aggregator <ss58>] [--validator <ss58>]';

function address(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  try {
    decodeSs58(value);
  } catch {
    throw new CohortError(Code.InvalidArgument, `--${flag} must be an SS58 address`, {
      reason: 'INVALID_FLAG_VALUE',
      details: { flag },
    });
  }
  return value;
}

/** Run `cohort verify-aggregate <args>`. */
export async function verifyAggregateCommand(args: readonly string[]): Promise<string> {
  const flags = parseFlags(
    args,
    {
      store: { type: 'string' },
      run: { type: 'string' },
      aggregator: { type: 'string' },
      validator: { type: 'string' },
    },
    1,
    verifyAggregateUsage,
  );
  const [windowText] = flags.positionals;
  const window = windowText !== undefined && /^\d+$/.test(windowText) ? Number(windowText) : undefined;
  if (window === undefined || !Number.isSafeInteger(window)) {
    throw new CohortError(Code.InvalidArgument, `a window is required\n\n${verifyAggregateUsage}`, {
      reason: 'MISSING_ARGUMENT',
    });
  }
  const runId = stringFlag(flags, 'run') ?? 'devnet';
  const aggregator = address(stringFlag(flags, 'aggregator'), 'aggregator');
  const validator = address(stringFlag(flags, 'validator'), 'validator');
  const trust: AggregateTrust = {
    ...(aggregator === undefined ? {} : { aggregator }),
    ...(validator === undefined ? {} : { selectionValidator: validator }),
  };
  const store = new StoreClient(stringFlag(flags, 'store') ?? '127.0.0.1:50053');
  try {
    let selection: Selection | undefined;
    if (validator !== undefined) {
      selection = await fetchSelection(store, runId, window);
      if (selection === undefined) {
        throw new CohortError(Code.NotFound, `${validator} published no selection for window ${window}`, {
          reason: 'SELECTION_MISSING',
        });
      }
    }
    const outcome = await verifyAggregate({ runId, store }, window, {
      trust,
      ...(selection === undefined ? {} : { selection }),
    });
    const lines = [
      `run ${runId}, window ${window}: aggregate of ${outcome.aggregateBytes} bytes signed by ${outcome.aggregator || '(unreadable)'}`,
      `${outcome.contributors} contributors, ${outcome.payloadBytes} payload bytes downloaded (${outcome.contributors > 0 && outcome.payloadBytes > 0 ? (outcome.payloadBytes / outcome.aggregateBytes).toFixed(2) : '-'}× the aggregate)`,
      selection === undefined
        ? 'selection: not checked (no --validator)'
        : `selection: ${validator}'s, checked`,
      outcome.matches ? `OK: ${outcome.detail}` : `MISMATCH ${outcome.reason}: ${outcome.detail}`,
    ];
    if (!outcome.matches) {
      throw new CohortError(Code.FailedPrecondition, lines.join('\n'), { reason: outcome.reason });
    }
    return lines.join('\n');
  } finally {
    store.close();
  }
}
