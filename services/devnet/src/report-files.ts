/**
 * Writes a {@link DevnetReport} as a directory: `report.md` for people, `report.json` for tools and the
 * end-to-end test, and PNG plots (loss, scores, bytes per window) rendered headlessly. The directory is
 * built beside the target and renamed into place, so a reader never sees half a report and a previous
 * run's report is replaced whole.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { DEVNET_DISPLAY_NAMES } from './devnet-options.js';
import type { DevnetReport } from './devnet-report.js';
import { formatBytes } from './live-view.js';
import { barChartSvg, lineChartSvg, renderPng } from './plot/index.js';

/** Plot files of a report, relative to its directory. */
export const PLOTS = { loss: 'loss.png', scores: 'scores.png', bytes: 'bytes.png' } as const;

const f3 = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : v.toFixed(3));
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** The markdown of the report. */
export function reportMarkdown(r: DevnetReport): string {
  const o = r.options;
  const heldout = r.heldout.filter((h) => h.loss !== null);
  const heldoutOf = new Map(r.heldout.map((h) => [h.window, h.loss]));
  const nameOf = new Map(r.participants.map((p) => [p.hotkey, p.name]));
  const lines: string[] = [
    `# cohort devnet report`,
    '',
    `Status: **${r.status}**${r.error === undefined ? '' : ` (${r.error})`}. Started ${r.startedAt}.`,
    '',
    '## What ran',
    `- A local subtensor chain (the real runtime under chopsticks), a nats-server and a chain-bridge per operator,`,
    `  one checkpoint-store as the run's bucket (${o.s3 === undefined ? 'filesystem' : o.s3 === 'local' ? 'S3 on a local RADOS Gateway' : `S3 at ${o.s3}`}), every service a process over gRPC/NATS on loopback.`,
    `- ${o.miners} honest miner${o.miners === 1 ? '' : 's'} (gpu-worker + coordinator each), ${o.adversaries.length} adversarial miner${o.adversaries.length === 1 ? '' : 's'} ` +
      `(${o.adversaries.map((n) => DEVNET_DISPLAY_NAMES[n] ?? n).join(', ') || 'none'}), one validator with ${o.evaluators} evaluators, one aggregator with its compressor (which parses and aggregates the selected payloads).`,
    `- Model preset \`${r.model.preset}\`${r.model.parameters === undefined ? '' : ` (${(r.model.parameters / 1e6).toFixed(2)} M parameters)`}, trained on the Brown corpus` +
      (o.localDataset
        ? ' (read from its local directory);'
        : " (published to the run's store; every worker and evaluator reads it by range into its own cache);"),
    `  ${o.windows} windows of ${o.blocksPerWindow} blocks × ${o.blockMs} ms; checkpoints every ${o.checkpointEvery} windows` +
      (o.fusedOps ? '; the engine ran its fused ops (ADR 0019).' : '.'),
    `- Machine: ${r.machine.cores} cores; mean CPU use of the network ${r.machine.meanCpu === undefined ? '–' : `${(r.machine.meanCpu * 100).toFixed(0)}%`}.`,
    '',
    '## Outcome',
    heldout.length >= 2
      ? `- Held-out loss went from ${f3(heldout[0]!.loss)} (θ_${heldout[0]!.window}) to ${f3(heldout.at(-1)!.loss)} (θ_${heldout.at(-1)!.window}).`
      : '- Held-out loss: not enough windows measured.',
    `- Wire: an honest update is ${r.wire.meanHonestUpdateBytes === undefined ? '–' : formatBytes(r.wire.meanHonestUpdateBytes)}` +
      ` against ${r.wire.denseBytes === undefined ? '–' : formatBytes(r.wire.denseBytes)} dense fp32` +
      ` (ratio ${r.wire.ratio === undefined ? '–' : `${r.wire.ratio.toFixed(0)}×`}); an aggregate is` +
      ` ${r.wire.meanAggregateBytes === undefined ? '–' : formatBytes(r.wire.meanAggregateBytes)}; ${formatBytes(r.wire.totalBytes)} published in all.`,
    `- Timings: startup ${secs(r.timings.startupMs)}, windows ${secs(r.timings.runMs)}, total ${secs(r.timings.totalMs)} (a window is ${secs(r.timings.windowMs)}).`,
    '',
    `![held-out loss per window](${PLOTS.loss})`,
    `![scores per miner](${PLOTS.scores})`,
    `![bytes per window](${PLOTS.bytes})`,
    '',
    '## Per window',
    '| window | held-out loss θ_w | train loss | updates | update bytes | aggregate bytes | contributors | penalties |',
    '|---:|---:|---:|---:|---:|---:|---|---|',
    ...r.rows.map((row) => {
      const pen = Object.entries(row.penalties)
        .filter(([h]) => nameOf.has(h))
        .map(([h, rs]) => `${nameOf.get(h) ?? h.slice(0, 8)}: ${rs.join(', ')}`)
        .join('; ');
      return (
        `| ${row.window} | ${f3(heldoutOf.get(row.window))} | ${f3(row.trainLoss)} | ${row.updates} | ` +
        `${formatBytes(row.updateBytes)} | ${row.aggregateBytes === undefined ? '–' : formatBytes(row.aggregateBytes)} | ` +
        `${row.contributors.map((h) => nameOf.get(h) ?? h.slice(0, 8)).join(', ')} | ${pen} |`
      );
    }),
    '',
    '## Who was penalised, and why',
    ...(r.verdicts.length === 0
      ? ['No adversaries in this run.']
      : [
          '| miner | must be called | acted in | caught in | reasons given | in the aggregate |',
          '|---|---|---:|---:|---|---|',
          ...r.verdicts.map(
            (v) =>
              `| ${v.name} | ${v.expected} | ${v.actedIn ?? '–'} | ${v.caughtIn ?? 'never'} | ` +
              `${v.reasons.join(', ') || '–'} | ${v.aggregatedIn.length === 0 ? 'never' : v.aggregatedIn.join(', ')} |`,
          ),
        ]),
    '',
    '## Final weights on chain',
    "The validator's last `set_weights`, normalised over the miners.",
    '',
    '| miner | kind | uid | weight |',
    '|---|---|---:|---:|',
    ...r.weights.map((w) => `| ${w.name} | ${w.kind} | ${w.uid ?? '–'} | ${w.weight.toFixed(4)} |`),
    '',
    '## The model',
    r.checkpoint === undefined
      ? 'No checkpoint was exported.'
      : `The final model, θ_${r.checkpoint.window} (after the last window's aggregate), in Hugging Face layout, is in \`${r.checkpoint.dir}/\` ` +
        '(`LlamaForCausalLM` + the GPT-2 tokenizer; `python3 scripts/check-hf-export.py <dir>` loads it with transformers).',
    '',
  ];
  return lines.join('\n');
}

