/**
 * The runbook's "How to stop a running flow", proven: pause the pair (so the probe does not start
 * the flow again), stop the execution in Step Functions in the middle of its cutover, then
 * `repair` (with `--force`: the pair is paused), and everything ends consistent on the recorded
 * owner.
 *
 * StopExecution ends the execution at once: no Catch, no Abort state, so the lock stays held by
 * the stopped execution and nothing is put right; a Lambda invocation already running is not
 * interrupted. Two cases: the cutover's invocation carries on and finishes its moves after the
 * stop (all on fw-b, recorded owner still fw-a), and it dies with the stop (its container
 * recycled: the pair is split between the two firewalls).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SIM_STATE_MACHINE, SIM_TABLE, SIM_TOPIC } from '#sim/scenario/topology-from-config.js';
import type { SimSystem, SimSystemOptions } from '#sim/system.js';
import { createDirectPorts } from '#sim/world/ports.js';
import { effectiveOwner } from '#shared/domain/placement.js';
import { pausePairs, resumePairs, type PauseDeps } from '#shared/usecases/pause.js';
import { IDS, PAIR, executions, expectConsistentOn, notices, startOrch, story } from './support/orch-system.js';

let system: SimSystem | undefined;

afterEach(async () => {
  await system?.close();
  system = undefined;
});

function sys(): SimSystem {
  if (!system) throw new Error('system not started');
  return system;
}

function ports(s: SimSystem) {
  return createDirectPorts(s.world, { tableName: SIM_TABLE, topicArn: s.world.sns.topicArn(SIM_TOPIC), stateMachineArn: s.world.sfn.stateMachineArn(SIM_STATE_MACHINE) });
}

function pauseDeps(s: SimSystem): PauseDeps {
  const p = ports(s);
  return { store: p.store, notifier: p.notifier, clock: s.clock };
}

const FLOW = 'failover-to-stop';

/**
 * Starts a failover and stops it (StopExecution) at the moment `when` sees in the timeline.
 * Returns the stopped execution's ARN.
 */
async function stopMidCutover(options: Partial<SimSystemOptions>, when: (message: string, type: string | undefined) => boolean): Promise<string> {
  const target: { arn?: string } = {};
  let stopped = false;
  system = await startOrch({
    transport: 'wire',
    ...options,
    onEvent: (e) => {
      if (stopped || target.arn === undefined || !when(e.message, (e.data as { type?: string } | undefined)?.type)) return;
      stopped = true;
      sys().world.sfn.stopExecution(target.arn, { error: 'Stopped', cause: 'stopped by the on-call engineer' });
    },
  });
  const { store } = ports(sys());
  await store.putOwner(PAIR, { owner: 'primary', since: sys().clock.now() - 86_400_000, changedBy: 'bootstrap', reason: 'all managed objects point at it' });
  // Step 1 of the runbook: pause the pair, so the probe starts nothing while people work.
  await pausePairs(pauseDeps(sys()), { pairs: [PAIR], seconds: 3600, reason: 'stopping a failover started by mistake', by: 'oncall' });
  const arn = sys().startFlow({ pair: PAIR, action: 'failover', force: true, overridePause: true, requestedBy: 'alice', reason: 'drill gone wrong' }, FLOW);
  target.arn = arn;
  const end = await sys().world.sfn.waitFor(arn);
  expect(end.status).toBe('ABORTED');
  return arn;
}

async function repairAndCheck(): Promise<void> {
  const { store } = ports(sys());
  // Whatever the stopped execution's task was still doing has ended by now.
  await sys().clock.sleep(30_000);
  expect((await store.get(PAIR))?.holder, 'the stopped execution still holds the lock').toBe(FLOW);
  expect(executions(sys()).find((e) => e.name === FLOW)?.states).not.toContain('Abort');

  // Step 3: repair (--force: the pair is paused). It takes over the stopped execution's lock.
  const repair = await sys().runFlow({ pair: PAIR, action: 'reconcile', overridePause: true, requestedBy: 'oncall', reason: 'after stopping ' + FLOW }, 'repair-after-stop');
  expect(repair.status, story(sys())).toBe('SUCCEEDED');
  expect(repair.state?.result?.outcome).toBe('succeeded');
  expect(repair.state?.target).toBe('primary');
  expect(sys().logs.some((l) => l.message === 'taking over a stale lock' && (l.fields as { staleHolder?: string }).staleHolder === FLOW)).toBe(true);
  expect(effectiveOwner(await sys().placement())).toBe('primary');
  expect((await store.getOwner(PAIR))?.owner).toBe('primary');
  expect(await store.get(PAIR)).toBeUndefined();
  expect(notices(sys()).some((n) => n.body.execution === 'repair-after-stop' && n.body.event === 'result')).toBe(true);

  // Step 4: resume; the pair is consistent on fw-a (the consistency rule re-runs a repair: a no-op).
  await resumePairs(pauseDeps(sys()), { pairs: [PAIR], by: 'oncall' });
  await expectConsistentOn(sys(), 'primary');
}

describe('stopping a running flow, then repair (runbook: "How to stop a running flow")', () => {
  it('stopped at its first cutover move; the running cutover finishes after the stop: repair brings everything back onto fw-a', async () => {
    await stopMidCutover({}, (_m, type) => type === 'ec2.route.replaced' || type === 'ec2.eip.associated');
    await sys().clock.sleep(30_000);
    // The cutover's invocation went on after the stop: traffic is on fw-b, the record still says fw-a.
    expect(effectiveOwner(await sys().placement())).toBe('secondary');
    expect((await ports(sys()).store.getOwner(PAIR))?.owner).toBe('primary');
    expect(sys().world.ec2.instanceNow(IDS.fwA).state).toBe('running'); // never fenced
    await repairAndCheck();
  }, 120_000);

  it('stopped while its cutover invocation dies half-way: the pair is split; repair puts it together on fw-a', async () => {
    await stopMidCutover({ crash: { step: 'cutover', afterMutations: 2 } }, (message) => /died after 2 change/.test(message));
    const placement = await sys().placement();
    expect(effectiveOwner(placement)).toBe('split');
    const sides = [...placement.routes.map((r) => r.side), ...placement.eips.map((e) => e.side)];
    // Some moves were made (those already sent when the container died), not all.
    expect(sides).toContain('primary');
    expect(sides).toContain('secondary');
    await repairAndCheck();
  }, 120_000);
});
