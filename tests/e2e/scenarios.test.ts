/**
 * Scenarios as data: files under scenarios/ played by the same runner as `npm start`
 * (`pan-failover rehearse --scenario FILE`), each ending with the consistency rule.
 */
import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { loadScenario } from '#sim/scenario/schema.js';
import { PROJECT_ROOT, runScenario } from '#sim/scenario/run.js';

describe('scenario files', () => {
  it('slow-standby-boot: a standby booting twice as slowly is waited for, then takes over; consistent', async () => {
    const scenario = await loadScenario(resolve(PROJECT_ROOT, 'scenarios', 'slow-standby-boot.yaml'));
    const run = await runScenario(scenario);
    expect(run.failures).toEqual([]);
    expect(run.ok).toBe(true);
    const flow = run.report.flows.find((f) => f.outcome === 'succeeded');
    expect(flow?.action).toBe('failover');
    const state = flow?.state;
    // Twice the profile's 120 s from the instance's start; the flow polled through it (several
    // "not ready" checks) instead of failing or cutting over early.
    const fwB = run.system.firewall('fw-b').status().timeline;
    expect(fwB?.readyAt).toBeDefined();
    expect((fwB?.readyAt ?? 0) - (fwB?.runningSince ?? 0)).toBe(240_000);
    expect(state?.ready?.checks).toBeGreaterThan(10);
    expect(state?.ready?.readyAt).toBeGreaterThanOrEqual(fwB?.readyAt ?? Infinity);
    expect(state?.phases.cutover?.startedAt).toBeGreaterThanOrEqual(fwB?.readyAt ?? Infinity);
    expect(run.report.detectionSeconds).toBeLessThanOrEqual(40);
  }, 120_000);
});
