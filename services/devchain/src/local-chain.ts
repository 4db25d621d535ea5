/**
 * The real subtensor runtime under chopsticks, in this process, on loopback: what the integration tests,
 * the devnet and `cohort-devchain` run against. Blocks are made on demand (`newBlocks`), on a clock
 * ({@link startBlockClock}), or per transaction (`instant`); tests isolate themselves by rolling the head
 * back with `setHead`.
 */
import type { ApiPromise } from '@polkadot/api';
import { CohortError, Code } from '@cohort/core';
import { chainSpecPath, loadChainSpec } from './chain-spec.js';
import { applyGenesisFixes } from './genesis-fixes.js';
import type { GenesisFixOptions } from './genesis-fixes.js';

/** When blocks are made: per transaction, in batches of pending transactions, or only when asked. */
export type BlockMode = 'instant' | 'batch' | 'manual';

/** Options of {@link startLocalChain}. */
export interface LocalChainOptions extends GenesisFixOptions {
  /** Chain spec path (default: `COHORT_CHAIN_SPEC`, else `../shared/chain/raonet.json`). */
  readonly specPath?: string;
  /** Loopback port; 0 picks a free one. */
  readonly port?: number;
  /** Default `manual`: nothing moves unless a test or a block clock says so. */
  readonly blockMode?: BlockMode;
  /** chopsticks' log level (default `error`; `LOG_LEVEL` in the environment wins). */
  readonly logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error';
}

/** A running local chain. */
export interface LocalChain {
  /** `ws://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  readonly blockMode: BlockMode;
  /** A connection for setup and assertions (the system under test opens its own). */
  readonly api: ApiPromise;
  /** Make `count` blocks now; returns the new head number. */
  newBlocks(count?: number): Promise<number>;
  /** Make one block at height `height` (skipping the ones between); returns the new head number. */
  jumpTo(height: number): Promise<number>;
  /** The current head number. */
  head(): Promise<number>;
  /** Roll the head back (or forward) to block `number`: the test-isolation primitive. */
  setHead(number: number): Promise<void>;
  /** chopsticks' `dev_setStorage` with pallet/item names, e.g. `{ SubtensorModule: { Tempo: [[[1], 10]] } }`. */
  setStorage(values: Record<string, unknown>): Promise<void>;
  /** Raw dev RPC, for what the methods above do not cover. */
  rpc<T>(method: string, params: unknown[]): Promise<T>;
  /** Disconnect and stop the server; idempotent. */
  close(): Promise<void>;
}

/** Start a local chain in this process. Resolves once it serves RPC and the setup connection is ready. */
export async function startLocalChain(options: LocalChainOptions = {}): Promise<LocalChain> {
  const spec = await applyGenesisFixes(loadChainSpec(chainSpecPath(options.specPath)), options);
  process.env['LOG_LEVEL'] ??= options.logLevel ?? 'error';
  const { setupWithServer, BuildBlockMode } = await import('@acala-network/chopsticks');
  const blockMode = options.blockMode ?? 'manual';
  const mode = {
    instant: BuildBlockMode.Instant,
    batch: BuildBlockMode.Batch,
    manual: BuildBlockMode.Manual,
  }[blockMode];
  let server: Awaited<ReturnType<typeof setupWithServer>>;
  try {
    server = await setupWithServer({
      genesis: spec,
      host: '127.0.0.1',
      port: options.port ?? 0,
      'build-block-mode': mode,
    } as never);
  } catch (cause) {
    throw new CohortError(Code.Unavailable, `local chain failed to start: ${String(cause)}`, {
      reason: 'CHAIN_START_FAILED',
      cause,
    });
  }
  const client = await attachLocalChain(`ws://${server.addr}`, blockMode);
  let closed: Promise<void> | undefined;
  return {
    ...client,
    close() {
      closed ??= (async () => {
        await client.close();
        await server.close();
      })();
      return closed;
    },
  };
}

/**
 * Connect to a local chain that runs elsewhere (a `cohort-devchain` process) and get the same handle;
 * `close` only disconnects. `blockMode` must be the mode that chain was started with.
 */
export async function attachLocalChain(url: string, blockMode: BlockMode): Promise<LocalChain> {
  const { ApiPromise: Api, WsProvider } = await import('@polkadot/api');
  const provider = new WsProvider(url, 1000, {}, 300_000);
  // WsProvider's optional `ttl` does not satisfy ProviderInterface under exactOptionalPropertyTypes.
  const api = await Api.create({ provider: provider as never, noInitWarn: true });
  const port = Number(url.split(':').pop());
  let closed: Promise<void> | undefined;
  const rpc = <T>(method: string, params: unknown[]): Promise<T> => provider.send<T>(method, params);
  const head = async (): Promise<number> => (await api.rpc.chain.getHeader()).number.toNumber();
  return {
    url,
    port,
    blockMode,
    api,
    rpc,
    head,
    async newBlocks(count = 1) {
      await rpc('dev_newBlock', [{ count }]);
      return head();
    },
    async jumpTo(height) {
      await rpc('dev_newBlock', [{ count: 1, unsafeBlockHeight: height }]);
      return head();
    },
    async setHead(number) {
      await rpc('dev_setHead', [number]);
    },
    async setStorage(values) {
      await rpc('dev_setStorage', [values]);
    },
    close() {
      closed ??= api.disconnect().catch(() => undefined);
      return closed;
    },
  };
}

/** A running block clock. */
export interface BlockClock {
  /** Blocks made so far. */
  readonly produced: number;
  /** Stop after the block in progress; resolves when it is done. */
  stop(): Promise<void>;
}

/**
 * Make one block every `intervalMs` (never two at once: a slow block delays the next tick), like a real
 * chain's slot clock. Errors are handed to `onError` and the clock keeps going.
 */
export function startBlockClock(
  chain: Pick<LocalChain, 'newBlocks'>,
  intervalMs: number,
  onError: (err: unknown) => void = () => undefined,
): BlockClock {
  let produced = 0;
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  const tick = (): void => {
    const started = Date.now();
    inFlight = chain
      .newBlocks(1)
      .then(() => void produced++, onError)
      .finally(() => {
        if (!stopping) timer = setTimeout(tick, Math.max(0, intervalMs - (Date.now() - started)));
      });
  };
  timer = setTimeout(tick, intervalMs);
  return {
    get produced() {
      return produced;
    },
    async stop() {
      stopping = true;
      if (timer !== undefined) clearTimeout(timer);
      await inFlight;
    },
  };
}
