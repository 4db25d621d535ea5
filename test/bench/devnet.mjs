// `make devnet` as a benchmark (issue 10): runs `cohort devnet` (the CLI binary, the whole network on this
// machine) and records its report's figures: wall time, startup and window timings, held-out loss from the
// first window's θ to the last, who was caught and when, the weights on chain, and the wire sizes.
// Writes test/bench/results/devnet.json.
//   pnpm bench devnet [--quick] [--from-report <report.json>]
//     full:  the defaults of `make devnet` (4 honest miners, copier + poisoner, 10 windows)
//     quick: 2 honest miners, copier + poisoner, 3 windows
//     --from-report: summarise the report.json an earlier `cohort devnet` wrote, instead of running one
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const from = args.includes('--from-report') ? args[args.indexOf('--from-report') + 1] : undefined;
const out = resolve(root, 'test/bench/results/devnet.json');

let reportPath = from;
let wallSeconds;
let work;
const cliArgs = quick ? ['--miners', '2', '--windows', '3'] : [];
if (reportPath === undefined) {
  work = mkdtempSync(join(tmpdir(), 'cohort-bench-devnet-'));
  const t0 = Date.now();
  const run = spawnSync(
    process.execPath,
    [resolve(root, 'services/cli/dist/main.js'), 'devnet', ...cliArgs, '--out', join(work, 'report')],
    { stdio: 'inherit', cwd: work },
  );
  wallSeconds = (Date.now() - t0) / 1000;
  if (run.status !== 0) {
    console.error(`bench devnet: cohort devnet exited ${run.status}`);
    process.exit(1);
  }
  reportPath = join(work, 'report', 'report.json');
}
const report = JSON.parse(readFileSync(reportPath, 'utf8'));
const heldout = report.heldout.filter((h) => h.loss !== null);
const result = {
  bench: 'devnet',
  quick,
  date: new Date().toISOString(),
  source: from === undefined ? 'ran `cohort devnet`' : `report of an earlier run (${report.startedAt})`,
  // The machine that ran it: this one, or (from a report) the cores the report recorded.
  machine:
    from === undefined
      ? { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg() }
      : { cpus: report.machine.cores },
  options: { ...report.options, out: undefined },
  status: report.status,
  summary: {
    wallSeconds: wallSeconds ?? report.timings.totalMs / 1000,
    startupSeconds: report.timings.startupMs / 1000,
    windowsSeconds: report.timings.runMs / 1000,
    heldoutFirst: heldout[0],
    heldoutLast: heldout.at(-1),
    heldoutDropPercent: heldout.length < 2 ? null : (1 - heldout.at(-1).loss / heldout[0].loss) * 100,
    meanCpu: report.machine.meanCpu,
  },
  verdicts: report.verdicts,
  weights: report.weights,
  wire: report.wire,
  parameters: report.model.parameters,
};
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
if (work !== undefined) rmSync(work, { recursive: true, force: true });
console.log(
  `bench devnet: ${report.rows.length} windows, wall ${result.summary.wallSeconds.toFixed(0)} s, held-out ` +
    `${heldout[0]?.loss.toFixed(3)} → ${heldout.at(-1)?.loss.toFixed(3)}, caught ${report.verdicts
      .map((v) => `${v.name}@${v.caughtIn ?? 'never'}`)
      .join(' ')}; ${out}`,
);
