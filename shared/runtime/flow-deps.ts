/**
 * Composition roots of the three flow functions. Every SDK client goes through `capture`: the
 * handlers pass `tracedClients(tracer)`, so each AWS call is an X-Ray subsegment
 * (shared/observability/tracing.ts).
 */
import { createDynamoDbClient, createEc2Client, createRoute53Client, createSecretsManagerClient, createSfnClient, createSsmClient } from '../adapters/aws/clients.js';
import { DynamoStateStore } from '../adapters/aws/dynamodb-store.js';
import { Ec2Adapter } from '../adapters/aws/ec2.js';
import { Route53Adapter } from '../adapters/aws/route53.js';
import { createSecretReader } from '../adapters/aws/secrets.js';
import { createFlowStarter } from '../adapters/aws/sfn.js';
import { createFirewallApiFactory } from '../adapters/panos/index.js';
import { loadJsonConfigFile } from '../config/load-json.js';
import type { Config } from '../config/schema.js';
import type { Telemetry } from '../observability/telemetry.js';
import type { ClientCapture } from '../observability/tracing.js';
import { systemClock, type Clock } from '../ports/clock.js';
import type { Ec2Port } from '../ports/ec2.js';
import type { AwsStepDeps, ControlDeps, FirewallStepDeps } from '../usecases/flow/deps.js';
import { readEnvironment, type Environment } from './environment.js';
import { notifierFrom } from './notifier.js';

interface Base {
  readonly env: Environment;
  readonly config: Config;
  readonly clock: Clock;
  readonly telemetry: Telemetry;
  readonly ec2: Ec2Port;
}

const untraced: ClientCapture = (client) => client;

/** What every flow function has: its environment, configuration, clock, telemetry and EC2. */
async function base(telemetry: Telemetry, capture: ClientCapture): Promise<Base> {
  const env = readEnvironment();
  return { env, config: await loadJsonConfigFile(env.PAN_FAILOVER_CONFIG), clock: systemClock, telemetry, ec2: new Ec2Adapter(capture(createEc2Client())) };
}

let sfnClient: ReturnType<typeof createSfnClient> | undefined;
const sfn = (capture: ClientCapture) => (sfnClient ??= capture(createSfnClient()));

const store = (env: Environment, capture: ClientCapture) =>
  new DynamoStateStore({ client: capture(createDynamoDbClient()), tableName: env.PAN_FAILOVER_TABLE });

export async function controlDepsFromEnv(telemetry: Telemetry, capture: ClientCapture = untraced): Promise<ControlDeps> {
  const { env, ...common } = await base(telemetry, capture);
  return {
    ...common,
    dns: new Route53Adapter(capture(createRoute53Client())),
    store: store(env, capture),
    notifier: notifierFrom(env.PAN_FAILOVER_TOPIC_ARN, telemetry, { chatbot: common.config.notifications.chatbot }, capture),
    // The state machine's ARN comes from the execution's context: no circular reference between
    // the function and the state machine in the deployment.
    executions: (stateMachineArn) => createFlowStarter({ client: sfn(capture), stateMachineArn }),
  };
}

export async function awsStepDepsFromEnv(telemetry: Telemetry, capture: ClientCapture = untraced): Promise<AwsStepDeps> {
  const { env, ...common } = await base(telemetry, capture);
  return { ...common, dns: new Route53Adapter(capture(createRoute53Client())), store: store(env, capture) };
}

export async function firewallStepDepsFromEnv(telemetry: Telemetry, capture: ClientCapture = untraced): Promise<FirewallStepDeps> {
  const { env, ...common } = await base(telemetry, capture);
  return {
    ...common,
    firewalls: createFirewallApiFactory({ secrets: createSecretReader({ client: capture(createSecretsManagerClient()), ssm: capture(createSsmClient()) }) }),
    store: store(env, capture),
  };
}
