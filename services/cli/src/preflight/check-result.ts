/**
 * What one preflight check concludes, and how a report of them is printed. Every check ends in one
 * {@link CheckResult}: a status, what was seen, and what the operator should do about it, so a report is
 * a to-do list rather than a log. Pure: no I/O here.
 */

/** `ok` passes, `warn` passes with something worth a look, `FAIL` keeps the node from working. */
export type CheckStatus = 'ok' | 'warn' | 'FAIL';

/** The checks, in the order a report lists them. */
export const CHECK_NAMES = [
  'chain',
  'subnet',
  'hotkey',
  'bucket',
  'bucket-read',
  'clock',
  'disk',
  'gpu',
  'bandwidth',
] as const;
/** One of {@link CHECK_NAMES}. */
export type CheckName = (typeof CHECK_NAMES)[number];

/** The outcome of one check. `advice` is empty when there is nothing to do. */
export interface CheckResult {
  readonly check: CheckName;
  readonly status: CheckStatus;
  readonly detail: string;
  readonly advice: string;
}

/** Build a result (keeps call sites one line). */
export const result = (check: CheckName, status: CheckStatus, detail: string, advice = ''): CheckResult => ({
  check,
  status,
  detail,
  advice,
});

/** `ok|warn|FAIL  <check>  <detail>; <what to do>`, columns aligned over `results`. */
export function formatReport(results: readonly CheckResult[]): string {
  const width = Math.max(0, ...results.map((r) => r.check.length));
  return results
    .map((r) => {
      const advice = r.advice === '' ? '' : `; ${r.advice}`;
      return `${r.status.padEnd(4)}  ${r.check.padEnd(width)}  ${r.detail}${advice}`;
    })
    .join('\n');
}

/** The summary line under a report. */
export function summaryLine(results: readonly CheckResult[]): string {
  const count = (s: CheckStatus): number => results.filter((r) => r.status === s).length;
  const fails = count('FAIL');
  return fails === 0
    ? `preflight passed: ${count('ok')} ok, ${count('warn')} warn`
    : `preflight failed: ${fails} FAIL, ${count('warn')} warn, ${count('ok')} ok`;
}

/** True when any check failed: the command then exits 1. */
export const anyFailed = (results: readonly CheckResult[]): boolean =>
  results.some((r) => r.status === 'FAIL');

/** Order results as {@link CHECK_NAMES} lists them. */
export function inReportOrder(results: readonly CheckResult[]): CheckResult[] {
  return [...results].sort((a, b) => CHECK_NAMES.indexOf(a.check) - CHECK_NAMES.indexOf(b.check));
}

/** Bytes as a short human figure (decimal units, as disks and links are sold). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? String(value) : value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}

/** A rate in MB/s (decimal), two significant decimals. */
export const formatRate = (bytesPerSecond: number): string => `${(bytesPerSecond / 1e6).toFixed(2)} MB/s`;
