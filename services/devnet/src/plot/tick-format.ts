/**
 * Compact tick labels: `1.5k`, `3.4M`, `2.5e−4`, with as many decimals as the tick step needs and
 * the same number on every tick of an axis, so a column of labels reads cleanly. Negative numbers
 * use the typographic minus sign (U+2212), as printed plots do.
 */

const MINUS = '\u2212';
const SUFFIXES: readonly [number, string][] = [
  [1e12, 'T'],
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
];

function withSign(value: number, body: string): string {
  return value < 0 ? MINUS + body : body;
}

/** Decimals needed to tell ticks `step` apart after dividing by `unit`. */
function decimalsFor(step: number, unit: number): number {
  const scaled = step / unit;
  return Math.max(0, Math.min(12, -Math.floor(Math.log10(scaled) + 1e-9)));
}

function exponentOf(value: number): number {
  return Math.floor(Math.log10(Math.abs(value)) + 1e-9);
}

/** `2.5e−4`: scientific with `decimals` in the mantissa, or up to 3 significant digits when `null`. */
function scientific(value: number, decimals: number | null): string {
  let exponent = exponentOf(value);
  const digits = decimals ?? 2;
  let mantissa = (Math.abs(value) / 10 ** exponent).toFixed(digits);
  if (mantissa.startsWith('10')) {
    exponent += 1;
    mantissa = (Math.abs(value) / 10 ** exponent).toFixed(digits);
  }
  if (decimals === null && mantissa.includes('.')) mantissa = mantissa.replace(/\.?0+$/, '');
  const e = exponent < 0 ? MINUS + String(-exponent) : String(exponent);
  return withSign(value, `${mantissa}e${e}`);
}

/**
 * A formatter for every tick of one axis. `step` is the linear tick step (`null` on a log axis: each
 * label then gets up to three significant digits). The unit (k, M, …, or scientific) is chosen from the
 * largest tick so the whole axis shares it.
 */
export function tickFormatter(values: readonly number[], step: number | null): (value: number) => string {
  const maxAbs = values.reduce((m, v) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m), 0);
  const useScientific = maxAbs >= 1e15 || (maxAbs > 0 && maxAbs < 1e-3);
  // Scientific labels on a linear axis share one mantissa precision: enough for the step at the largest tick.
  const mantissaDecimals =
    step === null || maxAbs === 0 ? null : Math.max(0, Math.min(6, exponentOf(maxAbs) - exponentOf(step)));
  return (value: number): string => {
    if (!Number.isFinite(value)) return String(value);
    if (value === 0) return '0';
    if (useScientific || (step === null && (Math.abs(value) < 1e-3 || Math.abs(value) >= 1e15))) {
      return scientific(value, mantissaDecimals);
    }
    const reference = step === null ? Math.abs(value) : maxAbs;
    // Below 10 000 plain digits read better than `1.5k`.
    const [unit, suffix] = reference < 1e4 ? [1, ''] : (SUFFIXES.find(([u]) => reference >= u) ?? [1, '']);
    const abs = Math.abs(value);
    const text =
      step === null
        ? String(Number((abs / unit).toPrecision(Math.max(3, exponentOf(abs / unit) + 1))))
        : (abs / unit).toFixed(decimalsFor(step, unit));
    return withSign(value, text + suffix);
  };
}

/** One number in the same compact style, for a lone value (e.g. a legend or a note): 3 significant digits. */
export function formatCompact(value: number): string {
  return tickFormatter([value], null)(value);
}
