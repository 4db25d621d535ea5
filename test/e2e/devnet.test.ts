/**
 * `cohort devnet` end to end, as a user runs it (the CLI binary, not a library call): a shorter devnet
 * (2 honest miners, the default copier and poisoner, 5 windows) on the real chain, NATS and store, every
 * service a process. Asserted from its report: the held-out loss falls, every adversary is penalised with
 * the reason the Gauntlet owes it and never aggregated, the honest miners hold the top weights on chain,
 * the plots are real PNGs, and the final model is exported in Hugging Face layout. Then a second run
 * starts over the first one's report and leftovers, and Ctrl-C stops it with a partial report; a third
 * with --keep stays up (its services answer Prometheus) until Ctrl-C.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { DevnetReport } from '@cohort/devnet';
import { metricNamesReferenced } from '../deploy/metric-refs.js';
import { repoRoot } from '../harness/index.js';

const cli = join(repoRoot, 'services', 'cli', 'dist', 'main.js');
const work = mkdtempSync(join(tmpdir(), 'cohort-e2e-devnet-'));
after(() => rmSync(work, { recursive: true, force: true }));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run the CLI; `interruptWhen` sends SIGINT once stderr matches it (after `beforeInterrupt`). */
function cohort(
  args: readonly string[],
  interruptWhen?: RegExp,
  beforeInterrupt: (stderr: string) => Promise<void> = () => Promise.resolve(),
): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: work,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' },
    });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
      if (interruptWhen !== undefined && !sent && interruptWhen.test(stderr)) {
        sent = true;
        void beforeInterrupt(stderr).finally(() => child.kill('SIGINT'));
      }
    });
    child.once('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Processes still running in the devnet's working directory (its children inherit it). */
function leftovers(): string[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readlinkSync(`/proc/${p}/cwd`) === work;
      } catch {
        return false;
      }
    });
}

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
function pngSize(path: string): { width: number; height: number } {
  const b = readFileSync(path);
  assert.deepEqual(
    [...b.subarray(0, 8)],
    [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
    `${path} is a PNG`,
  );
  assert.equal(b.subarray(12, 16).toString('ascii'), 'IHDR');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

describe('cohort devnet, end to end', { timeout: 1_500_000 }, () => {
  const out = join(work, 'report');

  test('a short devnet trains, catches its adversaries and ranks the honest miners on top', async () => {
    // 30 s windows: on a slow two-core machine four updates a window are not all judged within 20 s, and
    // an unjudged window's selection comes too late for the aggregator (it then takes every valid update).
    const run = await cohort([
      'devnet',
      '--miners',
      '2',
      '--windows',
      '5',
      '--blocks-per-window',
      '30',
      '--out',
      out,
    ]);
    assert.equal(run.code, 0, `exit ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
    assert.match(run.stdout, /devnet completed: 5 windows/);
    // Not a TTY: quiet, line-oriented progress, one line per window.
    assert.ok(!run.stderr.includes('\x1b['), 'no terminal escapes when stderr is not a TTY');
    assert.ok((run.stderr.match(/^\[\d+:\d\d\] window \d+/gm) ?? []).length >= 4, run.stderr);

    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as DevnetReport;
    assert.equal(report.status, 'completed');
    assert.equal(report.rows.length, 5);
    // The loss falls: every measured θ after the first is below θ of the first window, and the last is lowest.
    const losses = report.heldout.map((h) => h.loss);
    assert.ok(
      losses.every((l) => l !== null && Number.isFinite(l)),
      JSON.stringify(report.heldout),
    );
    const [firstLoss, lastLoss] = [losses[0]!, losses.at(-1)!];
    assert.ok(lastLoss < firstLoss - 0.1, `held-out loss falls: ${JSON.stringify(losses)}`);
    // Each adversary is caught with the reason it is owed, and never enters an aggregate.
    assert.deepEqual(report.verdicts.map((v) => v.name).sort(), ['copier', 'poisoner']);
    for (const v of report.verdicts) {
      assert.ok(v.actedIn !== undefined, `${v.name} acted`);
      assert.ok(v.caughtIn !== undefined && v.caughtIn <= v.actedIn + 2, `${v.name} caught within 3 windows`);
      assert.ok(v.reasons.includes(v.expected), `${v.name}: ${v.reasons.join(',')} includes ${v.expected}`);
      assert.deepEqual(v.aggregatedIn, [], `${v.name} never aggregated`);
    }
    // The validator's weights on chain: every honest miner above every adversary.
    const honest = report.weights.filter((w) => w.kind === 'honest');
    const adversaries = report.weights.filter((w) => w.kind !== 'honest');
    assert.equal(honest.length, 2);
    assert.ok(
      Math.min(...honest.map((w) => w.weight)) > Math.max(...adversaries.map((w) => w.weight)),
      JSON.stringify(report.weights),
    );
    // Real plots, and the report points at them.
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    for (const png of ['loss.png', 'scores.png', 'bytes.png']) {
      assert.deepEqual(pngSize(join(out, png)), { width: 800, height: 450 });
      assert.ok(md.includes(`](${png})`), `report.md shows ${png}`);
    }
    assert.match(md, /## Who was penalised, and why/);
    // The final model in Hugging Face layout.
    assert.equal(report.checkpoint?.window, report.rows.at(-1)!.window + 1);
    for (const f of [
      'model.safetensors',
      'config.json',
      'generation_config.json',
      'vocab.json',
      'merges.txt',
    ]) {
      assert.ok(existsSync(join(out, 'checkpoint', f)), `checkpoint/${f}`);
    }
    const config = JSON.parse(readFileSync(join(out, 'checkpoint', 'config.json'), 'utf8')) as {
      architectures: string[];
    };
    assert.deepEqual(config.architectures, ['LlamaForCausalLM']);
  });

  test('a second run replaces the first report, and Ctrl-C stops it with a partial report', async () => {
    const run = await cohort(
      ['devnet', '--miners', '1', '--adversaries', 'none', '--windows', '3', '--out', out],
      /\] window \d+/,
    );
    assert.equal(run.code, 1, `exit ${run.code}\n${run.stderr}`);
    assert.match(run.stderr, /interrupted; the report of what ran is in .*\[INTERRUPTED\]/);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as DevnetReport;
    assert.equal(report.status, 'interrupted');
    assert.equal(report.options.miners, 1, 'the new run replaced the old report');
    assert.ok(!existsSync(join(out, 'checkpoint')), 'no stale checkpoint from the first run');
    assert.ok(existsSync(join(out, 'loss.png')));
    assert.deepEqual(leftovers(), [], 'no process of the devnet left running');
  });

  test('--keep leaves the network up for Prometheus until Ctrl-C, exporting every metric the dashboards use', async () => {
    let scraped = '';
    const exported = new Set<string>();
    const run = await cohort(
      ['devnet', '--miners', '1', '--adversaries', 'none', '--windows', '2', '--keep', '--out', out],
      /that is every service; Ctrl-C stops the network/,
      async (stderr) => {
        const url = /validator\/coordinator\s+(http:\S+\/metrics)/.exec(stderr)![1]!;
        scraped = await (await fetch(url)).text();
        // Every service of the network: the names it exports (# TYPE lines list a metric before its first sample).
        for (const [, target] of stderr.matchAll(/^\s+\S+\s+(http:\/\/127\.0\.0\.1:\d+\/metrics)$/gm)) {
          const text = await (await fetch(target!)).text();
          for (const [, name] of text.matchAll(/^# TYPE (\S+) /gm)) exported.add(name!);
        }
      },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /Prometheus scrape targets/);
    // The validator's coordinator answered after the report: the network was still up.
    assert.match(scraped, /^cohort_/m);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as DevnetReport;
    assert.equal(report.status, 'completed');
    assert.deepEqual(leftovers(), [], 'no process of the devnet left running');
    // The Grafana dashboards and alert rules (deploy/) query only metrics a running service exports.
    const missing = [...metricNamesReferenced()].filter(
      (name) => !exported.has(name) && !exported.has(name.replace(/_(bucket|sum|count)$/, '')),
    );
    assert.ok(exported.size > 50, `scraped ${exported.size} metric names`);
    assert.deepEqual(missing, [], `referenced by deploy/ but exported by no service of the devnet`);
  });
});
