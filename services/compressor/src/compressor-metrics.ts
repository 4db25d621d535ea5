/**
 * The compressor's own metrics, on the process registry: payload verdicts by reason (the dashboard of
 * what miners get wrong), bytes received, and how long the codec work takes. Labels are bounded: RPC,
 * result, stable reason code, operation; never a hotkey or a window.
 */
import { Counter, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

/** Which RPC saw a payload. */
export type CompressorRpc = 'validate' | 'decode' | 'aggregate';

/** The instruments the handlers feed. */
export interface CompressorMetrics {
  /** One payload's verdict; `reason` is null when it was valid (or included). */
  payload(rpc: CompressorRpc, reason: string | null): void;
  /** Payload bytes received by an RPC. */
  bytesIn(rpc: CompressorRpc, bytes: number): void;
  /** Start timing one call's codec work; call the result when it is done. */
  time(rpc: CompressorRpc): () => void;
}

/** Register the compressor metrics on `registry` (once per process). */
export function createCompressorMetrics(registry: Registry): CompressorMetrics {
  const payloads = new Counter({
    name: 'cohort_compressor_payloads_total',
    help: 'Payloads checked, by RPC, result (valid or invalid) and stable reason code (NONE when valid)',
    labelNames: ['rpc', 'result', 'reason'],
    registers: [registry],
  });
  const bytes = new Counter({
    name: 'cohort_compressor_payload_bytes_total',
    help: 'Payload bytes received, by RPC (counted up to the point an oversize stream was refused)',
    labelNames: ['rpc'],
    registers: [registry],
  });
  const seconds = new Histogram({
    name: 'cohort_compressor_codec_seconds',
    help: 'Time to validate, decode or aggregate the payloads of one call, after they were received',
    labelNames: ['rpc'],
    buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 1, 2.5, 10, 30, 120, 600],
    registers: [registry],
  });
  return {
    payload(rpc, reason) {
      payloads.inc({ rpc, result: reason === null ? 'valid' : 'invalid', reason: reason ?? 'NONE' });
    },
    bytesIn(rpc, n) {
      bytes.inc({ rpc }, n);
    },
    time(rpc) {
      return seconds.startTimer({ rpc });
    },
  };
}
