/**
 * Step Functions task handler: Re-check, readiness wait, post-cutover verification: talks to the firewalls' management interfaces, in the VPC.
 * The state machine sends `{ step, state }`; the step runs and returns the new state.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { createPowertools, type Powertools } from '#shared/observability/powertools.js';
import { firewallStepDepsFromEnv } from '#shared/runtime/flow-deps.js';
import type { FirewallStepDeps } from '#shared/usecases/flow/deps.js';
import { runFirewallStep } from '#shared/usecases/flow/dispatch.js';

export function createFlowFirewallHandler(getDeps: () => Promise<FirewallStepDeps>, power: Powertools) {
  return middy(async (event: unknown) => runFirewallStep(await getDeps(), event))
    .use(injectLambdaContext(power.logger));
}

const power = createPowertools('flow-firewall');
let deps: Promise<FirewallStepDeps> | undefined;
export const handler = createFlowFirewallHandler(() => (deps ??= firewallStepDepsFromEnv(power.telemetry)), power);
