/** Percentiles of a run's samples and the formatting of the figure-vs-baseline lines. */

export interface Latency {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** Count, p50, p99 and max of `values` (ms), NaN samples (lost messages) left out; NaN where none are left. */
export function percentiles(values: readonly number[]): Latency {
  const ms = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] ?? Number.NaN;
  return { count: ms.length, p50: at(0.5), p99: at(0.99), max: ms.at(-1) ?? Number.NaN };
}

export const int = (n: number) => Math.round(n).toLocaleString("en-US");
export const ms = (n: number) => `${n.toFixed(2)} ms`;
export const secs = (n: number, digits = 2) => `${(n / 1000).toFixed(digits)} s`;
export const mb = (n: number) => `${n.toFixed(1)} MB`;
export const pad = (s: string, n: number) => s.padEnd(n);
/** `p50 … p99 … max …` */
export const spread = (l: Latency) => `p50 ${ms(l.p50)}  p99 ${ms(l.p99)}  max ${ms(l.max)}`;
/** `p50 … p99 … max …  (count)` */
export const lat = (l: Latency) => `${spread(l)}  (${int(l.count)})`;
export const goal = (ok: boolean) => (ok ? "met" : "MISSED");
export const progress = (text: string) => process.stderr.write(`  ... ${text}\n`);
