/**
 * The coordinator's calls to its gpu-worker, in the loop's terms: train a window's pages (cancellable),
 * encode and collect the signed payload, apply an aggregate, load a checkpoint. Errors stay
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

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

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
    const chunk = this.#chunk;
    function* requests() {
      yield {
        part: {
          case: 'header' as const,
          value: { window: BigInt(window), outerLearningRate: alpha, sizeBytes: BigInt(aggregate.length) },
        },
      };
      for (let at = 0; at < aggregate.length; at += chunk) {
        yield { part: { case: 'chunk' as const, value: aggregate.subarray(at, at + chunk) } };
      }
    }
    return hex((await this.#client.applyAggregate(requests())).stateFingerprint);
  }

  /** Load the checkpoint whose manifest is `manifestKey` as θ_window; its fingerprint (hex) and bytes. */
  async load(manifestKey: string, window: number): Promise<{ fingerprint: string; downloadedBytes: number }> {
    const r = await this.#client.loadCheckpoint({ key: manifestKey, window: BigInt(window) });
    return { fingerprint: hex(r.stateFingerprint), downloadedBytes: Number(r.downloadedBytes) };
  }

  close(): void {
    this.#transport.close();
  }
}
