/**
 * `cohort devnet`: start the whole network on this machine (see `network.ts`), watch it train for the
 * requested windows with a live view, then measure the held-out loss of each window's θ, read the
 * weights on chain, export the final checkpoint and write the report. Ctrl-C (the abort signal) stops
 * every process and still writes the report of what ran; a run that stalls fails with DEVNET_STALLED
 * after writing its partial report.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CohortError, Code, runPrefix, tryParseKey } from '@cohort/core';
import type { StoreClient } from '@cohort/kit';
import { ADVERSARY_NAMES } from './adversaries/index.js';
import { CpuMeter } from './cpu-usage.js';
import { DEVNET_DISPLAY_NAMES } from './devnet-options.js';
import type { DevnetOptions } from './devnet-options.js';
import { mean, verdictsOf, weightRows, wireFigures } from './devnet-report.js';
import type { DevnetReport, Participant } from './devnet-report.js';
import { clearPids, recordPids, stopLeftovers } from './leftovers.js';
import type { LiveMiner, LiveView } from './live-view.js';
import { startNetwork } from './network.js';
import type { Network, S3Bucket } from './network.js';
import { startS3Server } from './s3-server.js';
import { writeReport } from './report-files.js';
import { windowRows } from './window-stats.js';
import type { Rec, UpdateObject, WindowRow } from './window-stats.js';

/** The run id of every devnet. */
export const DEVNET_RUN_ID = 'devnet';

const seedOf = (b: number): string => b.toString(16).padStart(2, '0').repeat(32);

/** What the caller adds: the Hugging Face export is the CLI's (`cohort export`). */
export interface DevnetHooks {
  /**
   * Export the final model into `out` (not existing yet): `writeModel(dir)` writes the engine's
   * model.safetensors and config.json of θ after the last window into a scratch directory.
   */
  exportModel?(writeModel: (dir: string) => Promise<void>, out: string): Promise<void>;
}

