/**
 * `npm test` enforces a coverage floor on shared/ (README, "npm test"): the script collects
 * coverage, the configuration measures shared/ and sets a threshold for each figure. Vitest
 * itself fails the run below a threshold; this guards the wiring, so that the floor cannot be
 * dropped by editing the script or the configuration without a test saying so.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import config from '../../vitest.config.js';

const ROOT = new URL('../../', import.meta.url);

describe('the coverage threshold of npm test', () => {
  it('npm test collects coverage', () => {
    const pkg = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.test?.split(/\s+/)).toContain('--coverage');
  });

  it("measures shared/ with V8 and sets a threshold above zero for each figure", () => {
    const coverage = config.test?.coverage;
    expect(coverage).toMatchObject({ provider: 'v8', include: ['shared/**'] });
    const thresholds = (coverage as { thresholds?: Record<string, unknown> } | undefined)?.thresholds ?? {};
    for (const figure of ['lines', 'branches', 'functions', 'statements']) {
      expect(thresholds[figure], figure).toBeGreaterThan(50);
      expect(thresholds[figure], figure).toBeLessThan(100);
    }
  });

  it('keeps the report out of git', () => {
    const ignored = readFileSync(new URL('.gitignore', ROOT), 'utf8').split('\n');
    expect(ignored).toContain('coverage/');
  });
});
