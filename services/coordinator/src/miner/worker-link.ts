/**
 * The coordinator's calls to its gpu-worker, in the loop's terms: train a window's pages (cancellable),
 * encode and collect the signed payload, apply an aggregate, audit one, load a checkpoint. Errors stay
 * {@link CohortError}s with the worker's reason; {@link isReplicaLost} tells the loop when the worker's
 * state is not what the loop believes (restarted, unreachable, another window).
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

/** The gpu-worker client of one miner. */
export class WorkerLink {
  readonly #transport: Transport;
  readonly #client: ServiceClient<typeof GpuWorkerService>;
  readonly #chunk: number;

  constructor(address: string, chunkBytes = 1024 * 1024) {
    this.#transport = createTransport(address);
    this.#client = createServiceClient(GpuWorkerService, this.#transport);
    this.#chunk = chunkBytes;
  }

  /** The worker's state window (-1: none) and the size of its train split. */
  async info(): Promise<{ stateWindow: number; trainSamples: number }> {
    const info = await this.#client.getInfo({});
    return { stateWindow: Number(info.stateWindow), trainSamples: Number(info.trainSampleCount) };
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
    for await (const message of this.#client.encodeUpdate({ window: BigInt(window) })) {
      if (message.part.case === 'info') size = Number(message.part.value.sizeBytes);
      else if (message.part.case === 'chunk') parts.push(message.part.value);
    }
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
    const response = await this.#client.applyAggregate(chunked(header, aggregate, this.#chunk));
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
    const r = await this.#client.verifyAggregate(chunked(header, aggregate, this.#chunk), options);
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
    const r = await this.#client.loadCheckpoint({
      key: manifestKey,
      window: BigInt(window),
      manifestBlake2b256: manifestHash,
    });
    return { fingerprint: hex(r.stateFingerprint), downloadedBytes: Number(r.downloadedBytes) };
  }

  close(): void {
    this.#transport.close();
  }
}
