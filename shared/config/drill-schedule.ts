/**
 * The drill schedule's expression: an EventBridge rule's `ScheduleExpression`, checked before it
 * reaches CloudFormation (which would only say "invalid"), and limited to at most one drill a day:
 * each drill boots the standby (billed while it runs, and a BYOL seat) and takes the pair's lock.
 *
 * Accepted: `rate(N day)` / `rate(N days)` with N >= 1, and `cron(minutes hours day-of-month
 * month day-of-week year)` whose minutes and hours are single numbers (one time of day), with `?`
 * in exactly one of day-of-month and day-of-week (EventBridge requires it). Times are UTC.
 */
const CRON_FIELD = /^[0-9A-Za-z*?,/\-#L]+$/;

export function drillScheduleIssue(expression: string): string | undefined {
  const e = expression.trim();
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(e);
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2] ?? '';
    if (n < 1) return `"${expression}": a rate must be at least 1`;
    if (!unit.startsWith('day')) return `"${expression}" drills more than once a day: each drill boots the standby; use rate(1 day) or longer, or a cron at one time of day`;
    if ((n === 1) !== (unit === 'day')) return `"${expression}": write rate(1 day), or rate(N days) for N > 1 (EventBridge's own rule)`;
    return undefined;
  }
  const cron = /^cron\((.*)\)$/.exec(e);
  if (!cron) return `"${expression}" is not a schedule expression: write cron(0 3 ? * SUN *) (UTC) or rate(7 days)`;
  const fields = (cron[1] ?? '').trim().split(/\s+/);
  if (fields.length !== 6) return `"${expression}": a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), this one has ${fields.length}`;
  const [minutes, hours, dom, , dow] = fields as [string, string, string, string, string, string];
  const bad = fields.find((f) => !CRON_FIELD.test(f));
  if (bad !== undefined) return `"${expression}": "${bad}" is not a cron field`;
  if (!/^\d{1,2}$/.test(minutes) || Number(minutes) > 59) return `"${expression}": minutes must be one number (0-59): a drill runs at one time of day`;
  if (!/^\d{1,2}$/.test(hours) || Number(hours) > 23) return `"${expression}": hours must be one number (0-23), in UTC: a drill runs at one time of day`;
  if ((dom === '?') === (dow === '?')) return `"${expression}": exactly one of day-of-month and day-of-week must be "?" (EventBridge's rule), e.g. cron(0 3 ? * SUN *)`;
  return undefined;
}
