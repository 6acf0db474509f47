/** Composition roots of the three flow functions. */
import { createDynamoDbClient, createEc2Client, createRoute53Client, createSecretsManagerClient, createSfnClient } from '../adapters/aws/clients.js';
import { createFlowStarter } from '../adapters/aws/sfn.js';
import { DynamoStateStore } from '../adapters/aws/dynamodb-store.js';
import { Ec2Adapter } from '../adapters/aws/ec2.js';
import { Route53Adapter } from '../adapters/aws/route53.js';
import { createSecretReader } from '../adapters/aws/secrets.js';
import { createFirewallApiFactory } from '../adapters/panos/index.js';
import { loadJsonConfigFile } from '../config/load-json.js';
import type { Telemetry } from '../observability/telemetry.js';
import { systemClock } from '../ports/clock.js';
import type { AwsStepDeps, ControlDeps, FirewallStepDeps } from '../usecases/flow/deps.js';
import { readEnvironment } from './environment.js';
import { notifierFrom } from './notifier.js';

export async function controlDepsFromEnv(telemetry: Telemetry): Promise<ControlDeps> {
  const env = readEnvironment();
  return {
    config: await loadJsonConfigFile(env.PAN_FAILOVER_CONFIG),
    clock: systemClock,
    telemetry,
    ec2: new Ec2Adapter(createEc2Client()),
    dns: new Route53Adapter(createRoute53Client()),
    store: new DynamoStateStore({ client: createDynamoDbClient(), tableName: env.PAN_FAILOVER_TABLE }),
    notifier: notifierFrom(env.PAN_FAILOVER_TOPIC_ARN, telemetry),
    flows: env.PAN_FAILOVER_STATE_MACHINE_ARN
      ? createFlowStarter({ client: createSfnClient(), stateMachineArn: env.PAN_FAILOVER_STATE_MACHINE_ARN })
      : undefined,
  };
}

export async function awsStepDepsFromEnv(telemetry: Telemetry): Promise<AwsStepDeps> {
  const env = readEnvironment();
  return {
    config: await loadJsonConfigFile(env.PAN_FAILOVER_CONFIG),
    clock: systemClock,
    telemetry,
    ec2: new Ec2Adapter(createEc2Client()),
    dns: new Route53Adapter(createRoute53Client()),
  };
}

export async function firewallStepDepsFromEnv(telemetry: Telemetry): Promise<FirewallStepDeps> {
  const env = readEnvironment();
  return {
    config: await loadJsonConfigFile(env.PAN_FAILOVER_CONFIG),
    clock: systemClock,
    telemetry,
    ec2: new Ec2Adapter(createEc2Client()),
    firewalls: createFirewallApiFactory({ secrets: createSecretReader({ client: createSecretsManagerClient() }) }),
    store: new DynamoStateStore({ client: createDynamoDbClient(), tableName: env.PAN_FAILOVER_TABLE }),
  };
}
