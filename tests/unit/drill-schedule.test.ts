/** The drill schedule in the configuration (`pairs[].drill.schedule`): off by default, at most once a day, checked before CloudFormation sees it. */
import { describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '#shared/errors.js';
import { drillScheduleIssue } from '#shared/config/drill-schedule.js';
import { makeConfig } from '../support/config.js';

describe('drill.schedule', () => {
  it('is off by default', () => {
    expect(makeConfig().pairs[0]?.drill).toEqual({});
  });

  it('accepts a weekly or monthly cron at one time of day, and rates of a day or more', () => {
    for (const ok of ['cron(0 3 ? * SUN *)', 'cron(30 2 1 * ? *)', 'cron(0 4 ? * MON#1 *)', 'rate(1 day)', 'rate(7 days)']) {
      expect(drillScheduleIssue(ok), ok).toBeUndefined();
      expect(makeConfig({ drill: { schedule: ok } }).pairs[0]?.drill.schedule).toBe(ok);
    }
  });

  it('refuses what would drill more than once a day, or what EventBridge would refuse, naming the field and why', () => {
    const cases: [string, RegExp][] = [
      ['rate(12 hours)', /more than once a day/],
      ['rate(30 minutes)', /more than once a day/],
      ['rate(1 days)', /write rate\(1 day\)/],
      ['cron(0 * ? * SUN *)', /hours must be one number/],
      ['cron(*/10 3 ? * SUN *)', /minutes must be one number/],
      ['cron(0 3 * * SUN *)', /exactly one of day-of-month and day-of-week must be "\?"/],
      ['cron(0 3 ? * SUN)', /a cron expression has 6 fields .* this one has 5/],
      ['0 3 * * 0', /is not a schedule expression: write cron\(0 3 \? \* SUN \*\)/],
      ['cron(0 25 ? * SUN *)', /hours must be one number \(0-23\)/],
    ];
    for (const [bad, why] of cases) {
      expect(drillScheduleIssue(bad), bad).toMatch(why);
      let error: unknown;
      try {
        makeConfig({ drill: { schedule: bad } });
      } catch (e) {
        error = e;
      }
      expect(error, bad).toBeInstanceOf(ConfigInvalidError);
      expect((error as ConfigInvalidError).message, bad).toMatch(/pairs\[0\]\.drill\.schedule/);
    }
  });

  it('has no other field: a typo is an error', () => {
    expect(() => makeConfig({ drill: { schedul: 'rate(7 days)' } as never })).toThrow(/pairs\[0\]\.drill.*"schedul"/);
  });
});
