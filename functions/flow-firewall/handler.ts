/**
 * Step Functions task handler: Re-check, readiness wait, post-cutover verification: talks to the firewalls' management interfaces, in the VPC.
 * The state machine sends `{ step, state }`; the step runs and returns the new state.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { createPowertools, type Powertools } from '#shared/observability/powertools.js';
import { createTracer } from '#shared/observability/tracing.js';
import { firewallStepDepsFromEnv } from '#shared/runtime/flow-deps.js';
import type { FirewallStepDeps } from '#shared/usecases/flow/deps.js';
import { runFirewallStep } from '#shared/usecases/flow/dispatch.js';

export function createFlowFirewallHandler(getDeps: () => Promise<FirewallStepDeps>, power: Powertools, tracer?: Tracer) {
  const handler = middy(async (event: unknown) => {
    const step = (event as { step?: unknown } | null)?.step;
    if (tracer && typeof step === 'string') tracer.putAnnotation('step', step);
    return runFirewallStep(await getDeps(), event);
  }).use(injectLambdaContext(power.logger));
  return tracer ? handler.use(captureLambdaHandler(tracer)) : handler;
}

const power = createPowertools('flow-firewall');
let deps: Promise<FirewallStepDeps> | undefined;
export const handler = createFlowFirewallHandler(() => (deps ??= firewallStepDepsFromEnv(power.telemetry)), power, createTracer());
