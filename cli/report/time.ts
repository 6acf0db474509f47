/** Times in reports: UTC always, and the configured time zone beside it. */

function parts(ms: number, timeZone: string): Record<string, string> {
  const f = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  });
  return Object.fromEntries(f.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
}

/** `2026-12-07 06:43:39 UTC`. */
export function utc(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/** `2026-12-07 15:43:39 GMT+9 (Asia/Tokyo)`; undefined without a zone or for UTC itself. */
export function zoned(ms: number, timeZone: string | undefined): string | undefined {
  if (!timeZone || timeZone === 'UTC' || timeZone === 'Etc/UTC') return undefined;
  const p = parts(ms, timeZone);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second} ${p.timeZoneName ?? ''} (${timeZone})`;
}

/** Clock time only, for axis labels: `06:43:39`. */
export function clock(ms: number, timeZone = 'UTC'): string {
  const p = parts(ms, timeZone);
  return `${p.hour}:${p.minute}:${p.second}`;
}

/** `6m 28s`, `3.2 s`, `120 ms`. */
export function duration(ms: number | undefined): string {
  if (ms === undefined) return 'not ended';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h ${m}m ${s % 60}s` : `${m}m ${s % 60}s`;
}
