/**
 * What every bench section returns and how the run prints it: one figure per measured quantity,
 * with its target and a status. A missed target is a result, not an error: the run still exits 0.
 */

export type Status = 'OK' | 'MISSED' | 'info';

export interface Figure {
  readonly section: string;
  readonly name: string;
  /** Human-readable measured value, e.g. `0.72 s (simulated)`. */
  readonly measured: string;
  /** Human-readable target, `-` for figures printed for information. */
  readonly target: string;
  readonly status: Status;
  /** The number behind `measured`, for results.json. */
  readonly value?: number;
  readonly unit?: string;
}

export interface SectionResult {
  readonly figures: readonly Figure[];
  /** Raw measurements for results.json. */
  readonly data: Readonly<Record<string, unknown>>;
}

export interface BenchContext {
  /** Fewer repetitions (a smoke run of the bench itself). */
  readonly quick: boolean;
  readonly out: (line?: string) => void;
}

export function statusOf(ok: boolean): Status {
  return ok ? 'OK' : 'MISSED';
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** `median 412 ms (min 390, max 530, n=7)`: the spread tells whether the machine was busy. */
export function spread(values: readonly number[], unit: string, digits = 0): string {
  const f = (v: number) => v.toFixed(digits);
  return `median ${f(median(values))} ${unit} (min ${f(Math.min(...values))}, max ${f(Math.max(...values))}, n=${values.length})`;
}

export function usd(value: number): string {
  return value < 0.005 && value > 0 ? '<0.01' : value.toFixed(2);
}

export function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(0)} KiB`;
}

export function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/** A plain-text table with a header row and a rule under it; columns sized to their content. */
export function table(header: readonly string[], rows: readonly (readonly string[])[], alignRight: readonly number[] = []): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (alignRight.includes(i) ? c.padStart(widths[i] ?? 0) : pad(c, widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}
