/**
 * The runbook's maintenance and stop procedures exist, and name the commands and the test that
 * prove them: an on-call engineer must find them under these titles.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const runbook = readFileSync(new URL('../../docs/runbook.md', import.meta.url), 'utf8');

function section(title: string): string {
  const start = runbook.indexOf(`\n## ${title}\n`);
  expect(start, `section "${title}"`).toBeGreaterThan(0);
  const next = runbook.indexOf('\n## ', start + 1);
  return runbook.slice(start, next < 0 ? undefined : next);
}

describe('runbook: maintenance pause and stopping a flow', () => {
  it('"Before maintenance on a firewall": pause, do the work, check status, resume', () => {
    const text = section('Before maintenance on a firewall');
    const order = ['pan-failover pause -p', 'pan-failover status', 'pan-failover resume -p'].map((c) => text.indexOf(c));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    for (const fact of ['skipped-paused', '--force', 'ALERT failover-paused', 'pause.maxSeconds', 'expired']) expect(text).toContain(fact);
  });

  it('"How to stop a running flow": pause, stop-execution, then repair --force; the test it names exists', () => {
    const text = section('How to stop a running flow');
    const order = ['pan-failover pause -p', 'aws stepfunctions stop-execution', 'pan-failover repair -p hq-egress --force', 'pan-failover resume -p'].map((c) => text.indexOf(c));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const test = /`(tests\/e2e\/[\w-]+\.test\.ts)`/.exec(text)?.[1];
    expect(test).toBe('tests/e2e/orchestration-stop.test.ts');
    expect(existsSync(new URL(`../../${test}`, import.meta.url))).toBe(true);
  });
});
