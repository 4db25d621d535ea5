// The Gauntlet against the adversary suite on the local network (issue 8): real chain (chopsticks),
// real NATS, every service a process (services/devnet/src/network.ts). Run A: honest miners + one of
// each adversary of services/devnet/src/adversaries/ for a number of windows; run B: the same honest miners alone.
// Records, per adversary, the first window it acted in, the window and reason it was caught in (within
// 3 windows or not), false positives on honest miners, the validator's weights on chain (does every
// honest miner rank above every adversary), and the held-out loss of the run's model at the same window
// in both runs (the gap). Writes test/bench/results/adversaries.json.
//   pnpm bench adversaries [--quick]
//     full:  6 honest + 14 adversaries, 10 windows with adversaries, then the honest-only run
//     quick: 2 honest + 14 adversaries, 2 windows with adversaries, no honest-only run (no loss gap):
//            the shortest meaningful network run (a few minutes: chain, services and windows of 20 s
//            cannot fit a minute; see the JSON's note)
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const quick = process.argv.includes('--quick');
const out = resolve(root, 'test/bench/results/adversaries.json');
const { ADVERSARY_NAMES, startNetwork, until } = await import(resolve(root, 'test/dist/harness/index.js'));

const HONEST = quick ? 2 : 6;
const WINDOWS = quick ? 2 : 10;
const HELDOUT_SAMPLES = 64;
/** Blocks of 1 s per window: six honest miners and fourteen adversaries make about 13 evaluations a window. */
const BLOCKS_PER_WINDOW = quick ? 20 : 30;
const seedOf = (b) => b.toString(16).padStart(2, '0').repeat(32);
const honestSeeds = Array.from({ length: HONEST }, (_, i) => seedOf(0x31 + i));
const common = {
  validatorSeed: seedOf(0x40),
  aggregatorSeed: seedOf(0x41),
  blocksPerWindow: BLOCKS_PER_WINDOW,
};
const log = (...a) => console.log(`[bench adversaries ${new Date().toISOString().slice(11, 19)}]`, ...a);

/** Run A: returns the detection table, false positives, weights and the held-out loss at θ_end. */
async function adversarialRun() {
  const adversarySeeds = Object.fromEntries(ADVERSARY_NAMES.map((n, i) => [n, seedOf(0x51 + i)]));
  const t0 = performance.now();
  const net = await startNetwork({ runId: 'bench-adv', honestSeeds, adversarySeeds, ...common });
  try {
    log(`network up in ${((performance.now() - t0) / 1000).toFixed(0)} s; waiting for the adversaries`);
    const start = await until(
      'every adversary acting',
      () => (net.acted.size >= 1 ? Math.min(...net.acted.values()) : undefined),
      600_000,
      net.diag,
    );
    const end = start + WINDOWS - 1;
    log(`adversaries from window ${start}; scoring through window ${end}`);
    await until(
      `window ${end} scored`,
      () => (net.scored().some((r) => r.window >= end) ? true : undefined),
      (WINDOWS + 6) * BLOCKS_PER_WINDOW * 1500,
      net.diag,
    );
    const scored = net.scored();
    const detection = {};
    for (const a of net.adversaries) {
      const from = net.acted.get(a.name);
      const hit =
        from === undefined
          ? undefined
          : scored.find((r) => r.window >= from && a.caught(r, { victim: net.honest[0] }));
      const reasons = (r) =>
        [
          r.faults[a.hotkey],
          r.copiers[a.hotkey] ? 'COPIER' : undefined,
          ...(r.penalties[a.hotkey] ?? []),
          r.inactive.includes(a.hotkey) ? 'INACTIVE' : undefined,
        ].filter(Boolean);
      const windowsSeen = scored.filter((r) => from !== undefined && r.window >= from);
      detection[a.name] = {
        expected: a.expected,
        firstActed: from ?? null,
        caughtIn: hit?.window ?? null,
        windowsToCatch: hit === undefined ? null : hit.window - from + 1,
        withinThreeWindows: hit !== undefined && hit.window - from <= 2,
        windowsCaught: windowsSeen.filter((r) => a.caught(r, { victim: net.honest[0] })).length,
        windowsObserved: windowsSeen.length,
        reasonsSeen: [...new Set(windowsSeen.flatMap(reasons))].sort(),
      };
    }
    const falsePositives = [];
    for (const r of scored.filter((x) => x.window >= start)) {
      for (const h of net.honest) {
        const why = [
          r.faults[h],
          r.copiers[h] ? `COPIER of ${r.copiers[h]}` : undefined,
          ...(r.penalties[h] ?? []),
          r.inactive.includes(h) ? 'INACTIVE' : undefined,
        ].filter(Boolean);
        if (why.length > 0) falsePositives.push({ window: r.window, hotkey: h, reasons: why });
      }
    }
    const selectedAdversaries = net
      .scoredRecords()
      .flatMap((r) => r.selected.filter((h) => net.adversaries.some((a) => a.hotkey === h)));
    await until(
      'weights set after the last window',
      () =>
        net.validator.records.find(
          (r) => r.event === 'weights_set' && Number(r.window) >= end && r.status === 1,
        ),
      120_000,
      net.diag,
    );
    const onChain = await net.weightsOnChain();
    const weightOf = (h) => onChain.get(net.uids.get(h)) ?? 0;
    const honestWeights = Object.fromEntries(net.honest.map((h) => [h, weightOf(h)]));
    const adversaryWeights = Object.fromEntries(net.adversaries.map((a) => [a.name, weightOf(a.hotkey)]));
    const heldout = await net.heldoutLoss(end + 1, HELDOUT_SAMPLES, 120_000);
    return {
      start,
      end,
      detection,
      falsePositives,
      selectedAdversaries,
      weights: {
        honest: honestWeights,
        adversaries: adversaryWeights,
        everyHonestAboveEveryAdversary:
          Math.min(...Object.values(honestWeights)) > Math.max(...Object.values(adversaryWeights)),
      },
      heldoutLoss: heldout ?? null,
    };
  } finally {
    await net.stop();
  }
}

