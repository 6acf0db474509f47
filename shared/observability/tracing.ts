/**
 * X-Ray tracing of the flow functions (Powertools Tracer: one segment per invocation, with the
 * step as an annotation). The health probe does without it: the tracer and the X-Ray SDK add
 * about 125 KiB to a bundle that must stay under 1 MiB for its cold start; Lambda's own active
 * tracing still records its invocations.
 */
import { Tracer } from '@aws-lambda-powertools/tracer';
import { SERVICE_NAME } from './powertools.js';

export function createTracer(): Tracer {
  return new Tracer({ serviceName: SERVICE_NAME });
}
