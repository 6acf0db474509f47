/**
 * Step Functions task handler: Validation, the pair lock, owner record, notifications, finish and abort. Outside the VPC.
 * The state machine sends `{ step, state }`; the step runs and returns the new state.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { createPowertools, type Powertools } from '#shared/observability/powertools.js';
import { createTracer } from '#shared/observability/tracing.js';
import { controlDepsFromEnv } from '#shared/runtime/flow-deps.js';
import type { ControlDeps } from '#shared/usecases/flow/deps.js';
import { runControlStep } from '#shared/usecases/flow/dispatch.js';

export function createFlowControlHandler(getDeps: () => Promise<ControlDeps>, power: Powertools, tracer?: Tracer) {
  const handler = middy(async (event: unknown) => {
    const step = (event as { step?: unknown } | null)?.step;
    if (tracer && typeof step === 'string') tracer.putAnnotation('step', step);
    return runControlStep(await getDeps(), event);
  }).use(injectLambdaContext(power.logger));
  return tracer ? handler.use(captureLambdaHandler(tracer)) : handler;
}

const power = createPowertools('flow-control');
let deps: Promise<ControlDeps> | undefined;
export const handler = createFlowControlHandler(() => (deps ??= controlDepsFromEnv(power.telemetry)), power, createTracer());
