/**
 * Submitting the operator's extrinsics with explicit nonces and a definite outcome for each: included,
 * dispatch error (by its runtime name, e.g. `SubtensorModule.SettingWeightsTooFast`), or dropped (pool
 * rejection, invalid, usurped, timeout). Submissions are serialised until the pool accepts them, so two
 * calls never race for one nonce (a second transaction right after the first can otherwise be "stale"
 * on this runtime); any rejection or drop re-reads the nonce from the chain before the next one.
 */
import type { ApiPromise } from '@polkadot/api';
import type { SubmittableExtrinsic } from '@polkadot/api/types';
import type { KeyringPair } from '@polkadot/keyring/types';
import type { DispatchError, EventRecord } from '@polkadot/types/interfaces';
import { CohortError, Code } from '@cohort/core';
import type { Logger } from '@cohort/kit';
import type { BridgeMetrics } from './bridge-metrics.js';
import type { ChainConnection } from './chain-connection.js';

/** What became of one extrinsic. */
export interface Outcome {
  readonly status: 'included' | 'dispatch_error' | 'dropped' | 'skipped';
  readonly block?: number;
  readonly txHash?: Uint8Array;
  /** Runtime error name (`Pallet.Error`) for dispatch errors, a drop reason (`POOL_REJECTED`, `TIMEOUT`...) otherwise. */
  readonly errorName?: string;
  readonly detail?: string;
}

/** `Pallet.Error` for a module error, the variant name (`BadOrigin`, `Token`...) for any other. */
export function dispatchErrorName(api: ApiPromise, error: DispatchError): string {
  if (error.isModule) {
    const meta = api.registry.findMetaError(error.asModule);
    return `${meta.section.charAt(0).toUpperCase()}${meta.section.slice(1)}.${meta.name}`;
  }
  return error.type;
}

/** The dispatch failure among a transaction's events, as a name, or undefined when it succeeded. */
export function failureOf(api: ApiPromise, events: readonly EventRecord[]): string | undefined {
  for (const { event } of events) {
    if (api.events['system']?.['ExtrinsicFailed']?.is(event)) {
      return dispatchErrorName(api, event.data[0] as unknown as DispatchError);
    }
  }
  return undefined;
}

/**
 * What the writers need of a submitter: the signing hotkey and a definite outcome per extrinsic. The
 * writers depend on this rather than on {@link ExtrinsicSubmitter}, so their tests can play the chain's
 * verdicts (included, a dispatch error by name, dropped) without a chain.
 */
export interface Submitter {
  readonly address: string;
  submit(call: string, build: (api: ApiPromise) => SubmittableExtrinsic<'promise'>): Promise<Outcome>;
}

/** Options of {@link ExtrinsicSubmitter}. */
export interface SubmitterOptions {
  readonly connection: ChainConnection;
  readonly signer: KeyringPair;
  readonly metrics: BridgeMetrics;
  readonly log: Logger;
  readonly timeoutMs: number;
}

/** Signs and submits for one hotkey; see the module comment. */
export class ExtrinsicSubmitter implements Submitter {
  private nonce: number | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: SubmitterOptions) {
    options.connection.onDown(() => {
      this.nonce = undefined;
    });
  }

  get address(): string {
    return this.options.signer.address;
  }

  /**
   * Build with the live connection, sign with the next nonce and wait for the outcome. `call` names the
   * extrinsic in metrics and logs. Throws only when there is no connection (CHAIN_DISCONNECTED).
   */
  async submit(call: string, build: (api: ApiPromise) => SubmittableExtrinsic<'promise'>): Promise<Outcome> {
    const api = this.options.connection.api();
    const started = Date.now();
    const outcome = await this.watch(api, call, build(api));
    const { metrics, log } = this.options;
    metrics.extrinsicSeconds.observe({ call, status: outcome.status }, (Date.now() - started) / 1000);
    if (outcome.status === 'dispatch_error' || outcome.status === 'dropped') {
      metrics.extrinsicFailures.inc({ call, reason: outcome.errorName ?? 'UNKNOWN' });
      log.warn('extrinsic_failed', {
        call,
        status: outcome.status,
        error: outcome.errorName ?? '',
        detail: outcome.detail ?? '',
      });
    } else {
      log.info('extrinsic_included', { call, block: outcome.block ?? -1 });
    }
    return outcome;
  }

  private async nextNonce(api: ApiPromise): Promise<number> {
    this.nonce ??= (await api.rpc.system.accountNextIndex(this.options.signer.address)).toNumber();
    return this.nonce;
  }

  private watch(api: ApiPromise, call: string, tx: SubmittableExtrinsic<'promise'>): Promise<Outcome> {
    let accepted!: () => void;
    const inPool = new Promise<void>((resolve) => (accepted = resolve));
    const turn = this.queue.then(() => this.send(api, call, tx, accepted));
    // The next submission waits until this one is in the pool (or failed), not until its block.
    this.queue = Promise.race([inPool, turn]).catch(() => undefined);
    return turn;
  }

  private async send(
    api: ApiPromise,
    call: string,
    tx: SubmittableExtrinsic<'promise'>,
    accepted: () => void,
  ): Promise<Outcome> {
    let nonce: number;
    try {
      nonce = await this.nextNonce(api);
    } catch (err) {
      accepted();
      return { status: 'dropped', errorName: 'NONCE_UNAVAILABLE', detail: String(err) };
    }
    return new Promise<Outcome>((resolve) => {
      let unsub: (() => void) | undefined;
      let settled = false;
      const finish = (outcome: Outcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        unsub?.();
        if (outcome.status === 'dropped') this.nonce = undefined;
        accepted();
        resolve(outcome);
      };
      const timer = setTimeout(
        () =>
          finish({
            status: 'dropped',
            errorName: 'TIMEOUT',
            detail: `no block within ${this.options.timeoutMs} ms`,
            txHash: tx.hash.toU8a(),
          }),
        this.options.timeoutMs,
      );
      tx.signAndSend(this.options.signer, { nonce }, (result) => {
        const s = result.status;
        if (s.isReady || s.isFuture || s.isBroadcast) {
          if (this.nonce === nonce) this.nonce = nonce + 1;
          accepted();
        }
        if (s.isInBlock) {
          if (this.nonce === nonce) this.nonce = nonce + 1;
          const failure = failureOf(api, result.events);
          api.rpc.chain
            .getHeader(s.asInBlock)
            .then((h) => h.number.toNumber())
            .catch(() => 0)
            .then((block) =>
              finish(
                failure === undefined
                  ? { status: 'included', block, txHash: tx.hash.toU8a() }
                  : { status: 'dispatch_error', block, txHash: tx.hash.toU8a(), errorName: failure },
              ),
            )
            .catch(() => undefined);
        } else if (s.isDropped || s.isInvalid || s.isUsurped) {
          finish({ status: 'dropped', errorName: s.type.toUpperCase(), txHash: tx.hash.toU8a() });
        }
      })
        .then((u) => {
          unsub = u;
          if (settled) u();
        })
        .catch((err: unknown) => {
          // The pool refused it outright (bad nonce, "Invalid Transaction: Stale", not enough fee...).
          finish({
            status: 'dropped',
            errorName: 'POOL_REJECTED',
            detail: err instanceof Error ? err.message : String(err),
          });
        });
    });
  }
}

/** The error a write answers with when the bridge has no hotkey. */
export function noSignerError(): CohortError {
  return new CohortError(Code.FailedPrecondition, 'this chain-bridge has no hotkey configured (read-only)', {
    reason: 'NO_SIGNER',
  });
}
