/**
 * The adversary suite (issue 8): miners that cheat, each from its own registered hotkey, acting on the
 * run's bucket from the test process. Each knows when it acts (the upload slot of window w has just
 * opened) and what a validator must conclude about it (`caught`, on the validator's `window_scored` log
 * record). Honest miners are real services; these only need the store, the victim's uploads and the
 * receipt of their own pages.
 */
import { encodeSs58, hotkeyFromSeed, updateKey } from '@cohort/core';
import type { HotkeyPair } from '@cohort/core';
import type { StoreClient } from '@cohort/kit';

import { forgeUpdate } from './forge.js';

/** What an adversary sees when window w's upload slot opens. */
export interface AdversaryContext {
  readonly store: StoreClient;
  readonly runId: string;
  /** The window whose upload slot just opened. */
  readonly window: number;
  /** The honest miner whose uploads copiers and impersonators take (SS58). */
  readonly victim: string;
  /** The data receipt of `hotkey`'s assigned pages in `window` (anyone can compute it). */
  readonly receiptOf: (hotkey: string, window: number) => Uint8Array;
  readonly slotMs: number;
}

/** The validator's `window_scored` record, as the tests read it. */
export interface WindowScored {
  readonly window: number;
  readonly faults: Readonly<Record<string, string>>;
  readonly copiers: Readonly<Record<string, string>>;
}

/** One cheating miner. */
export interface Adversary {
  readonly name: string;
  /** The hotkey's 32-byte seed, hex (register it as `0x<seedHex>`). */
  readonly seedHex: string;
  readonly pair: HotkeyPair;
  readonly hotkey: string;
  /** What the validator must call it. */
  readonly expected: string;
  /** Act in this slot; resolves with the window its offence is judged in, or undefined when it could not act. */
  act(ctx: AdversaryContext): Promise<number | undefined>;
  /** Whether `record` shows it caught as expected. */
  caught(record: WindowScored, ctx: { readonly victim: string }): boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitForObject(store: StoreClient, key: string, tries = 60): Promise<Uint8Array | undefined> {
  for (let i = 0; i < tries; i++) {
    const object = await store.get(key);
    if (object !== undefined) return object.bytes;
    await sleep(100);
  }
  return undefined;
}

/** Bytes that are no update at all. */
export function garbageBytes(window: number, length = 4096): Uint8Array {
  return new Uint8Array(length).map((_, i) => (i * 131 + window) & 0xff);
}

function base(name: string, seedHex: string, expected: string) {
  const pair = hotkeyFromSeed(Uint8Array.from(Buffer.from(seedHex, 'hex')));
  return { name, seedHex, pair, hotkey: encodeSs58(pair.publicKey), expected };
}

const faultIs = (hotkey: string, reason: string) => (r: WindowScored) => r.faults[hotkey] === reason;

/** The adversaries of the suite, one hotkey seed each (register them before they act). */
export function createAdversaries(seeds: {
  readonly garbage: string;
  readonly copier: string;
  readonly replayer: string;
  readonly impersonator: string;
  readonly early: string;
  readonly late: string;
}): Adversary[] {
  const garbage = base('garbage', seeds.garbage, 'INVALID');
  const copier = base('copier', seeds.copier, 'COPIER');
  const replayer = base('replayer', seeds.replayer, 'INVALID');
  const impersonator = base('impersonator', seeds.impersonator, 'INVALID');
  const early = base('early', seeds.early, 'EARLY');
  const late = base('late', seeds.late, 'LATE');
  return [
    {
      ...garbage,
      async act(ctx) {
        await ctx.store.put(updateKey(ctx.runId, ctx.window, garbage.hotkey), garbageBytes(ctx.window));
        return ctx.window;
      },
      caught: faultIs(garbage.hotkey, 'INVALID'),
    },
    {
      // Waits for the victim's update, rewrites it as its own (receipt included) and uploads it a while
      // later than the victim (longer than the validator's poll, so first-seen tells them apart).
      ...copier,
      async act(ctx) {
        const original = await waitForObject(ctx.store, updateKey(ctx.runId, ctx.window, ctx.victim));
        if (original === undefined) return undefined;
        await sleep(700);
        const forged = forgeUpdate(original, copier.pair, ctx.receiptOf(copier.hotkey, ctx.window));
        await ctx.store.put(updateKey(ctx.runId, ctx.window, copier.hotkey), forged);
        return ctx.window;
      },
      caught: (r, { victim }) => r.copiers[copier.hotkey] === victim,
    },
    {
      // The victim's update of the window before, re-signed as its own for this window's key.
      ...replayer,
      async act(ctx) {
        const older = await ctx.store.get(updateKey(ctx.runId, ctx.window - 1, ctx.victim));
        if (older === undefined) return undefined;
        const forged = forgeUpdate(older.bytes, replayer.pair, ctx.receiptOf(replayer.hotkey, ctx.window));
        await ctx.store.put(updateKey(ctx.runId, ctx.window, replayer.hotkey), forged);
        return ctx.window;
      },
      caught: faultIs(replayer.hotkey, 'INVALID'),
    },
    {
      // The victim's bytes, signature and all, under its own key.
      ...impersonator,
      async act(ctx) {
        const original = await waitForObject(ctx.store, updateKey(ctx.runId, ctx.window, ctx.victim));
        if (original === undefined) return undefined;
        await ctx.store.put(updateKey(ctx.runId, ctx.window, impersonator.hotkey), original);
        return ctx.window;
      },
      caught: faultIs(impersonator.hotkey, 'INVALID'),
    },
    {
      // An update for the window now running, long before its slot opens.
      ...early,
      async act(ctx) {
        await sleep(1000);
        await ctx.store.put(updateKey(ctx.runId, ctx.window + 1, early.hotkey), garbageBytes(ctx.window));
        return ctx.window + 1;
      },
      caught: faultIs(early.hotkey, 'EARLY'),
    },
    {
      // An update after its slot closed.
      ...late,
      async act(ctx) {
        await sleep(ctx.slotMs + 1500);
        await ctx.store.put(updateKey(ctx.runId, ctx.window, late.hotkey), garbageBytes(ctx.window));
        return ctx.window;
      },
      caught: faultIs(late.hotkey, 'LATE'),
    },
  ];
}
