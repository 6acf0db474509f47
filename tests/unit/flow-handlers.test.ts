/**
 * The deployed flow handlers (middy + Powertools logger + tracer) parse their event, run the
 * step and return the new state; a bad event is refused with InputInvalidError before any step.
 */
import { describe, expect, it } from 'vitest';
import type { Context } from 'aws-lambda';
import { createFlowControlHandler } from '#functions/flow-control/handler.js';
import { createFlowAwsHandler } from '#functions/flow-aws/handler.js';
import { createPowertools } from '#shared/observability/powertools.js';
import { createTracer } from '#shared/observability/tracing.js';
import { recordingTelemetry } from '#shared/observability/telemetry.js';
import { InputInvalidError } from '#shared/errors.js';
import type { AwsStepDeps, ControlDeps } from '#shared/usecases/flow/deps.js';
import { createStepHandler, RETURN_RESERVE_MS } from '#shared/runtime/step-handler.js';
import { makeConfig } from '../support/config.js';

const context = { functionName: 'pan-failover-flow', awsRequestId: 'r-1', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

describe('flow handlers', () => {
  it('flow-control validates a trigger through the deployed handler (with the tracer)', async () => {
    const deps = { config: makeConfig(), clock: { now: () => 1_000, sleep: () => Promise.resolve() }, telemetry: recordingTelemetry() } as unknown as ControlDeps;
    const handler = createFlowControlHandler(() => Promise.resolve(deps), createPowertools('flow-control'), createTracer());
    const out = (await handler({ step: 'validate', input: { pair: 'hq-egress', action: 'failover' }, execution: 'e-1', stateMachine: 'arn:aws:states:us-east-1:123456789012:stateMachine:pan-failover' }, context)) as Record<string, unknown>;
    expect(out).toMatchObject({ execution: 'e-1', stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:pan-failover', input: { pair: 'hq-egress', action: 'failover', force: false, dryRun: false } });
  });

  it('refuses an unknown step or an extra field before running anything', async () => {
    let called = false;
    const handler = createFlowAwsHandler(() => {
      called = true;
      return Promise.resolve({ clock: { now: () => 0, sleep: () => Promise.resolve() } } as unknown as AwsStepDeps);
    }, createPowertools('flow-aws'), createTracer());
    await expect(handler({ step: 'deleteEverything', state: {} }, context)).rejects.toBeInstanceOf(InputInvalidError);
    expect(called).toBe(true);
    const control = createFlowControlHandler(() => Promise.resolve({ clock: { now: () => 0, sleep: () => Promise.resolve() } } as unknown as ControlDeps), createPowertools('flow-control'));
    await expect(control({ step: 'validate', input: {}, execution: 'e', extra: 1 }, context)).rejects.toThrow(/unknown|Unrecognized|extra/i);
  });

  it("runs each step on a clock that carries the invocation's deadline: the Lambda's remaining time less the return reserve", async () => {
    let seen: number | undefined;
    let now = 1_000_000;
    const clock = { now: () => now, sleep: (ms: number) => ((now += ms), Promise.resolve()) };
    const deps = { config: makeConfig(), clock, telemetry: recordingTelemetry() } as unknown as ControlDeps;
    const handler = createStepHandler(
      (d: ControlDeps) => {
        seen = d.clock.deadlineAt;
        return Promise.resolve({});
      },
      () => Promise.resolve(deps),
      createPowertools('flow-control'),
    );
    await handler({ step: 'validate' }, { ...context, getRemainingTimeInMillis: () => 42_000 });
    expect(seen).toBe(1_000_000 + 42_000 - RETURN_RESERVE_MS);
    // The cached dependencies keep their unbounded clock for the next invocation.
    expect((deps.clock as { deadlineAt?: number }).deadlineAt).toBeUndefined();
  });
});
