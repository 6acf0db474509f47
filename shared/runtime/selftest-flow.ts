/**
 * The self-test of the functions outside the VPC (flow-aws, flow-control): their ports from the
 * environment, built at the first self-test event, so a flow step never pays for the IAM client.
 * flow-control also runs the scheduled self-test (it invokes the four functions).
 */
import { createDynamoDbClient, createEc2Client, createIamClient, createLambdaClient, createRoute53Client, createSfnClient, createSnsClient, type AwsClientOptions } from '../adapters/aws/clients.js';
import { DynamoStateStore } from '../adapters/aws/dynamodb-store.js';
import { Ec2Adapter } from '../adapters/aws/ec2.js';
import { Route53Adapter } from '../adapters/aws/route53.js';
import { createFunctionInvoker, createPolicySimulator, createSelftestStore } from '../adapters/aws/selftest.js';
import { createTopicReader } from '../adapters/aws/sns.js';
import { createFlowStarter } from '../adapters/aws/sfn.js';
import { loadJsonConfigFile } from '../config/load-json.js';
import type { Config } from '../config/schema.js';
import type { Telemetry } from '../observability/telemetry.js';
import { systemClock } from '../ports/clock.js';
import {
  functionNamesFor,
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

/** `aws`: the clients' options (the simulator signs each function's calls with its role's key). */
export function flowSideSelftestDeps(config: Config, identity: SelftestIdentity, fn: FlowSideFn, aws?: AwsClientOptions): FlowSideDeps {
  const sfn = createSfnClient(aws);
  return {
    config,
    ec2: new Ec2Adapter(createEc2Client(aws)),
    dns: new Route53Adapter(createRoute53Client(aws)),
    store: new DynamoStateStore({ client: createDynamoDbClient(aws), tableName: identity.tableName }),
    iam: createPolicySimulator(createIamClient(aws)),
    identity,
    ...(fn === 'flow-control' ? { topic: createTopicReader(createSnsClient(aws)), executions: (arn: string) => createFlowStarter({ client: sfn, stateMachineArn: arn }) } : {}),
  };
}

/** flow-control's scheduled run: it invokes the four functions (named `<prefix>-<function>`). */
export function scheduledSelftestDeps(tableName: string, prefix: string, telemetry: Telemetry, aws?: AwsClientOptions): ScheduledSelftestDeps {
  return {
    invoker: createFunctionInvoker(createLambdaClient(aws)),
    clock: systemClock,
    functionNames: functionNamesFor(prefix),
    store: createSelftestStore(createDynamoDbClient(aws), tableName),
    telemetry,
  };
}

export function flowSelftestHook(fn: FlowSideFn, getDeps: () => Promise<FlowSideDeps>, getScheduled?: () => Promise<ScheduledSelftestDeps>): SelftestHook {
  return (event) => {
    if (isSelftestEvent(event)) return getDeps().then(async (deps) => functionReport(fn, await (fn === 'flow-aws' ? selftestFlowAws : selftestFlowControl)(deps, event)));
    if (getScheduled && isScheduledSelftestEvent(event)) return getScheduled().then((deps) => scheduledSelftest(deps, event));
    return undefined;
  };
}

export function deployedFlowSelftestHook(fn: FlowSideFn, telemetry: Telemetry): SelftestHook {
  let deps: Promise<FlowSideDeps> | undefined;
  return flowSelftestHook(
    fn,
    () =>
      (deps ??= (async () => {
        const env = readEnvironment();
        return flowSideSelftestDeps(await loadJsonConfigFile(env.PAN_FAILOVER_CONFIG), selftestIdentity(env), fn);
      })()),
    fn === 'flow-control'
      ? // Its own name (`<prefix>-flow-control`) gives the deployment's prefix.
        () => Promise.resolve(scheduledSelftestDeps(readEnvironment().PAN_FAILOVER_TABLE, (process.env.AWS_LAMBDA_FUNCTION_NAME ?? '').replace(/-flow-control$/, ''), telemetry))
      : undefined,
  );
}
