/**
 * The Gauntlet on one machine (issue 8, the small variant of `pnpm bench adversaries`): the network of
 * services/devnet/src/network.ts — the real subtensor runtime under chopsticks, a nats-server and
 * chain-bridge per operator, one filesystem checkpoint-store as the run's bucket, three honest miners, a
 * validator with two gauntlet-evaluators, and the aggregator following the validator's selection, every
 * service a real process — and every adversary of `@cohort/devnet (services/devnet/src/adversaries)` (garbage, copier, perturbed copy,
 * replayer, impersonator, early, late, stale, freeloader, zero, noise, ×100, sign-flipped, lazy), each
 * from its own registered hotkey.
 *
 * Asserted: every adversary is penalised or rejected with its reason within 3 windows of its first act;
 * no honest miner is penalised once the adversaries are at work; no penalised update is ever selected,
 * and the aggregate takes every honest update and no adversary's (but the lazy one's before it is named); weights on chain rank every honest miner above every
 * adversary; explanation records from the bucket recheck.
 */
import assert from 'node:assert/strict';
import { cpus } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { parseScoreRecord, recheckScoreRecord, scoreKey } from '@cohort/core';

import { ADVERSARY_NAMES, asWindowScored, startNetwork, until } from '../harness/index.js';
import type { AdversaryName, LogRecord, Network, WindowScored } from '../harness/index.js';

const seedOf = (b: number): string => b.toString(16).padStart(2, '0').repeat(32);
const ADVERSARY_SEEDS = Object.fromEntries(ADVERSARY_NAMES.map((n, i) => [n, seedOf(0x51 + i)])) as Record<
  AdversaryName,
  string
>;

/**
 * Skipped on machines with fewer than 4 cores unless COHORT_RUN_GAUNTLET_NETWORK=1: on the 2-core CI
 * machine of 2026-11-24 the two evaluators judged only about 10 of the 17 updates a window in time (the rest
 * `unjudged`), at 30 s and at 60 s windows, so the verdicts it asserts could not all be reached. The victim
 * of the copiers (honest0) was then the update most often unjudged because jobs were queued by address;
 * since ADR 0017 they are queued in a keyed order per window, and a run here caught every adversary
 * (the copiers in their second window) but left an honest update unjudged, so out of the aggregate: capacity
 * alone. Since ADR 0018 every update is also sampled before any is scored, so a copier is flagged in every
 * window it is scored in, its victim judged or not. `pnpm bench adversaries` runs the full variant.
 */
const SKIP =
  cpus().length >= 4 || process.env.COHORT_RUN_GAUNTLET_NETWORK === '1'
    ? false
    : 'fewer than 4 cores: the evaluators cannot judge every update in time here (set COHORT_RUN_GAUNTLET_NETWORK=1 to run it)';

