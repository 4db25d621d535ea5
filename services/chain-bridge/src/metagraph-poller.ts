/**
 * The bridge's periodic metagraph re-read: on new blocks, read the run's metagraph once at least
 * `everyBlocks` blocks have passed since the last read (not on multiples of it: the head subscription may
 * skip any one block), and publish when the neurons changed. One read at a time, so a slow read never
 * races a newer one into publishing stale neurons; a head below the last read (a reorg, a chain restarted
 * from genesis) reads again at once.
 */
import type { Logger } from '@cohort/kit';
import type { Metagraph } from './chain-reads.js';

/** Options of {@link MetagraphPoller}. */
export interface MetagraphPollerOptions {
  readonly everyBlocks: number;
  /** One metagraph read (through `timedRead` in the service, so it cannot hang). */
  readonly read: () => Promise<Metagraph>;
  /** Called with a metagraph whose neurons differ from the last one published. */
  readonly publish: (metagraph: Metagraph) => void;
  readonly log: Logger;
}

/** The neurons as a comparable string (stake is a bigint). */
function fingerprintOf(m: Metagraph): string {
  return JSON.stringify(m.neurons, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/** Re-reads the metagraph as blocks pass; see the module comment. */
export class MetagraphPoller {
  /** Head number at which the last read started. */
  private lastReadBlock: number | undefined;
  /** Neurons last published; empty until the first read succeeds (every block reads until then). */
  private published = '';
  private inFlight: Promise<void> | undefined;

  constructor(private readonly options: MetagraphPollerOptions) {}

  /** Hear a new head: start a read when one is due (its promise, for tests; never rejects) or do nothing. */
  onBlock(block: number): Promise<void> | undefined {
    if (this.inFlight !== undefined || !this.due(block)) return undefined;
    this.lastReadBlock = block;
    const { read, publish, log } = this.options;
    this.inFlight = read()
      .then((m) => {
        const fingerprint = fingerprintOf(m);
        if (fingerprint === this.published) return;
        this.published = fingerprint;
        publish(m);
      })
      .catch((err: unknown) => log.warn('metagraph_read_failed', { block, error: String(err) }))
      .finally(() => {
        this.inFlight = undefined;
      });
    return this.inFlight;
  }

  private due(block: number): boolean {
    const last = this.lastReadBlock;
    return (
      this.published === '' || last === undefined || block < last || block - last >= this.options.everyBlocks
    );
  }
}
