/**
 * The coordinator's calls to its gpu-worker, in the loop's terms: train a window's pages (cancellable),
 * encode and collect the signed payload, apply an aggregate, audit one, load a checkpoint. Errors stay
 * {@link CohortError}s with the worker's reason; {@link isReplicaLost} tells the loop when the worker's
 * state is not what the loop believes (restarted, unreachable, another window).
 *
 * Every call but TrainWindow (cancelled by the loop when its window closes) has a deadline: a worker that
 * is alive but never answers (a hung native call) fails the call with DEADLINE_EXCEEDED (reason
 * WORKER_TIMEOUT) instead of stalling the loop until the next window; a worker gone silent without
 * closing its socket is found by the transport's keepalive (UNAVAILABLE). The bound fits the call: a
 * state read is answered at once, an encode or an outer step is O(model) on the device, a checkpoint
 * load downloads the whole model from the store first.
 */
import { Code, CohortError } from '@cohort/core';
import { createServiceClient, createTransport } from '@cohort/kit';
import type { ServiceClient, Transport } from '@cohort/kit';
import { GpuWorkerService } from '@cohort/proto/cohort/worker/v1/gpu_worker';

/** A finished training. */
export interface TrainOutcome {
  readonly losses: readonly number[];
  readonly tokensPerSecond: number;
}

/** What the worker's re-derivation of an aggregate found. */
export interface AuditOutcome {
  readonly matches: boolean;
  /** '' when it matches, else one of core's AGGREGATE_REFUSALS. */
  readonly reason: string;
  readonly detail: string;
  readonly contributors: number;
  /** Bytes of payloads the worker downloaded for it. */
  readonly payloadBytes: number;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** A header-then-chunks request stream (ApplyAggregate, VerifyAggregate). */
function* chunked<H>(header: H, bytes: Uint8Array, chunk: number) {
  yield { part: { case: 'header' as const, value: header } };
  for (let at = 0; at < bytes.length; at += chunk) {
    yield { part: { case: 'chunk' as const, value: bytes.subarray(at, at + chunk) } };
  }
}

/** True when a worker error means its replica no longer holds the state the loop believes it holds. */
export function isReplicaLost(error: unknown): boolean {
  if (!(error instanceof CohortError)) return false;
  return error.code === Code.Unavailable || error.reason === 'WRONG_WINDOW';
}

/** Deadlines of the worker calls (the coordinator's config keys in brackets) and the chunk size. */
export interface WorkerLinkOptions {
  /** GetInfo, a read the worker answers at once, busy or not [rpcTimeoutMs]. */
  readonly infoTimeoutMs: number;
  /** EncodeUpdate and ApplyAggregate: O(model) on the worker's device [workerCallTimeoutMs]. */
  readonly callTimeoutMs: number;
  /** LoadCheckpoint: the worker downloads the checkpoint, then loads it [checkpointLoadTimeoutMs]. */
  readonly loadTimeoutMs: number;
  /** Bytes per chunk of an aggregate streamed to the worker. */
  readonly chunkBytes: number;
}

/** The defaults, equal to the config's. */
export const WORKER_LINK_DEFAULTS: WorkerLinkOptions = {
  infoTimeoutMs: 30_000,
  callTimeoutMs: 300_000,
  loadTimeoutMs: 1_800_000,
  chunkBytes: 1024 * 1024,
};

/** The gpu-worker client of one miner. */
export class WorkerLink {
  readonly #transport: Transport;
  readonly #client: ServiceClient<typeof GpuWorkerService>;
  readonly #o: WorkerLinkOptions;

  constructor(address: string, options: Partial<WorkerLinkOptions> = {}) {
    this.#transport = createTransport(address);
    this.#client = createServiceClient(GpuWorkerService, this.#transport);
    this.#o = { ...WORKER_LINK_DEFAULTS, ...options };
  }

  /**
   * Run `call` with a deadline of `timeoutMs`; its DEADLINE_EXCEEDED names the call and the bound
   * (reason WORKER_TIMEOUT). The worker may still be running it: its next long calls answer BUSY until then.
   */
  async #bounded<T>(
    name: string,
    timeoutMs: number,
    call: (options: { readonly timeoutMs: number }) => Promise<T>,
  ): Promise<T> {
    try {
      return await call({ timeoutMs });
    } catch (error) {
      if (
        error instanceof CohortError &&
        error.code === Code.DeadlineExceeded &&
        error.reason === undefined
      ) {
        throw new CohortError(
          Code.DeadlineExceeded,
          `the worker at ${this.#transport.address} did not finish ${name} within ${timeoutMs} ms`,
          { reason: 'WORKER_TIMEOUT', cause: error },
        );
      }
      throw error;
    }
  }