describe(
  'the Gauntlet: honest miners, a validator with evaluators, every adversary',
  { timeout: 1_200_000, skip: SKIP },
  () => {
    let net: Network;

    before(async () => {
      net = await startNetwork({
        runId: 'gauntlet-net',
        honestSeeds: [0x31, 0x32, 0x33].map(seedOf),
        adversarySeeds: ADVERSARY_SEEDS,
        validatorSeed: seedOf(0x40),
        aggregatorSeed: seedOf(0x41),
        // 60 s windows: seventeen updates to measure per window by two evaluators sharing two cores with the
        // miners, inside the evaluation deadline (75 % of the window). At 30 s a slower two-core machine
        // left about half of them unjudged.
        blocksPerWindow: 60,
      });
    });

    after(async () => {
      await net?.stop();
    });

    test('adversaries are caught with their reasons, honest miners never, and weights rank them so', async (t) => {
      const { honest, adversaries, acted } = net;
      const adversaryKeys = adversaries.map((a) => a.hotkey);
      const windowOf = (r: LogRecord): number => Number(r.window);
      // Three scored windows after every adversary acted.
      await until(
        'three scored windows with every adversary at work',
        () => {
          if (acted.size < adversaries.length) return undefined;
          const last = Math.max(...acted.values());
          return net.scored().filter((r) => r.window >= last).length >= 3 ? true : undefined;
        },
        720_000,
        net.diag,
      );
      const scored = net.scored();
      for (const a of adversaries) {
        const from = acted.get(a.name)!;
        const caught = scored.find(
          (r) => r.window >= from && r.window <= from + 2 && a.caught(r, { victim: honest[0]! }),
        );
        assert.ok(
          caught,
          `${a.name} (from window ${from}) caught as ${a.expected} within 3 windows:\n${net.diag()}`,
        );
        t.diagnostic(
          `${a.name}: acted from window ${from}, caught (${a.expected}) in window ${caught.window}`,
        );
      }
      // ADR 0018: a copier scored in a window is flagged in it, whether its victim was scored or left
      // unjudged (the victim's sample job still takes part in the copy check).
      for (const name of ['copier', 'perturbed'] as const) {
        const key = adversaries.find((a) => a.name === name)!.hotkey;
        for (const r of net.scoredRecords()) {
          if (windowOf(r) < acted.get(name)! || !(r.scored as string[]).includes(key)) continue;
          assert.ok(
            asWindowScored(r).copiers[key] !== undefined,
            `${name} scored but not flagged in window ${windowOf(r)} (victim unjudged: ${String(
              (r.unjudged as string[]).includes(honest[0]!),
            )}, sampled: ${JSON.stringify(r.sampledUnjudged)}):\n${net.diag()}`,
          );
        }
      }
      const start = Math.min(...acted.values());
      for (const r of scored.filter((x) => x.window >= start)) {
        for (const h of honest) {
          assert.equal(r.faults[h], undefined, `honest ${h} faulted in window ${r.window}`);
          assert.equal(r.copiers[h], undefined, `honest ${h} called a copier in window ${r.window}`);
          assert.equal(r.penalties[h], undefined, `honest ${h} penalised in window ${r.window}`);
          assert.ok(!r.inactive.includes(h), `honest ${h} inactive in window ${r.window}`);
        }
      }
      // No adversary is selected once it is penalised; the lazy one alone can pass its first window (its
      // margin is averaged over windows, ADR 0012), so the aggregate may hold it then — never another.
      const penalisedIn = (r: WindowScored, h: string): boolean =>
        r.faults[h] !== undefined || r.copiers[h] !== undefined || r.penalties[h] !== undefined;
      const lazy = adversaries.find((a) => a.name === 'lazy')!.hotkey;
      for (const r of net.scoredRecords()) {
        const x = asWindowScored(r);
        for (const h of r.selected as string[]) {
          assert.ok(!penalisedIn(x, h), `${h} selected although penalised in window ${windowOf(r)}`);
          assert.ok(honest.includes(h) || h === lazy, `adversary ${h} selected in window ${windowOf(r)}`);
        }
      }

      // The aggregate of a window with every adversary at work took every honest update.
      const busy = Math.max(...acted.values());
      const aggregate = await until(
        `the aggregate of window ${busy}`,
        () =>
          net.aggregator.records.find((r) => r.event === 'aggregate_published' && Number(r.window) >= busy),
        120_000,
        net.diag,
      );
      const included = aggregate.included as string[];
      const scoredThen = net.scoredRecords().find((r) => windowOf(r) === windowOf(aggregate));
      for (const h of honest)
        assert.ok(
          included.includes(h),
          `honest ${h} in the aggregate of ${windowOf(aggregate)}: ${JSON.stringify(scoredThen)}`,
        );
      for (const h of included) assert.ok(honest.includes(h) || h === lazy, `${h} aggregated`);

      // Weights on chain: every honest miner above every adversary.
      await until(
        'weights set after the adversaries were scored',
        () =>
          net.validator.records.find(
            (r) => r.event === 'weights_set' && Number(r.window) >= busy && r.status === 1,
          ),
        120_000,
        () =>
          [
            ...net.validator.records
              .filter((r) => r.event === 'weights_set' || r.event === 'weights_failed')
              .map((r) => JSON.stringify({ ...r, uids: undefined, weights: undefined })),
            net.diag(),
          ].join('\n'),
      );
      const onChain = await net.weightsOnChain();
      const w = (h: string): number => onChain.get(net.uids.get(h)!) ?? 0;
      const minHonest = Math.min(...honest.map(w));
      const maxAdversary = Math.max(...adversaryKeys.map(w));
      assert.ok(
        minHonest > maxAdversary,
        `honest ≥ ${minHonest}, adversaries ≤ ${maxAdversary} (${JSON.stringify([...onChain])})`,
      );
      t.diagnostic(`weights: ${JSON.stringify([...onChain])}`);

      // Explanation records from the bucket recheck (a penalised trainer's included).
      const lastScored = scored.at(-1)!.window;
      const keyOf = (name: string): string => adversaries.find((a) => a.name === name)!.hotkey;
      for (const h of [honest[0]!, keyOf('copier'), keyOf('flipped'), keyOf('garbage')]) {
        const object = await net.store.get(scoreKey('gauntlet-net', lastScored, h));
        assert.ok(object, `record of ${h} in window ${lastScored}`);
        const check = recheckScoreRecord(parseScoreRecord(object.bytes));
        assert.ok(check.matches, `${h}: ${check.detail}`);
      }
    });
  },
);
