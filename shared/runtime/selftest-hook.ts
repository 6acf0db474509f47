/** How a deployed function answers a self-test event (shared/usecases/selftest.ts) before its usual work. */
import type { Environment } from './environment.js';
import type { SelftestIdentity } from '../usecases/selftest.js';

/** A self-test event gets its report (a promise); anything else `undefined`, and the handler goes on. */
export type SelftestHook = (event: unknown) => Promise<unknown> | undefined;

/** A Lambda handler that answers self-test events through `hook`, and every other event as before. */
export function withSelftest<E, C, R>(handler: (event: E, context: C) => Promise<R>, hook: SelftestHook): (event: E, context: C) => Promise<unknown> {
  return (event, context) => hook(event) ?? handler(event, context);
}

export function selftestIdentity(env: Environment): SelftestIdentity {
  // Lambda names the function in AWS_LAMBDA_FUNCTION_NAME: `<prefix>-<function>`.
  const functionPrefix = (process.env.AWS_LAMBDA_FUNCTION_NAME ?? '').replace(/-(health-probe|flow-control|flow-aws|flow-firewall)$/, '');
  return {
    roleArn: env.PAN_FAILOVER_ROLE_ARN,
    region: process.env.AWS_REGION ?? '',
    tableName: env.PAN_FAILOVER_TABLE,
    topicArn: env.PAN_FAILOVER_TOPIC_ARN || undefined,
    ...(functionPrefix === '' ? {} : { functionPrefix }),
  };
}
