/**
 * The adversary suite (issue 8): miners that cheat, each from its own registered hotkey, acting on the
 * run's bucket from the test process. Each knows when it acts (the upload slot of window w has just
 * opened; trainers get ready while window w runs) and what a validator must conclude about it
 * (`expected`, checked by `caught` on the validator's `window_scored` log record). Honest miners are
 * real services; these only need the store, the honest miners' uploads, the receipt of their own pages
 * and — for those that train — a replica of the run in this process (follower.ts).
 *
 * | name         | what it does                                                        | expected     |
 * |--------------|---------------------------------------------------------------------|--------------|
 * | garbage      | malformed bytes in its slot                                         | INVALID      |
 * | copier       | an honest update re-signed as its own, uploaded later               | COPIER       |
 * | perturbed    | an honest update, kept values moved by up to ±2 %, re-encoded       | COPIER       |
 * | replayer     | an honest update of the window before, re-signed                    | INVALID      |
 * | impersonator | an honest miner's bytes, signature and all, under its own key       | INVALID      |
 * | early        | an update for the running window before its slot                    | EARLY        |
 * | late         | an update after its slot closed                                     | LATE         |
 * | stale        | an old update relabelled for this window (never synced)             | OUT_OF_SYNC  |
 * | freeloader   | registered, never uploads                                           | INACTIVE     |
 * | zero         | a well-formed update of all zeros                                   | NO_GAIN      |
 * | noise        | random indices and codes, honest-sized, well-formed                 | NO_GAIN      |
 * | scaled       | its own honest update ×100                                          | NORM_OUTLIER |
 * | flipped      | its own honest update, sign-flipped                                 | HARMFUL      |
 * | lazy         | trains on other pages than assigned, claims the assigned receipt    | LAZY/NO_GAIN |
 */
import { encodeSs58, hotkeyFromSeed, updateKey } from '@cohort/core';
import type { HotkeyPair } from '@cohort/core';
import type { StoreClient } from '@cohort/kit';
import { signObject } from '@cohort/native';
import type { Dataset } from '@cohort/native';

import { RunFollower } from './follower.js';
import type { FollowerOptions } from './follower.js';
import { forgeUpdate } from './forge.js';
import { denseOf, encodeSigned, keptRms, layoutOf, uniform } from './payloads.js';
import type { TensorSlot } from './payloads.js';

/** What an adversary sees when window w's upload slot opens (or, for `prepare`, when w begins). */
export interface AdversaryContext {
  readonly store: StoreClient;
  readonly runId: string;
  /** The window whose upload slot just opened (`act`) or that just began (`prepare`). */
  readonly window: number;
  /** The honest miner whose uploads copiers and impersonators take (SS58). */
  readonly victim: string;
  /** The samples `hotkey` must train on in `window` (core's sampler, anyone can compute them). */
  readonly pagesOf: (hotkey: string, window: number) => Uint32Array;
  /** The data receipt of `hotkey`'s assigned pages in `window`. */
  readonly receiptOf: (hotkey: string, window: number) => Uint8Array;
  readonly dataset: Dataset;
  readonly innerSteps: number;
  readonly slotMs: number;
  readonly windowMs: number;
  /** How trainers follow the run (store, run, α, inner optimizer). */
  readonly follow: FollowerOptions;
}

/** The validator's `window_scored` record, as the tests read it. */
export interface WindowScored {
  readonly window: number;
  readonly faults: Readonly<Record<string, string>>;
  readonly copiers: Readonly<Record<string, string>>;
  /** Penalties of scored updates (COPIER and the quality reasons). */
  readonly penalties: Readonly<Record<string, readonly string[]>>;
  readonly inactive: readonly string[];
}

/** Every adversary of the suite. */
export const ADVERSARY_NAMES = [
  'garbage',
  'copier',
  'perturbed',
  'replayer',
  'impersonator',
  'early',
  'late',
  'stale',
  'freeloader',
  'zero',
  'noise',
  'scaled',
  'flipped',
  'lazy',
] as const;
export type AdversaryName = (typeof ADVERSARY_NAMES)[number];