  /**
   * The worker's state window (-1: none), the size of its train split and the SS58 hotkey it signs with
   * ('' without a key, or a worker too old to say).
   */
  async info(): Promise<{ stateWindow: number; trainSamples: number; hotkey: string }> {
    const info = await this.#bounded('GetInfo', this.#o.infoTimeoutMs, (options) =>
      this.#client.getInfo({}, options),
    );
    return {
      stateWindow: Number(info.stateWindow),
      trainSamples: Number(info.trainSampleCount),
      hotkey: info.hotkey,
    };
  }

  /** Train `window` on `sampleIds` in `innerSteps` steps; aborting `signal` cancels the call. */
  async train(
    runId: string,
    window: number,
    innerSteps: number,
    sampleIds: readonly number[],
    signal: AbortSignal,
  ): Promise<TrainOutcome> {
    const stream = this.#client.trainWindow(
      { runId, window: BigInt(window), innerSteps, sampleIds: sampleIds.map(BigInt) },
      { signal },
    );
    for await (const message of stream) {
      if (message.event.case === 'result') {
        return { losses: message.event.value.losses, tokensPerSecond: message.event.value.tokensPerSecond };
      }
    }
    throw new CohortError(Code.Unavailable, `the worker ended TrainWindow(${window}) without a result`, {
      reason: 'NO_RESULT',
    });
  }

  /** The signed payload of `window`. */
  async encode(window: number): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let size = -1;
    await this.#bounded(`EncodeUpdate(${window})`, this.#o.callTimeoutMs, async (options) => {
      for await (const message of this.#client.encodeUpdate({ window: BigInt(window) }, options)) {
        if (message.part.case === 'info') size = Number(message.part.value.sizeBytes);
        else if (message.part.case === 'chunk') parts.push(message.part.value);
      }
    });
    const bytes = new Uint8Array(Buffer.concat(parts));
    if (bytes.length !== size) {
      throw new CohortError(Code.DataLoss, `EncodeUpdate announced ${size} bytes and sent ${bytes.length}`, {
        reason: 'SIZE_MISMATCH',
      });
    }
    return bytes;
  }

  /** θ_{w+1} = θ_w − α·A_w on the worker; returns θ_{w+1}'s fingerprint (hex). */
  async apply(window: number, alpha: number, aggregate: Uint8Array): Promise<string> {
    const header = { window: BigInt(window), outerLearningRate: alpha, sizeBytes: BigInt(aggregate.length) };
    const response = await this.#bounded(`ApplyAggregate(${window})`, this.#o.callTimeoutMs, (options) =>
      this.#client.applyAggregate(chunked(header, aggregate, this.#o.chunkBytes), options),
    );
    return hex(response.stateFingerprint);
  }

  /**
   * Re-derive `aggregate` from the payloads it lists in the run's store on the worker and compare it bit
   * for bit (the sampled audit, ADR 0013). A mismatch resolves (matches false, the reason); a worker or
   * store that cannot run it rejects, and so does a call still running after `timeoutMs`.
   */
  async verify(
    runId: string,
    window: number,
    aggregate: Uint8Array,
    options: { readonly timeoutMs: number; readonly signal?: AbortSignal },
  ): Promise<AuditOutcome> {
    const header = { runId, window: BigInt(window), sizeBytes: BigInt(aggregate.length) };
    const r = await this.#client.verifyAggregate(chunked(header, aggregate, this.#o.chunkBytes), options);
    return {
      matches: r.matches,
      reason: r.reasonCode,
      detail: r.detail,
      contributors: r.contributors,
      payloadBytes: Number(r.payloadBytes),
    };
  }

  /**
   * Load the checkpoint whose manifest is `manifestKey` as θ_window, only if the manifest's bytes hash
   * to `manifestHash` (the one the caller checked); its fingerprint (hex) and bytes.
   */
  async load(
    manifestKey: string,
    window: number,
    manifestHash: Uint8Array,
  ): Promise<{ fingerprint: string; downloadedBytes: number }> {
    const r = await this.#bounded(`LoadCheckpoint(${window})`, this.#o.loadTimeoutMs, (options) =>
      this.#client.loadCheckpoint(
        { key: manifestKey, window: BigInt(window), manifestBlake2b256: manifestHash },
        options,
      ),
    );
    return { fingerprint: hex(r.stateFingerprint), downloadedBytes: Number(r.downloadedBytes) };
  }

  close(): void {
    this.#transport.close();
  }
}
