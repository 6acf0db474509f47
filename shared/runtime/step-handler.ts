/**
 * The one shape of the three flow functions' handlers: middy with the Powertools logger (and,
 * when given, the tracer, annotated with the step), around one dispatch table. Each invocation's
 * steps run on a clock that carries the invocation's deadline (its Lambda's remaining time, less
 * what returning takes): no retry, poll or move is begun that could not end before it, so a step
 * returns (or fails, to be retried) before Lambda would stop it half-way.
 * A self-test event goes to the function's self-test hook instead (shared/runtime/selftest-hook.ts).
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { Context } from 'aws-lambda';
import type { Powertools } from '../observability/powertools.js';
import { withDeadline, type Clock } from '../ports/clock.js';

/** Kept free at the end of every invocation: returning the state, flushing logs, metrics and traces. */
export const RETURN_RESERVE_MS = 5_000;

export function createStepHandler<D extends { readonly clock: Clock }, R>(
  run: (deps: D, event: unknown) => Promise<R>,
  getDeps: () => Promise<D>,
  power: Powertools,
  tracer?: Tracer,
  selftest?: (event: unknown) => Promise<unknown> | undefined,
) {
  const handler = middy(async (event: unknown, context: Context) => {
    // A self-test event (pan-failover selftest) is answered by the function's self-test, not a step.
    const report = selftest?.(event);
    if (report !== undefined) return report;
    const step = (event as { step?: unknown } | null)?.step;
    if (tracer && typeof step === 'string') tracer.putAnnotation('step', step);
    const deps = await getDeps();
    const remaining = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : undefined;
    const bounded = remaining === undefined ? deps : { ...deps, clock: withDeadline(deps.clock, deps.clock.now() + remaining - RETURN_RESERVE_MS) };
    return run(bounded, event);
  }).use(injectLambdaContext(power.logger));
  return tracer ? handler.use(captureLambdaHandler(tracer)) : handler;
}