/** How {@link runDevnet} ended. */
export interface DevnetOutcome {
  readonly report: DevnetReport;
  /** The report directory (absolute). */
  readonly dir: string;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((r) => {
    const onAbort = (): void => {
      clearTimeout(t);
      r();
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      r();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

async function listUpdates(store: StoreClient): Promise<UpdateObject[]> {
  const out: UpdateObject[] = [];
  for (const info of await store.list(`${runPrefix(DEVNET_RUN_ID)}updates/`)) {
    const key = tryParseKey(info.key);
    if (key?.kind === 'update')
      out.push({ window: key.window, hotkey: key.hotkey, bytes: Number(info.sizeBytes) });
  }
  return out;
}

const PHASE_OF: Readonly<Record<string, string>> = {
  miner_loop_started: 'joining',
  checkpoint_loaded: 'training',
  resync_started: 'resyncing',
  resync_done: 'training',
  aggregate_applied: 'training',
  window_trained: 'uploading',
  update_uploaded: 'waiting',
  window_skipped: 'skipped',
  aggregate_refused: 'refused',
};

/** Run a devnet; resolves with the report when it completed or was interrupted, rejects when it failed. */
export async function runDevnet(
  o: DevnetOptions,
  io: { readonly view: LiveView; readonly signal?: AbortSignal },
  hooks: DevnetHooks = {},
): Promise<DevnetOutcome> {
  const { view, signal } = io;
  const t0 = Date.now();
  const startedAt = new Date(t0).toISOString();
  const leftovers = stopLeftovers();
  if (leftovers > 0) view.line(`stopped ${leftovers} processes left running by an earlier devnet`);
  const honestSeeds = Array.from({ length: o.miners }, (_, i) => seedOf(0x31 + i));
  const adversarySeeds = Object.fromEntries(
    o.adversaries.map((n) => [n, seedOf(0x51 + ADVERSARY_NAMES.indexOf(n))]),
  );
  view.line(
    `starting the local chain, ${o.miners + o.adversaries.length + 2} operators and their services ` +
      `(${plural(o.miners, 'honest miner')}, ${plural(o.adversaries.length, 'adversary', 'adversaries')}, ` +
      `a validator with ${plural(o.evaluators, 'evaluator')}, an aggregator)...`,
  );
  const s3 = await s3Bucket(o, view);
  let net: Network;
  try {
    net = await startNetwork({
      runId: DEVNET_RUN_ID,
      honestSeeds,
      adversarySeeds,
      validatorSeed: seedOf(0x40),
      aggregatorSeed: seedOf(0x41),
      evaluators: o.evaluators,
      blockMs: o.blockMs,
      blocksPerWindow: o.blocksPerWindow,
      preset: o.preset,
      checkpointEvery: o.checkpointEvery,
      datasetFromStore: !o.localDataset,
      fusedOps: o.fusedOps,
      ...(s3 === undefined ? {} : { s3: s3.bucket }),
    });
  } catch (e) {
    await s3?.stop();
    throw e;
  }
  const startupMs = Date.now() - t0;
  recordPids(net.pids());
  view.line(
    `network up in ${(startupMs / 1000).toFixed(1)} s; store ${net.storeAddress}, chain ${net.chain.url}`,
  );
  const tRun = Date.now();
  const participants: Participant[] = [
    ...net.honest.map((hotkey, i) => ({
      name: `honest${i + 1}`,
      kind: 'honest',
      hotkey,
      uid: net.uids.get(hotkey),
    })),
    ...net.adversaries.map((a) => ({
      name: DEVNET_DISPLAY_NAMES[a.name] ?? a.name,
      kind: 'adversary',
      hotkey: a.hotkey,
      uid: net.uids.get(a.hotkey),
      expected: a.expected,
    })),
  ];
  const meter = new CpuMeter();
  const cpuSamples: number[] = [];
  let updates: UpdateObject[] = [];
  let weights = new Map<number, number>();
  let first: number | undefined;
  let seen: number | undefined;
  let status: DevnetReport['status'] = 'completed';
  let error: string | undefined;
  const inputs = () => ({
    miners: new Map(net.miners.map((m) => [m.hotkey, m.coordinator.records as readonly Rec[]])),
    validator: net.validator.records as readonly Rec[],
    aggregator: net.aggregator.records as readonly Rec[],
    updates,
  });
  const rowsNow = (): WindowRow[] =>
    first === undefined ? [] : windowRows(inputs(), first, Math.min(first + o.windows - 1, seen ?? first));
  // The validator scores w and the aggregator publishes A_w during window w + 1; give each a window more.
  const deadline = Date.now() + (o.windows + 6) * o.blocksPerWindow * o.blockMs + 120_000;
  try {
    for (;;) {
      await sleep(1000, signal);
      if (signal?.aborted) {
        status = 'interrupted';
        break;
      }
      const cur = net.currentWindow();
      if (cur !== undefined && cur.window !== seen) {
        first ??= cur.window;
        seen = cur.window;
        updates = await listUpdates(net.store).catch(() => updates);
        weights = await net.weightsOnChain().catch(() => weights);
        recordPids(net.pids());
      }
      const cpu = meter.sample(net.pids());
      if (cur !== undefined) cpuSamples.push(cpu);
      const rows = rowsNow();
      view.update(liveState(o, net, participants, rows, weights, cur, first, cpu, Date.now() - t0));
      if (first !== undefined) {
        const last = first + o.windows - 1;
        const scored = net.validator.records.some(
          (r) => r.event === 'window_scored' && Number(r.window) === last,
        );
        const aggregated = net.aggregator.records.some(
          (r) =>
            (r.event === 'aggregate_published' || r.event === 'window_skipped') && Number(r.window) === last,
        );
        if ((scored && aggregated) || (seen ?? 0) > last + 3) break;
      }
      if (Date.now() > deadline) {
        throw new CohortError(
          Code.DeadlineExceeded,
          `the devnet did not finish ${o.windows} windows in time`,
          {
            reason: 'DEVNET_STALLED',
          },
        );
      }
    }
  } catch (e) {
    status = 'failed';
    error = CohortError.from(e).message;
  }
  const runMs = Date.now() - tRun;
  const outDir = resolve(o.out);
  const extra: Record<string, string> = {};
  let report: DevnetReport | undefined;
  try {
    updates = await listUpdates(net.store).catch(() => updates);
    weights = await net.weightsOnChain().catch(() => weights);
    const rows = rowsNow();
    const heldout: { window: number; loss: number | null }[] = [];
    let parameters: number | undefined;
    let checkpoint: DevnetReport['checkpoint'];
    if (status === 'completed' && first !== undefined) {
      view.line(`measuring the held-out loss of θ_w for windows ${first}..${first + o.windows}...`);
      for (let w = first; w <= first + o.windows && !signal?.aborted; w++) {
        const loss = await net.heldoutLoss(w, o.heldoutSamples, 30_000).catch(() => undefined);
        heldout.push({ window: w, loss: loss ?? null });
      }
      parameters = await net.parameterCount().catch(() => undefined);
      if (hooks.exportModel !== undefined && !signal?.aborted) {
        const scratch = mkdtempSync(join(dirname(outDir), '.devnet-export-'));
        const dir = join(scratch, 'checkpoint');
        const window = first + o.windows;
        try {
          await hooks.exportModel((d) => net.saveModel(window, d, 30_000), dir);
          extra.checkpoint = dir;
          checkpoint = { window, dir: 'checkpoint' };
        } catch (e) {
          view.line(`could not export the final checkpoint: ${CohortError.from(e).message}`);
        }
      }
    }
    report = {
      options: o,
      status,
      ...(error === undefined ? {} : { error }),
      startedAt,
      timings: { startupMs, runMs, totalMs: Date.now() - t0, windowMs: net.windowMs },
      machine: { cores: meter.cores, meanCpu: mean(cpuSamples) },
      model: { preset: o.preset, parameters },
      participants,
      rows,
      heldout,
      weights: weightRows(participants, weights),
      verdicts: verdictsOf(
        participants
          .filter((p) => p.kind !== 'honest')
          .map((p) => ({ ...p, actedIn: actedOf(net, p.hotkey) })),
        rows,
      ),
      wire: wireFigures(updates, net.honest, rows, parameters),
      checkpoint,
    };
    const dir = await writeReport(outDir, report, extra);
    view.line(`report written to ${dir}`);
    if (o.keep && status === 'completed' && !signal?.aborted) {
      view.line(
        `--keep: the network stays up until Ctrl-C. Store ${net.storeAddress}; chain ${net.chain.url}.`,
      );
      view.line('Prometheus scrape targets (/metrics):');
      for (const m of await net.metricsEndpoints()) view.line(`  ${m.name.padEnd(22)} ${m.url}`);
      view.line('(that is every service; Ctrl-C stops the network)');
      await new Promise<void>((r) => signal?.addEventListener('abort', () => r(), { once: true }));
    }
    if (status === 'failed') {
      throw new CohortError(
        Code.DeadlineExceeded,
        `${error ?? 'the devnet failed'}; partial report in ${dir}`,
        {
          reason: 'DEVNET_STALLED',
        },
      );
    }
    return { report, dir };
  } finally {
    for (const path of Object.values(extra)) rmSync(dirname(path), { recursive: true, force: true });
    view.line('stopping every process of the devnet...');
    await net.stop();
    await s3?.stop();
    clearPids();
    view.close();
  }
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** The first window the adversary with this hotkey acted in. */
function actedOf(net: Network, hotkey: string): number | undefined {
  const a = net.adversaries.find((x) => x.hotkey === hotkey);
  return a === undefined ? undefined : net.acted.get(a.name);
}

function liveState(
  o: DevnetOptions,
  net: Network,
  participants: readonly Participant[],
  rows: readonly WindowRow[],
  weights: ReadonlyMap<number, number>,
  cur: { window: number; startedMs: number } | undefined,
  first: number | undefined,
  cpu: number,
  elapsedMs: number,
) {
  const scoredRows = rows.filter((r) => r.scored);
  const lastScores = scoredRows.at(-1)?.scores ?? {};
  const normalised = new Map(weightRows(participants, weights).map((w) => [w.name, w.weight]));
  const miners: LiveMiner[] = participants.map((p) => {
    const op = net.miners.find((m) => m.hotkey === p.hotkey);
    const recs = op?.coordinator.records ?? [];
    const lastPhase = [...recs].reverse().find((r) => PHASE_OF[r.event] !== undefined);
    const trained = [...recs].reverse().find((r) => r.event === 'window_trained');
    const losses = Array.isArray(trained?.losses) ? (trained.losses as number[]) : [];
    const penalties = [...new Set(rows.slice(-2).flatMap((r) => r.penalties[p.hotkey] ?? []))];
    return {
      name: p.name,
      kind: p.kind,
      phase:
        op === undefined
          ? actedOf(net, p.hotkey) !== undefined
            ? 'cheating'
            : 'lurking'
          : (PHASE_OF[lastPhase?.event ?? ''] ?? 'starting'),
      loss: losses.at(-1),
      score: lastScores[p.hotkey],
      weight: normalised.get(p.name),
      penalties,
    };
  });
  const wireBytes = rows.reduce((a, r) => a + r.updateBytes + (r.aggregateBytes ?? 0), 0);
  const progress = cur === undefined ? 0 : (Date.now() - cur.startedMs) / net.windowMs;
  const index = cur === undefined || first === undefined ? undefined : cur.window - first;
  const phase =
    index === undefined
      ? 'starting'
      : index >= o.windows
        ? 'finishing'
        : progress < 0.5
          ? 'training'
          : 'uploading/scoring';
  return {
    window: cur?.window,
    index,
    totalWindows: o.windows,
    windowProgress: progress,
    phase,
    miners,
    wireBytes,
    cpu,
    elapsedMs,
  };
}

/** The run's S3 bucket for `--s3` (a local RADOS Gateway for `local`), or undefined for the filesystem. */
async function s3Bucket(
  o: DevnetOptions,
  view: LiveView,
): Promise<{ bucket: S3Bucket; stop(): Promise<void> } | undefined> {
  if (o.s3 === undefined) return undefined;
  if (o.s3 === 'local') {
    view.line("starting a local S3 server (Ceph RADOS Gateway) for the run's bucket...");
    const server = await startS3Server();
    return {
      bucket: {
        endpoint: server.endpoint,
        bucket: o.s3Bucket,
        region: server.region,
        accessKeyId: server.accessKey,
        secretAccessKey: server.secretKey,
      },
      stop: () => server.stop(),
    };
  }
  const accessKeyId = process.env.COHORT_S3_ACCESS_KEY_ID ?? process.env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = process.env.COHORT_S3_SECRET_ACCESS_KEY ?? process.env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new CohortError(
      Code.InvalidArgument,
      `--s3 ${o.s3}: set COHORT_S3_ACCESS_KEY_ID and COHORT_S3_SECRET_ACCESS_KEY (or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY) to a key that may write ${o.s3Bucket}`,
      { reason: 'DEVNET_S3_CREDENTIALS' },
    );
  }
  return {
    bucket: {
      endpoint: o.s3,
      bucket: o.s3Bucket,
      region: process.env.COHORT_S3_REGION ?? process.env.AWS_REGION ?? 'us-east-1',
      accessKeyId,
      secretAccessKey,
    },
    stop: () => Promise.resolve(),
  };
}
