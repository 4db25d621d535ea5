/**
 * The window clock's I/O shell: follows new heads on every (re)connection, reads each block's chain
 * timestamp (one head after another, in arrival order), feeds the pure {@link ChainClock} from core, and
 * fans the result out — NATS `block` and `window` events, WatchHead streams, metrics. A ticker marks the
 * head stale when blocks stop (dropped socket or stalled chain alike) and fresh again when they resume;
 * nobody ever waits for a block here.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import type { ApiPromise } from '@polkadot/api';
import { u8aToHex } from '@polkadot/util';
import { ChainClock, runSubjects } from '@cohort/core';
import type { ClockSnapshot, ClockUpdate } from '@cohort/core';
import type { Logger, NatsHandle } from '@cohort/kit';
import { BlockHeadSchema } from '@cohort/proto/cohort/chain/v1/chain_bridge';
import type { BlockHead } from '@cohort/proto/cohort/chain/v1/chain_bridge';
import { BlockEventSchema, WindowEventSchema } from '@cohort/proto/cohort/events/v1/events';
import type { BridgeMetrics } from './bridge-metrics.js';
import type { ChainConnection } from './chain-connection.js';
import { plainStorageKey } from './runtime-access.js';

/** `Timestamp.Now`'s storage key. */
const TIMESTAMP_NOW_KEY = u8aToHex(plainStorageKey('Timestamp', 'Now'));

/** Little-endian u64 from SCALE bytes, as a number (ms timestamps are far below 2^53). */
function readU64(bytes: Uint8Array): number {
  let v = 0;
  for (let i = Math.min(8, bytes.length) - 1; i >= 0; i--) v = v * 256 + bytes[i]!;
  return v;
}

/** Options of {@link HeadFollower}. */
export interface HeadFollowerOptions {
  readonly connection: ChainConnection;
  readonly blocksPerWindow: number;
  readonly staleAfterMs: number;
  readonly runId: string;
  readonly nats: NatsHandle | undefined;
  readonly metrics: BridgeMetrics;
  readonly log: Logger;
  readonly now?: () => number;
}

type Watcher = (head: BlockHead) => void;

/** Follows the chain's head; see the module comment. */
export class HeadFollower {
  readonly clock: ChainClock;
  private readonly watchers = new Set<Watcher>();
  private readonly blockListeners = new Set<(update: ClockUpdate, api: ApiPromise) => void>();
  private unsubscribe: (() => void) | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly options: HeadFollowerOptions) {
    this.clock = new ChainClock({
      blocksPerWindow: options.blocksPerWindow,
      staleAfterMs: options.staleAfterMs,
    });
    this.now = options.now ?? Date.now;
  }

  /** Subscribe on every connection and start the staleness ticker. */
  start(): void {
    this.options.connection.onUp((api) => void this.follow(api));
    this.options.connection.onDown(() => {
      this.unsubscribe = undefined;
    });
    const every = Math.max(50, Math.min(1000, Math.floor(this.options.staleAfterMs / 4)));
    this.ticker = setInterval(() => this.tick(), every);
    this.ticker.unref();
  }

  stop(): void {
    if (this.ticker !== undefined) clearInterval(this.ticker);
    this.unsubscribe?.();
    this.watchers.clear();
  }

  /** The head as the clock knows it now (stale flag and age included). */
  head(): BlockHead {
    return toBlockHead(this.clock.snapshot(this.now()));
  }

  /** Stream heads (and staleness changes) to `fn` until the returned function is called. */
  watch(fn: Watcher): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  /** Hear about every new block with the connection it came on (the reveal scheduler, the metagraph). */
  onBlock(fn: (update: ClockUpdate, api: ApiPromise) => void): void {
    this.blockListeners.add(fn);
  }

  private async follow(api: ApiPromise): Promise<void> {
    // Heads are read and observed one at a time, in the order the subscription delivered them. Reads
    // started side by side can answer in any order, and the clock takes a lower block seen after a
    // higher one for a reorg (history dropped, the window going back and forth).
    let inOrder: Promise<void> = Promise.resolve();
    try {
      this.unsubscribe = await api.rpc.chain.subscribeNewHeads((header) => {
        const number = header.number.toNumber();
        const hash = header.hash.toU8a();
        inOrder = inOrder
          .then(() => api.rpc.state.getStorage(TIMESTAMP_NOW_KEY, header.hash))
          .then((raw) => {
            const ts = readU64((raw as { toU8a(bare: boolean): Uint8Array }).toU8a(true));
            this.observe({ number, hash, timestampMs: ts }, api);
          })
          // Never rejects, so one failed read does not stop the heads behind it.
          .catch((err: unknown) =>
            this.options.log.warn('chain_timestamp_failed', { block: number, error: String(err) }),
          );
      });
    } catch (err) {
      this.options.log.warn('chain_subscribe_failed', { error: String(err) });
    }
  }

  private observe(head: { number: number; hash: Uint8Array; timestampMs: number }, api: ApiPromise): void {
    const update = this.clock.observe(head, this.now());
    if (!update.newBlock && !update.reorg) return;
    const { metrics, nats, runId, log } = this.options;
    metrics.headBlock.set(head.number);
    metrics.window.set(update.window);
    if (update.reorg) log.warn('chain_reorg', { block: head.number, hash: u8aToHex(head.hash) });
    this.tick();
    if (nats !== undefined) {
      const subjects = runSubjects(runId);
      nats.nc.publish(
        subjects.block,
        toBinary(
          BlockEventSchema,
          create(BlockEventSchema, {
            number: BigInt(head.number),
            hash: head.hash,
            timestampUnixMs: BigInt(head.timestampMs),
            window: BigInt(update.window),
          }),
        ),
      );
      if (update.windowChanged) {
        nats.nc.publish(
          subjects.window,
          toBinary(
            WindowEventSchema,
            create(WindowEventSchema, {
              window: BigInt(update.window),
              firstBlock: BigInt(update.firstBlockOfWindow),
              startedUnixMs: BigInt(head.timestampMs),
            }),
          ),
        );
      }
    }
    const out = this.head();
    for (const fn of this.watchers) fn(out);
    for (const fn of this.blockListeners) fn(update, api);
  }

  private tick(): void {
    const now = this.now();
    const snap = this.clock.snapshot(now);
    this.options.metrics.headAgeSeconds.set(snap.ageMs === undefined ? -1 : snap.ageMs / 1000);
    const change = this.clock.checkStale(now);
    if (change === undefined) return;
    this.options.metrics.stale.set(change === 'became_stale' ? 1 : 0);
    this.options.log[change === 'became_stale' ? 'warn' : 'info'](
      'chain_head_' + change.replace('became_', ''),
      {
        block: snap.head?.number ?? -1,
        ageMs: snap.ageMs ?? -1,
      },
    );
    const out = toBlockHead(snap);
    for (const fn of this.watchers) fn(out);
  }
}

/** The proto shape of a clock snapshot (an empty head with `stale` before the first block). */
export function toBlockHead(snap: ClockSnapshot): BlockHead {
  return create(BlockHeadSchema, {
    number: BigInt(snap.head?.number ?? 0),
    hash: snap.head?.hash ?? new Uint8Array(),
    timestampUnixMs: BigInt(snap.head?.timestampMs ?? 0),
    window: BigInt(snap.window ?? 0),
    stale: snap.stale,
    ageMs: BigInt(snap.ageMs ?? -1),
  });
}
