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

  it('warm-standby: fw-a hangs; the running fw-b takes over without a boot wait, fw-a is fenced; consistent', async () => {
    const scenario = await loadScenario(resolve(PROJECT_ROOT, 'scenarios', 'warm-standby.yaml'));
    expect(scenario.expect).toMatchObject({ fenced: 'fw-a', maxTotalSeconds: 40, flows: 1 });
    const run = await runScenario(scenario);
    expect(run.failures).toEqual([]);
    expect(run.ok).toBe(true);
    expect(run.consistency.consistent).toBe(true);
    expect(run.system.pair().standbyMode).toBe('warm');
    const state = run.report.flows.find((f) => f.outcome === 'succeeded')?.state;
    // No start, no boot: fw-b was running and ready at the flow's first readiness check.
    expect(state?.start).toMatchObject({ done: true, state: 'running' });
    expect(run.system.world.events.list({ type: 'ec2.instance.state', resource: run.system.pair().firewalls.secondary.instanceId })).toEqual([]);
    expect(state?.ready?.checks).toBe(1);
    expect(state?.fence?.action).toBe('stopped');
    expect(run.system.world.ec2.describeInstances({ ids: [run.system.pair().firewalls.primary.instanceId], current: true })[0]?.state).toMatch(/^(stopping|stopped)$/);
    // Detection within 3 intervals + 1 timeout of the default policy (34 s), the traffic on fw-b within 40 s.
    expect(run.report.detectionSeconds).toBeLessThanOrEqual(34.5);
    expect(run.report.totalSeconds).toBeLessThanOrEqual(40);
  }, 120_000);

  it('a scenario\'s expectation that cannot hold is reported: fenced names a firewall no flow stopped', async () => {
    const scenario = await loadScenario(resolve(PROJECT_ROOT, 'scenarios', 'warm-standby.yaml'));
    const run = await runScenario({ ...scenario, pairSettings: { ...scenario.pairSettings, fencing: 'none' } });
    expect(run.ok).toBe(false);
    expect(run.failures).toContain('fw-a was not fenced by a flow (no successful flow stopped it)');
  }, 120_000);
});