/** The three plots as PNG bytes. */
export async function reportPlots(r: DevnetReport): Promise<Record<keyof typeof PLOTS, Buffer>> {
  const windows = r.rows.map((row) => row.window);
  const loss = lineChartSvg({
    title: 'Loss per window',
    xLabel: 'window',
    yLabel: 'loss (nats/token)',
    series: [
      { name: 'held-out, θ_w', points: r.heldout.map((h) => ({ x: h.window, y: h.loss ?? Number.NaN })) },
      {
        name: 'train (honest mean)',
        points: r.rows.map((row) => ({ x: row.window, y: row.trainLoss ?? Number.NaN })),
        dashed: true,
      },
    ],
  });
  const scores = lineChartSvg({
    title: 'Final score per miner',
    xLabel: 'window',
    yLabel: 'final score',
    series: r.participants.map((p) => ({
      name: p.kind === 'honest' ? p.name : `${p.name} (adversary)`,
      points: r.rows
        .filter((row) => row.scored)
        .map((row) => ({ x: row.window, y: row.scores[p.hotkey] ?? Number.NaN })),
      dashed: p.kind !== 'honest',
    })),
  });
  const bytes = barChartSvg({
    title: 'Bytes published per window',
    xLabel: 'window',
    yLabel: 'bytes',
    categories: windows,
    series: [
      { name: 'updates (all miners)', values: r.rows.map((row) => row.updateBytes) },
      { name: 'aggregate', values: r.rows.map((row) => row.aggregateBytes ?? Number.NaN) },
    ],
  });
  const [a, b, c] = await Promise.all([renderPng(loss), renderPng(scores), renderPng(bytes)]);
  return { loss: a, scores: b, bytes: c };
}

/**
 * Write the report to `dir` (replacing it); `extra` moves already-built subdirectories (the exported
 * checkpoint) in with it. Returns the absolute directory.
 */
export async function writeReport(
  dir: string,
  r: DevnetReport,
  extra: Readonly<Record<string, string>> = {},
): Promise<string> {
  const target = resolve(dir);
  const staging = join(dirname(target), `.${basename(target)}.tmp-${randomBytes(4).toString('hex')}`);
  await mkdir(staging, { recursive: true });
  try {
    await writeFile(join(staging, 'report.md'), reportMarkdown(r));
    await writeFile(join(staging, 'report.json'), `${JSON.stringify(r, null, 2)}\n`);
    const plots = await reportPlots(r);
    for (const [k, file] of Object.entries(PLOTS))
      await writeFile(join(staging, file), plots[k as keyof typeof PLOTS]);
    for (const [name, from] of Object.entries(extra)) await rename(from, join(staging, name));
    await rm(target, { recursive: true, force: true });
    await rename(staging, target);
    return target;
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}
