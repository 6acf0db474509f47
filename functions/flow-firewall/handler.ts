/**
 * Step Functions task handler: Re-check, readiness wait, post-cutover verification: talks to the firewalls' management interfaces, in the VPC.
 * The state machine sends `{ step, state }`; the step runs and returns the new state.
 */
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { createPowertools, type Powertools } from '#shared/observability/powertools.js';
import { createTracer, tracedClients } from '#shared/observability/tracing.js';
import { firewallStepDepsFromEnv } from '#shared/runtime/flow-deps.js';
import type { SelftestHook } from '#shared/runtime/selftest-hook.js';
import { deployedVpcSelftestHook } from '#shared/runtime/selftest-vpc.js';
import { createStepHandler } from '#shared/runtime/step-handler.js';
import type { FirewallStepDeps } from '#shared/usecases/flow/deps.js';
import { runFirewallStep } from '#shared/usecases/flow/dispatch.js';
import { installSourceMappedStacks } from '#shared/runtime/source-mapped-stacks.js';

export function createFlowFirewallHandler(getDeps: () => Promise<FirewallStepDeps>, power: Powertools, tracer?: Tracer, selftest?: SelftestHook) {
  return createStepHandler(runFirewallStep, getDeps, power, tracer, selftest);
}

// Stack traces in the logs name the .ts sources (the zip carries the bundle's source map).
installSourceMappedStacks(import.meta.url);
const power = createPowertools('flow-firewall');
const tracer = createTracer();
let deps: Promise<FirewallStepDeps> | undefined;
export const handler = createFlowFirewallHandler(() => (deps ??= firewallStepDepsFromEnv(power.telemetry, tracedClients(tracer))), power, tracer, deployedVpcSelftestHook('flow-firewall'));