/** Run B: the honest miners alone, to the same window; the held-out loss of θ_{end+1}. */
async function honestRun(end) {
  const net = await startNetwork({ runId: 'bench-adv', honestSeeds, adversarySeeds: {}, ...common });
  try {
    await until(
      `window ${end} scored (honest only)`,
      () => (net.scored().some((r) => r.window >= end) ? true : undefined),
      (end + 8) * BLOCKS_PER_WINDOW * 1500,
      net.diag,
    );
    return (await net.heldoutLoss(end + 1, HELDOUT_SAMPLES, 120_000)) ?? null;
  } finally {
    await net.stop();
  }
}

const t0 = performance.now();
const a = await adversarialRun();
log(`adversarial run done: windows ${a.start}..${a.end}, held-out ${a.heldoutLoss}`);
// The adversarial run's figures are written before the honest-only run, so a failure there loses nothing.
writeFileSync(out, `${JSON.stringify({ bench: 'adversaries', partial: true, quick, run: a }, null, 2)}\n`);
const honestLoss = quick ? null : await honestRun(a.end);
const lossGap =
  honestLoss === null || a.heldoutLoss === null ? null : (a.heldoutLoss - honestLoss) / honestLoss;
const caught = Object.values(a.detection).filter((d) => d.withinThreeWindows).length;
const result = {
  bench: 'adversaries',
  quick,
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg() },
  setup: {
    honestMiners: HONEST,
    adversaries: ADVERSARY_NAMES,
    windowsWithAdversaries: WINDOWS,
    windowSeconds: BLOCKS_PER_WINDOW,
    innerSteps: 2,
    batchSize: 2,
    evaluators: 2,
    preset: 'devnet',
    heldoutSamples: HELDOUT_SAMPLES,
  },
  windows: { firstWithAdversaries: a.start, last: a.end },
  detection: a.detection,
  summary: {
    adversaries: ADVERSARY_NAMES.length,
    caughtWithinThreeWindows: caught,
    falsePositives: a.falsePositives.length,
    adversariesSelected: a.selectedAdversaries.length,
    everyHonestAboveEveryAdversary: a.weights.everyHonestAboveEveryAdversary,
    heldoutLossWithAdversaries: a.heldoutLoss,
    heldoutLossHonestOnly: honestLoss,
    lossGap,
    lossGapWithinTwoPercent: lossGap === null ? null : Math.abs(lossGap) <= 0.02,
  },
  falsePositives: a.falsePositives,
  weights: a.weights,
  seconds: (performance.now() - t0) / 1000,
  note:
    'Held-out loss: mean next-token loss of the run model θ at the window after the last scored one, on the first ' +
    `${HELDOUT_SAMPLES} samples of the Brown held-out split, measured by a replica in the bench process that follows ` +
    'the run (checkpoint + published aggregates). --quick skips the honest-only run; it cannot fit a minute (the ' +
    'network alone takes about a minute to come up and each window is 20 s). Detection counts a window as caught ' +
    'when the expected reason is among the reasons the validator gave; reasonsSeen lists every reason it gave.',
};
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
log(
  `caught ${caught}/${ADVERSARY_NAMES.length} within 3 windows, false positives ${a.falsePositives.length}, ` +
    `honest above adversaries: ${a.weights.everyHonestAboveEveryAdversary}, loss gap ${lossGap}`,
);
log(`wrote ${out} in ${result.seconds.toFixed(0)} s`);
process.exit(0);
