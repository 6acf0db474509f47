/**
 * The one shape of the three flow functions' handlers: middy with the Powertools logger (and,
 * when given, the tracer, annotated with the step), around one dispatch table.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { Powertools } from '../observability/powertools.js';

export function createStepHandler<D, R>(
  run: (deps: D, event: unknown) => Promise<R>,
  getDeps: () => Promise<D>,
  power: Powertools,
  tracer?: Tracer,
) {
  const handler = middy(async (event: unknown) => {
    const step = (event as { step?: unknown } | null)?.step;
    if (tracer && typeof step === 'string') tracer.putAnnotation('step', step);
    return run(await getDeps(), event);
  }).use(injectLambdaContext(power.logger));
  return tracer ? handler.use(captureLambdaHandler(tracer)) : handler;
}
