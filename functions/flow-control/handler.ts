/**
 * Step Functions task handler: Validation, the pair lock, owner record, notifications, finish and abort. Outside the VPC.
 * The state machine sends `{ step, state }`; the step runs and returns the new state.
 */
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { createPowertools, type Powertools } from '#shared/observability/powertools.js';
import { createTracer, tracedClients } from '#shared/observability/tracing.js';
import { controlDepsFromEnv } from '#shared/runtime/flow-deps.js';
import type { SelftestHook } from '#shared/runtime/selftest-hook.js';
import { controlSelftestParts } from '#shared/runtime/selftest-control.js';
import { deployedFlowSelftestHook } from '#shared/runtime/selftest-flow.js';
import { createStepHandler } from '#shared/runtime/step-handler.js';
import type { ControlDeps } from '#shared/usecases/flow/deps.js';
import { runControlStep } from '#shared/usecases/flow/dispatch.js';
import { installSourceMappedStacks } from '#shared/runtime/source-mapped-stacks.js';

export function createFlowControlHandler(getDeps: () => Promise<ControlDeps>, power: Powertools, tracer?: Tracer, selftest?: SelftestHook) {
  return createStepHandler(runControlStep, getDeps, power, tracer, selftest);
}

// Stack traces in the logs name the .ts sources (the zip carries the bundle's source map).
installSourceMappedStacks(import.meta.url);
const power = createPowertools('flow-control');
const tracer = createTracer();
let deps: Promise<ControlDeps> | undefined;
export const handler = createFlowControlHandler(() => (deps ??= controlDepsFromEnv(power.telemetry, tracedClients(tracer))), power, tracer, deployedFlowSelftestHook('flow-control', power.telemetry, controlSelftestParts));