/** One cheating miner. */
export interface Adversary {
  readonly name: AdversaryName;
  /** The hotkey's 32-byte seed, hex (register it as `0x<seedHex>`). */
  readonly seedHex: string;
  readonly pair: HotkeyPair;
  readonly hotkey: string;
  /** What the validator must call it. */
  readonly expected: string;
  /** Window w began: get ready for its slot (trainers sync to θ_w and train). */
  prepare?(ctx: AdversaryContext): void;
  /** Act in this slot; resolves with the window its offence is judged in, or undefined when it could not act. */
  act(ctx: AdversaryContext): Promise<number | undefined>;
  /** Whether `record` shows it caught as expected. */
  caught(record: WindowScored, ctx: { readonly victim: string }): boolean;
  /** Free what it holds (a trainer's engine). */
  close?(): Promise<void>;
  /** Why its last preparation failed, if it did (for diagnostics). */
  lastError?(): string | undefined;
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

const STATE_FINGERPRINT = { from: 120, to: 152 } as const;
const stateOf = (update: Uint8Array): Uint8Array =>
  update.slice(STATE_FINGERPRINT.from, STATE_FINGERPRINT.to);

type Base = Pick<Adversary, 'name' | 'seedHex' | 'pair' | 'hotkey' | 'expected'>;

function base(name: AdversaryName, seedHex: string, expected: string): Base {
  const pair = hotkeyFromSeed(Uint8Array.from(Buffer.from(seedHex, 'hex')));
  return { name, seedHex, pair, hotkey: encodeSs58(pair.publicKey), expected };
}

const faultIs = (hotkey: string, reason: string) => (r: WindowScored) => r.faults[hotkey] === reason;
const penaltyIs = (hotkey: string, reason: string) => (r: WindowScored) =>
  (r.penalties[hotkey] ?? []).includes(reason);
/** Flagged as the later copy of some payload (of its victim, or of another copy of it). */
const copied = (hotkey: string) => (r: WindowScored) => r.copiers[hotkey] !== undefined;

/** Upload `bytes` as `self`'s update of the window. */
async function upload(ctx: AdversaryContext, self: Base, bytes: Uint8Array): Promise<number> {
  await ctx.store.put(updateKey(ctx.runId, ctx.window, self.hotkey), bytes);
  return ctx.window;
}

/** The victim's update of the window, with the model layout and θ_w it names. */
async function victimUpdate(
  ctx: AdversaryContext,
): Promise<{ bytes: Uint8Array; layout: TensorSlot[] } | undefined> {
  const bytes = await waitForObject(ctx.store, updateKey(ctx.runId, ctx.window, ctx.victim));
  return bytes === undefined ? undefined : { bytes, layout: await layoutOf(bytes) };
}

/** An adversary re-encoding a dense vector built from the victim's update of the window. */
function reencoder(
  self: Base,
  make: (victim: Uint8Array, ctx: AdversaryContext) => Promise<Float32Array>,
  delayMs = 0,
  caught: Adversary['caught'] = penaltyIs(self.hotkey, self.expected),
): Adversary {
  return {
    ...self,
    async act(ctx) {
      const victim = await victimUpdate(ctx);
      if (victim === undefined) return undefined;
      const flat = await make(victim.bytes, ctx);
      if (delayMs > 0) await sleep(delayMs);
      const header = {
        runId: ctx.runId,
        window: ctx.window,
        stateFingerprint: stateOf(victim.bytes),
        dataReceipt: ctx.receiptOf(self.hotkey, ctx.window),
      };
      return upload(ctx, self, await encodeSigned(flat, victim.layout, header, self.pair));
    },
    caught,
  };
}

/**
 * An adversary that trains on its own replica of the run while window w runs, and uploads what
 * `make` built from it when w's slot opens (nothing when it was not ready within half the slot).
 */
function trainer(
  self: Base,
  make: (f: RunFollower, ctx: AdversaryContext) => Promise<Uint8Array>,
): Adversary {
  let follower: Promise<RunFollower> | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  let failure: string | undefined;
  const ready = new Map<number, Promise<Uint8Array | undefined>>();
  return {
    ...self,
    prepare(ctx) {
      if (ready.has(ctx.window)) return;
      for (const w of ready.keys()) if (w < ctx.window - 2) ready.delete(w);
      follower ??= RunFollower.create(ctx.follow);
      const job = queue
        .then(async () => {
          const f = await follower!;
          if (!(await f.syncTo(ctx.window, ctx.windowMs))) {
            throw new Error(`θ_${ctx.window} not reachable within a window`);
          }
          return make(f, ctx);
        })
        .catch((error: unknown) => {
          failure = `window ${ctx.window}: ${String(error)}`;
          return undefined;
        });
      queue = job;
      ready.set(ctx.window, job);
    },
    async act(ctx) {
      const pending = ready.get(ctx.window);
      if (pending === undefined) return undefined;
      const bytes = await Promise.race([pending, sleep(ctx.slotMs / 2).then(() => undefined)]);
      return bytes === undefined ? undefined : upload(ctx, self, bytes);
    },
    caught: penaltyIs(self.hotkey, self.expected),
    async close() {
      if (follower !== undefined) await (await follower).close();
    },
    lastError: () => failure,
  };
}

/**
 * A well-formed update of θ_w built while window w runs (by `build`, from the adversary's own replica and
 * the model layout) and encoded without error feedback.
 */
function prepared(
  self: Base,
  build: (f: RunFollower, ctx: AdversaryContext, size: number) => Promise<Float32Array>,
): Adversary {
  let layout: TensorSlot[] | undefined;
  return trainer(self, async (f, ctx) => {
    if (layout === undefined) {
      const any = await ctx.store.get(updateKey(ctx.runId, ctx.window - 1, ctx.victim));
      if (any === undefined) throw new Error('no update to read the model layout from yet');
      layout = await layoutOf(any.bytes);
    }
    const size = layout.reduce((n, t) => n + t.size, 0);
    const header = {
      runId: ctx.runId,
      window: ctx.window,
      stateFingerprint: f.replica.fingerprintBytes,
      dataReceipt: ctx.receiptOf(self.hotkey, ctx.window),
    };
    return encodeSigned(await build(f, ctx, size), layout, header, self.pair);
  });
}

/** Its own honest Δ of the window (assigned pages, θ_w) times `factor`. */
function ownDeltaTimes(self: Base, factor: number): Adversary {
  return prepared(self, async (f, ctx) => {
    const delta = await f.delta(ctx.dataset, ctx.pagesOf(self.hotkey, ctx.window), ctx.innerSteps);
    return delta.map((v) => v * factor);
  });
}

/** The victim's update of the window before, re-signed as its own (relabelled for this window or not). */
function replaying(self: Base, relabel: boolean, caught: Adversary['caught']): Adversary {
  return {
    ...self,
    async act(ctx) {
      const older = await ctx.store.get(updateKey(ctx.runId, ctx.window - 1, ctx.victim));
      if (older === undefined) return undefined;
      const receipt = ctx.receiptOf(self.hotkey, ctx.window);
      return upload(
        ctx,
        self,
        forgeUpdate(older.bytes, self.pair, receipt, relabel ? ctx.window : undefined),
      );
    },
    caught,
  };
}

type Maker = (self: Base) => Adversary;

const MAKERS: Readonly<Record<AdversaryName, { expected: string; make: Maker }>> = {
  garbage: {
    expected: 'INVALID',
    make: (self) => ({
      ...self,
      act: (ctx) => upload(ctx, self, garbageBytes(ctx.window)),
      caught: faultIs(self.hotkey, 'INVALID'),
    }),
  },
  copier: {
    // Waits for the victim's update, rewrites it as its own (receipt included) and uploads it a while
    // later than the victim (longer than the validator's poll, so first-seen tells them apart).
    expected: 'COPIER',
    make: (self) => ({
      ...self,
      async act(ctx) {
        const original = await waitForObject(ctx.store, updateKey(ctx.runId, ctx.window, ctx.victim));
        if (original === undefined) return undefined;
        await sleep(700);
        return upload(ctx, self, forgeUpdate(original, self.pair, ctx.receiptOf(self.hotkey, ctx.window)));
      },
      caught: copied(self.hotkey),
    }),
  },
  perturbed: {
    // The victim's kept values each moved by up to ±2 %, re-encoded (same coordinates), a while later.
    expected: 'COPIER',
    make: (self) =>
      reencoder(
        self,
        async (victim, ctx) => {
          const flat = await denseOf(victim);
          const noise = uniform(ctx.window + 1);
          for (let i = 0; i < flat.length; i++) if (flat[i] !== 0) flat[i]! *= 1 + 0.04 * (noise() - 0.5);
          return flat;
        },
        300,
        copied(self.hotkey),
      ),
  },
  replayer: {
    // The victim's update of the window before, re-signed as its own for this window's key.
    expected: 'INVALID',
    make: (self) => replaying(self, false, faultIs(self.hotkey, 'INVALID')),
  },
  impersonator: {
    expected: 'INVALID',
    make: (self) => ({
      ...self,
      async act(ctx) {
        const original = await waitForObject(ctx.store, updateKey(ctx.runId, ctx.window, ctx.victim));
        return original === undefined ? undefined : upload(ctx, self, original);
      },
      caught: faultIs(self.hotkey, 'INVALID'),
    }),
  },
  early: {
    // An update for the window now running, long before its slot opens.
    expected: 'EARLY',
    make: (self) => ({
      ...self,
      async act(ctx) {
        await sleep(1000);
        await ctx.store.put(updateKey(ctx.runId, ctx.window + 1, self.hotkey), garbageBytes(ctx.window));
        return ctx.window + 1;
      },
      caught: faultIs(self.hotkey, 'EARLY'),
    }),
  },
  late: {
    expected: 'LATE',
    make: (self) => ({
      ...self,
      async act(ctx) {
        await sleep(ctx.slotMs + 1500);
        return upload(ctx, self, garbageBytes(ctx.window));
      },
      caught: faultIs(self.hotkey, 'LATE'),
    }),
  },
  stale: {
    // The victim's update of the window before, relabelled for this window: computed from θ_{w−1}.
    expected: 'OUT_OF_SYNC',
    make: (self) => replaying(self, true, faultIs(self.hotkey, 'OUT_OF_SYNC')),
  },
  freeloader: {
    expected: 'INACTIVE',
    make: (self) => ({
      ...self,
      act: (ctx) => Promise.resolve(ctx.window),
      caught: (r) => r.inactive.includes(self.hotkey),
    }),
  },
  zero: {
    expected: 'NO_GAIN',
    make: (self) => prepared(self, (_f, _ctx, size) => Promise.resolve(new Float32Array(size))),
  },
  noise: {
    // Random coordinates and codes at the scale of an honest update's kept values.
    expected: 'NO_GAIN',
    make: (self) =>
      prepared(self, async (f, ctx, size) => {
        const scale = keptRms(await f.delta(ctx.dataset, ctx.pagesOf(self.hotkey, ctx.window), 1));
        const noise = uniform(0x5eed + ctx.window);
        return Float32Array.from({ length: size }, () => scale * 3.46 * (noise() - 0.5));
      }),
  },
  scaled: { expected: 'NORM_OUTLIER', make: (self) => ownDeltaTimes(self, 100) },
  flipped: { expected: 'HARMFUL', make: (self) => ownDeltaTimes(self, -1) },
  lazy: {
    // Trains honestly — on somebody else's pages — and claims its own assigned receipt.
    expected: 'LAZY',
    make: (self) => ({
      ...trainer(self, async (f, ctx) => {
        await f.engine.snapshot();
        await f.engine.trainInner(
          ctx.dataset,
          'train',
          ctx.pagesOf(`${self.hotkey}-elsewhere`, ctx.window),
          ctx.innerSteps,
        );
        const { bytes } = await f.engine.encodeUpdate({
          runId: ctx.runId,
          window: ctx.window,
          hotkey: self.pair.publicKey,
          dataReceipt: ctx.receiptOf(self.hotkey, ctx.window),
        });
        signObject(bytes, self.pair);
        return bytes;
      }),
      // Quality reasons are checked in order, first match wins (ADR 0012): a lazy update whose gain on
      // other pages is also below a quarter of the window's typical gain is NO_GAIN before it is LAZY.
      // Both zero its score and keep it out of the aggregate; which one it gets depends on the pages.
      caught: (r: WindowScored) => penaltyIs(self.hotkey, 'LAZY')(r) || penaltyIs(self.hotkey, 'NO_GAIN')(r),
    }),
  },
};

/** The adversaries named in `seeds`, one hotkey seed (hex) each (register them before they act). */
export function createAdversaries(seeds: Partial<Readonly<Record<AdversaryName, string>>>): Adversary[] {
  return ADVERSARY_NAMES.filter((name) => seeds[name] !== undefined).map((name) => {
    const { expected, make } = MAKERS[name];
    return make(base(name, seeds[name]!, expected));
  });
}
