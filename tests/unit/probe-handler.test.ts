/**
 * The health-probe Lambda handler path: "when the decision is failover it starts the failover
 * state machine through a port". The real handler (middy, Powertools) with a fake Lambda
 * context, deps on the simulated world, scripted firewalls, and a mock FlowStarter; then the
 * same path through the real Step Functions adapter over a mocked SFN client, to see the
 * StartExecution request itself.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { createProbeHandler, type ProbeSummary } from '#functions/health-probe/handler.js';
import { createFlowStarter } from '#shared/adapters/aws/sfn.js';
import { createPowertools } from '#shared/observability/powertools.js';
import type { Clock } from '#shared/ports/clock.js';
import { flowExecutionName, parseFlowInput } from '#shared/usecases/flow-input.js';
import type { ProbeDeps } from '#shared/usecases/probe.js';
import { makeConfig } from '../support/config.js';
import { drive, worldHarness, type WorldHarness } from '../support/fake-firewalls.js';

let h: WorldHarness | undefined;
afterEach(() => h?.close());

const SM_ARN = 'arn:aws:states:eu-central-1:123456789012:stateMachine:pan-failover';

function lambdaContext(clock: Clock, timeoutMs: number): Context {
  const start = clock.now();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'pan-failover-health-probe',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-central-1:123456789012:function:pan-failover-health-probe',
    memoryLimitInMB: '256',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    logGroupName: '/aws/lambda/pan-failover-health-probe',
    logStreamName: '2026/01/01/[$LATEST]test',
    getRemainingTimeInMillis: () => Math.max(0, timeoutMs - (clock.now() - start)),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

const scheduledEvent = { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} };

async function invoke(w: WorldHarness, deps: ProbeDeps): Promise<ProbeSummary> {
  const handler = createProbeHandler(() => Promise.resolve(deps), createPowertools('health-probe'));
  return drive(w.clock, handler(scheduledEvent, lambdaContext(w.clock, 70_000)));
}

describe('health-probe handler', () => {
  it('a dead primary: one invocation fails over through the FlowStarter port, once', async () => {
    const w = (h = worldHarness(makeConfig(), { firewalls: { 'fw-a': { outcomes: 'timeout' } } }));
    const t0 = w.clock.now();
    const summary = await invoke(w, w.probeDeps());

    expect(summary.rounds).toBe(6);
    expect(summary.pairs).toEqual([
      { pair: 'hq-egress', owner: 'primary', action: 'failover', code: 'active-failed', reason: expect.stringContaining('fw-a failed 6 consecutive rounds') },
    ]);
    const name = flowExecutionName('hq-egress', 'failover', t0, 1);
    expect(w.flows.starts).toHaveLength(1);
    expect(w.flows.starts[0]).toMatchObject({
      name,
      at: t0 + 20_000,
      input: { pair: 'hq-egress', action: 'failover', source: 'probe', from: 'primary', incidentId: 'hq-egress@2026-01-01T09:00:00.000Z' },
    });
    expect(String(w.flows.starts[0]?.input.reason)).toContain('fw-a failed 3 consecutive rounds (its API does not answer)');
  });

  it('a healthy pair: rounds run, nothing is started or notified', async () => {
    const w = (h = worldHarness(makeConfig(), { firewalls: { 'fw-a': { tunnels: ['tun-head-office'] } } }));
    const summary = await invoke(w, w.probeDeps());
    expect(summary).toEqual({
      rounds: 6,
      pairs: [{ pair: 'hq-egress', owner: 'primary', action: 'none', code: 'active-healthy', reason: 'fw-a is healthy' }],
    });
    expect(w.flows.starts).toEqual([]);
    expect(w.notifier.published).toEqual([]);
  });

  it('the next invocation continues the same incident: no second execution', async () => {
    const w = (h = worldHarness(makeConfig(), { firewalls: { 'fw-a': { outcomes: 'timeout' } } }));
    await invoke(w, w.probeDeps());
    await w.clock.advance(1000);
    await invoke(w, w.probeDeps());
    expect(w.flows.starts).toHaveLength(1);
  });
});

describe('health-probe handler with the Step Functions adapter (mocked SFN client)', () => {
  const sfn = mockClient(SFNClient);
  beforeEach(() => sfn.reset());

  it('sends one StartExecution with the deterministic name and the flow input as JSON; later rounds only describe it', async () => {
    const w = (h = worldHarness(makeConfig(), { firewalls: { 'fw-a': { outcomes: 'unreachable' } } }));
    const t0 = w.clock.now();
    const name = flowExecutionName('hq-egress', 'failover', t0, 1);
    sfn.on(StartExecutionCommand).resolves({ executionArn: `arn:aws:states:eu-central-1:123456789012:execution:pan-failover:${name}`, startDate: new Date(t0) });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    const flows = createFlowStarter({ client: new SFNClient({ region: 'eu-central-1' }), stateMachineArn: SM_ARN });

    await invoke(w, w.probeDeps({ flows }));

    const starts = sfn.commandCalls(StartExecutionCommand);
    expect(starts).toHaveLength(1);
    const request = starts[0]!.args[0].input;
    expect(request.stateMachineArn).toBe(SM_ARN);
    expect(request.name).toBe(name);
    const input = JSON.parse(request.input ?? '') as Record<string, unknown>;
    expect(input).toMatchObject({ pair: 'hq-egress', action: 'failover', source: 'probe', from: 'primary', incidentId: 'hq-egress@2026-01-01T09:00:00.000Z' });
    expect(parseFlowInput(input, w.config).action).toBe('failover');
    const describes = sfn.commandCalls(DescribeExecutionCommand);
    expect(describes).toHaveLength(3);
    expect(describes.every((c) => c.args[0].input.executionArn === `arn:aws:states:eu-central-1:123456789012:execution:pan-failover:${name}`)).toBe(true);
  });
});
