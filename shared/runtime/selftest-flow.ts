/**
 * The self-test of the functions outside the VPC (flow-aws, flow-control): their ports from the
 * environment, built at the first self-test event, so a flow step never pays for the IAM client.
 * flow-control also runs the scheduled self-test (it invokes the four functions).
 */
import { createDynamoDbClient, createEc2Client, createIamClient, createRoute53Client, type AwsClientOptions } from '../adapters/aws/clients.js';
import { DynamoStateStore } from '../adapters/aws/dynamodb-store.js';
import { Ec2Adapter } from '../adapters/aws/ec2.js';
import { Route53Adapter } from '../adapters/aws/route53.js';
import { createPolicySimulator } from '../adapters/aws/selftest.js';
import { loadJsonConfigFile } from '../config/load-json.js';
import type { Config } from '../config/schema.js';
import type { Telemetry } from '../observability/telemetry.js';
import {
  functionReport,
  isScheduledSelftestEvent,
  isSelftestEvent,
  scheduledSelftest,
  selftestFlowAws,
  selftestFlowControl,
  type FlowSideDeps,
  type ScheduledSelftestDeps,
  type SelftestIdentity,
} from '../usecases/selftest.js';
import { readEnvironment } from './environment.js';
import { selftestIdentity, type SelftestHook } from './selftest-hook.js';

type FlowSideFn = 'flow-aws' | 'flow-control';

/**
 * flow-control's extra parts: the topic and the executions it reads, and the scheduled run (it
 * invokes the four functions). Built by shared/runtime/selftest-control.ts, so flow-aws's bundle
 * carries no SNS, Step Functions or Lambda client.
 */
export interface ControlSelftestParts {
  readonly parts: (aws?: AwsClientOptions) => Pick<FlowSideDeps, 'topic' | 'executions'>;
  readonly scheduled: (tableName: string, prefix: string, telemetry: Telemetry, aws?: AwsClientOptions) => ScheduledSelftestDeps;
}

/** `aws`: the clients' options (the simulator signs each function's calls with its role's key). */
export function flowSideSelftestDeps(config: Config, identity: SelftestIdentity, aws?: AwsClientOptions, control?: ControlSelftestParts): FlowSideDeps {
  return {
    config,
    ec2: new Ec2Adapter(createEc2Client(aws)),
    dns: new Route53Adapter(createRoute53Client(aws)),
    store: new DynamoStateStore({ client: createDynamoDbClient(aws), tableName: identity.tableName }),
    iam: createPolicySimulator(createIamClient(aws)),
    identity,
    ...(control ? control.parts(aws) : {}),
  };
}

export function flowSelftestHook(fn: FlowSideFn, getDeps: () => Promise<FlowSideDeps>, getScheduled?: () => Promise<ScheduledSelftestDeps>): SelftestHook {
  return (event) => {
    if (isSelftestEvent(event)) return getDeps().then(async (deps) => functionReport(fn, await (fn === 'flow-aws' ? selftestFlowAws : selftestFlowControl)(deps, event)));
    if (getScheduled && isScheduledSelftestEvent(event)) return getScheduled().then((deps) => scheduledSelftest(deps, event));
    return undefined;
  };
}

export function deployedFlowSelftestHook(fn: FlowSideFn, telemetry: Telemetry, control?: ControlSelftestParts): SelftestHook {
  let deps: Promise<FlowSideDeps> | undefined;
  return flowSelftestHook(
    fn,
    () =>
      (deps ??= (async () => {
        const env = readEnvironment();
        return flowSideSelftestDeps(await loadJsonConfigFile(env.PAN_FAILOVER_CONFIG), selftestIdentity(env), undefined, control);
      })()),
    control
      ? // Its own name (`<prefix>-flow-control`) gives the deployment's prefix.
        () => Promise.resolve(control.scheduled(readEnvironment().PAN_FAILOVER_TABLE, (process.env.AWS_LAMBDA_FUNCTION_NAME ?? '').replace(/-flow-control$/, ''), telemetry))
      : undefined,
  );
}
