/** flow-control's own self-test parts: the topic, the flow's executions, and the scheduled run (shared/runtime/selftest-flow.ts). */
import { createDynamoDbClient, createLambdaClient, createSfnClient, createSnsClient } from '../adapters/aws/clients.js';
import { createFunctionInvoker, createSelftestStore } from '../adapters/aws/selftest.js';
import { createFlowStarter } from '../adapters/aws/sfn.js';
import { createTopicReader } from '../adapters/aws/sns.js';
import { systemClock } from '../ports/clock.js';
import { functionNamesFor } from '../usecases/selftest.js';
import type { ControlSelftestParts } from './selftest-flow.js';

export const controlSelftestParts: ControlSelftestParts = {
  parts: (aws) => {
    const sfn = createSfnClient(aws);
    return { topic: createTopicReader(createSnsClient(aws)), executions: (arn: string) => createFlowStarter({ client: sfn, stateMachineArn: arn }) };
  },
  scheduled: (tableName, prefix, telemetry, aws) => ({
    invoker: createFunctionInvoker(createLambdaClient(aws)),
    clock: systemClock,
    functionNames: functionNamesFor(prefix),
    store: createSelftestStore(createDynamoDbClient(aws), tableName),
    telemetry,
  }),
};
