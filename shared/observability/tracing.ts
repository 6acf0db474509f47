/**
 * X-Ray tracing of the flow functions (Powertools Tracer: one segment per invocation, with the
 * step as an annotation, and one subsegment per AWS SDK call, named for the service). The health
 * probe does without it: the tracer and the X-Ray SDK add about 125 KiB to a bundle that must
 * stay under 1 MiB for its cold start; Lambda's own active tracing still records its invocations.
 *
 * The tracer is off outside Lambda (no `AWS_EXECUTION_ENV`: the simulator, the CLI, the tests)
 * and with `POWERTOOLS_TRACE_ENABLED=false`; then it captures nothing and nothing is sent.
 */
import { Tracer } from '@aws-lambda-powertools/tracer';
import { SERVICE_NAME } from './powertools.js';

export function createTracer(): Tracer {
  return new Tracer({ serviceName: SERVICE_NAME });
}

/** Returns an SDK v3 client whose calls are traced (or the client as it was). */
export type ClientCapture = <C extends object>(client: C) => C;

/**
 * Each call of a client given to it becomes a subsegment of the invocation's segment, named for
 * the service (`EC2`, `DynamoDB`, ...), with the operation, the request id and the number of
 * attempts. Powertools' `captureAWSv3Client` adds one middleware at the SDK's build step, so the
 * subsegment spans the SDK's attempts and leaves the client's endpoint (`AWS_ENDPOINT_URL`),
 * retry strategy (one retry layer per call) and local-only guard as they were. A no-op when the
 * tracer is off.
 */
export function tracedClients(tracer: Tracer): ClientCapture {
  return (client) => tracer.captureAWSv3Client(client);
}
