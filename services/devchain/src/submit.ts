/**
 * Submit one setup transaction and wait for its block, turning a failed dispatch into an error that names
 * the runtime error (`SubtensorModule.HotKeyAlreadyRegisteredInSubNet`), including failures inside a
 * `sudo` call (reported by the `Sudid` event, not by `ExtrinsicFailed`).
 */
import type { SubmittableExtrinsic } from '@polkadot/api/types';
import type { ApiPromise } from '@polkadot/api';
import type { KeyringPair } from '@polkadot/keyring/types';
import type { DispatchError, EventRecord } from '@polkadot/types/interfaces';
import { CohortError, Code } from '@cohort/core';
import { dispatchErrorName, failureOf } from '@cohort/chain-bridge';
import type { LocalChain } from './local-chain.js';

/** The dispatch failure among a transaction's events, including one inside a `sudo` call (`Sudid`). */
function failureIn(api: ApiPromise, events: readonly EventRecord[]): string | undefined {
  const failed = failureOf(api, events);
  if (failed !== undefined) return failed;
  for (const { event } of events) {
    if (api.events['sudo']?.['Sudid']?.is(event)) {
      const result = event.data[0] as unknown as { isErr: boolean; asErr: DispatchError };
      if (result.isErr) return dispatchErrorName(api, result.asErr);
    }
  }
  return undefined;
}

/** Sign `tx` with `signer`, make the block in manual mode, and resolve with the block number it landed in. */
export async function submitAndWait(
  chain: LocalChain,
  tx: SubmittableExtrinsic<'promise'>,
  signer: KeyringPair,
): Promise<number> {
  const { api } = chain;
  return new Promise<number>((resolve, reject) => {
    let unsub: (() => void) | undefined;
    let blockRequested = false;
    const done = (fn: () => void): void => {
      unsub?.();
      fn();
    };
    tx.signAndSend(signer, { nonce: -1 }, (result) => {
      if (result.status.isReady && chain.blockMode === 'manual' && !blockRequested) {
        blockRequested = true;
        chain.newBlocks(1).catch((err: unknown) => done(() => reject(CohortError.from(err))));
      }
      if (result.status.isInBlock) {
        const failure = failureIn(api, result.events);
        const hash = result.status.asInBlock;
        if (failure !== undefined) {
          done(() =>
            reject(
              new CohortError(
                Code.FailedPrecondition,
                `${tx.method.section}.${tx.method.method}: ${failure}`,
                {
                  reason: 'DISPATCH_ERROR',
                  details: { error: failure },
                },
              ),
            ),
          );
          return;
        }
        api.rpc.chain
          .getHeader(hash)
          .then((h) => done(() => resolve(h.number.toNumber())))
          .catch((err: unknown) => done(() => reject(CohortError.from(err))));
      } else if (
        result.isError ||
        result.status.isDropped ||
        result.status.isInvalid ||
        result.status.isUsurped
      ) {
        done(() =>
          reject(
            new CohortError(Code.Aborted, `${tx.method.section}.${tx.method.method}: ${result.status.type}`, {
              reason: 'TX_DROPPED',
            }),
          ),
        );
      }
    })
      .then((u) => {
        unsub = u;
      })
      .catch((err: unknown) => reject(CohortError.from(err)));
  });
}
