/**
 * `cohort explain <window> <hotkey>`: fetch a validator's explanation record for a miner's score
 * (`scores/<w>/<hotkey>.json` from the run's checkpoint-store, or `--file` a saved copy), re-run the
 * scoring on the record's own inputs and say whether the published score follows from them. A score
 * that does not follow fails the command (SCORE_MISMATCH), so scripts can alert on it.
 */
import { CohortError, Code, parseScoreRecord, recheckScoreRecord, scoreKey } from '@cohort/core';
import type { ScoreRecord } from '@cohort/core';
import { StoreClient } from '@cohort/kit';
import { parseFlags, stringFlag } from './parse-flags.js';
import { readInputFile } from './read-input.js';

/** Usage of `cohort explain`. */
export const explainUsage =
  'usage: cohort explain <window> <hotkey> [--store host:port] [--run <run>] | cohort explain --file <record.json>';

async function readRecord(window: number, hotkey: string, store: string, run: string): Promise<Uint8Array> {
  const client = new StoreClient(store);
  try {
    const key = scoreKey(run, window, hotkey);
    const object = await client.get(key);
    if (object === undefined) {
      throw new CohortError(Code.NotFound, `no explanation record at ${key}`, { reason: 'RECORD_MISSING' });
    }
    return object.bytes;
  } finally {
    client.close();
  }
}

const fmt = (x: number): string => (Number.isInteger(x) ? String(x) : x.toPrecision(6));

function describe(record: ScoreRecord): string[] {
  const e = record.explanation;
  const v = e.verdict;
  const lines = [
    `run ${record.runId}, window ${record.window}, miner ${e.hotkey}, scored by ${record.validator}`,
    v.kind === 'scored'
      ? `losses: assigned ${fmt(v.losses.assignedBefore)} → ${fmt(v.losses.assignedAfter)}, control ${fmt(v.losses.randomBefore)} → ${fmt(v.losses.randomAfter)}`
      : `fault: ${v.reason}`,
  ];
  if (v.kind === 'scored')
    lines.push(
      record.evaluationSeed === undefined
        ? 'pages: the first assigned and the public control draw (no evaluation seed)'
        : `pages: drawn with evaluation seed ${record.evaluationSeed} (core evaluationPages; secret until this record)`,
    );
  if (v.kind === 'scored' && v.clipFactor !== undefined)
    lines.push(
      v.clipFactor < 1
        ? `measured clipped to the window's median norms: a tensor scaled by ×${fmt(v.clipFactor)}`
        : `measured unclipped (no tensor above the window's median norm)`,
    );
  if (e.gradientScore !== null)
    lines.push(`gradient score ${fmt(e.gradientScore)}, binary indicator ${e.binaryIndicator}`);
  lines.push(
    `rating μ ${fmt(e.before.mu)} → ${fmt(e.after.mu)}, σ ${fmt(e.before.sigma)} → ${fmt(e.after.sigma)} (match of ${record.match.length})`,
    `binary EMA ${fmt(e.before.binaryEma)} → ${fmt(e.after.binaryEma)}; final score ${fmt(e.before.finalScore)} → ${fmt(e.after.finalScore)}`,
  );
  for (const p of e.penalties)
    lines.push(
      `penalty ${p.reason} ×${p.factor}${p.reason === 'COPIER' && e.copied ? ` (copied ${e.copied})` : ''}`,
    );
  return lines;
}

/** Run `cohort explain <args>`. */
export async function explainCommand(args: readonly string[]): Promise<string> {
  const flags = parseFlags(
    args,
    { store: { type: 'string' }, run: { type: 'string' }, file: { type: 'string' } },
    2,
    explainUsage,
  );
  const file = stringFlag(flags, 'file');
  let bytes: Uint8Array;
  if (file !== undefined) {
    bytes = await readInputFile(file, '--file');
  } else {
    const [windowText, hotkey] = flags.positionals;
    const window = windowText === undefined ? undefined : Number(windowText);
    if (window === undefined || !Number.isSafeInteger(window) || window < 0 || hotkey === undefined) {
      throw new CohortError(Code.InvalidArgument, `a window and a hotkey are required\n\n${explainUsage}`, {
        reason: 'MISSING_ARGUMENT',
      });
    }
    bytes = await readRecord(
      window,
      hotkey,
      stringFlag(flags, 'store') ?? '127.0.0.1:50053',
      stringFlag(flags, 'run') ?? 'devnet',
    );
  }
  const record = parseScoreRecord(bytes);
  const check = recheckScoreRecord(record);
  const lines = [...describe(record), check.detail];
  if (!check.matches) {
    throw new CohortError(
      Code.FailedPrecondition,
      `${lines.join('\n')}\nrecomputed: ${JSON.stringify(check.recomputed)}`,
      {
        reason: 'SCORE_MISMATCH',
      },
    );
  }
  return lines.join('\n');
}
