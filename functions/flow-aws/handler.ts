/**
 * Step Functions task handler: Start the target, cut over routes and EIPs, fence, DNS. AWS APIs only, outside the VPC, so it never depends on the network path it repairs.
 * The state machine sends `{ step, state }`; the step runs and returns the new state.
 */
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { createPowertools, type Powertools } from '#shared/observability/powertools.js';
import { createTracer, tracedClients } from '#shared/observability/tracing.js';
import { awsStepDepsFromEnv } from '#shared/runtime/flow-deps.js';
import type { SelftestHook } from '#shared/runtime/selftest-hook.js';
import { deployedFlowSelftestHook } from '#shared/runtime/selftest-flow.js';
import { createStepHandler } from '#shared/runtime/step-handler.js';
import type { AwsStepDeps } from '#shared/usecases/flow/deps.js';
import { runAwsStep } from '#shared/usecases/flow/dispatch.js';
import { installSourceMappedStacks } from '#shared/runtime/source-mapped-stacks.js';

export function createFlowAwsHandler(getDeps: () => Promise<AwsStepDeps>, power: Powertools, tracer?: Tracer, selftest?: SelftestHook) {
  return createStepHandler(runAwsStep, getDeps, power, tracer, selftest);
}

// Stack traces in the logs name the .ts sources (the zip carries the bundle's source map).
installSourceMappedStacks(import.meta.url);
const power = createPowertools('flow-aws');
const tracer = createTracer();
let deps: Promise<AwsStepDeps> | undefined;
export const handler = createFlowAwsHandler(() => (deps ??= awsStepDepsFromEnv(power.telemetry, tracedClients(tracer))), power, tracer, deployedFlowSelftestHook('flow-aws', power.telemetry));
