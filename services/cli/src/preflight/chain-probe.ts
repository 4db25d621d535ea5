/**
 * The chain probe: one connection to the endpoint (through chain-bridge's {@link ChainConnection}, the
 * code the bridge itself uses), its runtime, the head and its timestamp, the subnet and the hotkey's
 * registration. A TCP connect goes first so a refused port or an unknown host fails at once with the
 * system's own words instead of a websocket that never opens.
 */
import { connect } from 'node:net';
import { ChainConnection, storageItem } from '@cohort/chain-bridge';
import { CohortError } from '@cohort/core';
import type { Logger } from '@cohort/kit';
import type { ChainObservation, NetworkObservation } from './chain-verdicts.js';

type Api = Awaited<ReturnType<ChainConnection['ready']>>;
type Unreachable = Extract<ChainObservation, { kind: 'unreachable' }>;

/** What {@link probeChain} needs. */
export interface ChainProbeOptions {
  readonly url: string;
  readonly netuid: number;
  /** SS58 of the hotkey to look up, if any. */
  readonly hotkey: string | undefined;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}

/** What the chain said; `network` is absent when the endpoint was unreachable or not subtensor. */
export interface ChainProbeOutcome {
  readonly chain: ChainObservation;
  readonly network?: NetworkObservation | undefined;
  /** Local time when the head was read, for the clock check. */
  readonly localMs?: number | undefined;
}

/** Connect by TCP to the URL's host and port: the cause of a failure, or undefined when it connects. */
function tcpReachable(
  url: URL,
  timeoutMs: number,
): Promise<Pick<Unreachable, 'cause' | 'message'> | undefined> {
  const port = Number(url.port || (url.protocol === 'wss:' ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (value: Pick<Unreachable, 'cause' | 'message'> | undefined): void => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(timeoutMs, () =>
      done({ cause: 'timeout', message: `no TCP connection to ${host}:${port} in ${timeoutMs} ms` }),
    );
    socket.once('connect', () => done(undefined));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      const cause =
        code === 'ECONNREFUSED'
          ? 'refused'
          : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
            ? 'dns'
            : code === 'ETIMEDOUT'
              ? 'timeout'
              : 'other';
      done({ cause, message: `${code || 'error'} connecting to ${host}:${port}` });
    });
  });
}

/** A logger that keeps quiet and reports the connection's first failure. */
function failureLogger(onFailure: (message: string) => void): Logger {
  const quiet = (): void => undefined;
  const logger: Logger = {
    debug: quiet,
    info: quiet,
    error: quiet,
    warn: (event, fields) => {
      const error = fields?.error;
      if (event === 'chain_connect_failed')
        onFailure(typeof error === 'string' ? error : 'connection failed');
    },
    child: () => logger,
  };
  return logger;
}

const num = (v: { toString(): string }): number => Number(v.toString());

async function readNetwork(
  api: Api,
  netuid: number,
  hotkey: string | undefined,
): Promise<NetworkObservation> {
  const q = (item: string) => storageItem(api, 'subtensorModule', item);
  const exists = (await q('networksAdded')(netuid)).toString() === 'true';
  const base = { netuid, subnetExists: exists, hotkey, uid: null, validatorPermit: false, stakeRao: 0n };
  if (!exists) return { ...base, neurons: 0 };
  const neurons = num(await q('subnetworkN')(netuid));
  if (hotkey === undefined) return { ...base, neurons };
  const uidJson = (await q('uids')(netuid, hotkey)).toJSON();
  if (typeof uidJson !== 'number') return { ...base, neurons };
  const [permits, stake] = await Promise.all([
    q('validatorPermit')(netuid),
    q('totalHotkeyAlpha')(hotkey, netuid),
  ]);
  const permitList = permits.toJSON() as boolean[];
  return {
    ...base,
    neurons,
    uid: uidJson,
    validatorPermit: permitList[uidJson] ?? false,
    stakeRao: BigInt(stake.toString()),
  };
}

/** Probe the chain at `url`. Never throws for what the chain does; the caller's deadline bounds it. */
export async function probeChain(o: ChainProbeOptions): Promise<ChainProbeOutcome> {
  const endpoint = o.url;
  const tcp = await tcpReachable(new URL(o.url), o.timeoutMs);
  if (tcp !== undefined) return { chain: { kind: 'unreachable', endpoint, ...tcp } };
  let failed: (message: string) => void = () => undefined;
  const failure = new Promise<string>((resolve) => {
    failed = resolve;
  });
  const connection = new ChainConnection({
    urls: [o.url],
    minMs: 3_600_000,
    maxMs: 3_600_000,
    connectTimeoutMs: o.timeoutMs,
    requestTimeoutMs: o.timeoutMs,
    log: failureLogger((m) => failed(m)),
  });
  const abort = (): void => void connection.close();
  o.signal.addEventListener('abort', abort, { once: true });
  try {
    connection.start();
    let api: Api;
    try {
      api = await Promise.race([
        connection.ready(o.timeoutMs, o.signal),
        failure.then((message): never => {
          throw new Error(message);
        }),
      ]);
    } catch (err) {
      const message = CohortError.from(err).message;
      const cause = /timed out|within/.test(message) ? 'timeout' : 'not-websocket';
      return {
        chain: {
          kind: 'unreachable',
          endpoint,
          cause,
          message: `TCP connects, but no websocket RPC answered (${message})`,
        },
      };
    }
    const hasSubtensorModule = api.query.subtensorModule !== undefined;
    const header = await api.rpc.chain.getHeader();
    const localMs = Date.now();
    const timestamp = num(await storageItem(api, 'timestamp', 'now')());
    const chain: ChainObservation = {
      kind: 'connected',
      endpoint,
      specName: api.runtimeVersion.specName.toString(),
      specVersion: api.runtimeVersion.specVersion.toNumber(),
      hasSubtensorModule,
      headBlock: header.number.toNumber(),
      headTimestampMs: timestamp,
    };
    if (!hasSubtensorModule) return { chain, localMs };
    return { chain, localMs, network: await readNetwork(api, o.netuid, o.hotkey) };
  } finally {
    o.signal.removeEventListener('abort', abort);
    await connection.close();
  }
}
