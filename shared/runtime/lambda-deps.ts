/**
 * Composition root of the deployed functions: real SDK clients (honouring AWS_ENDPOINT_URL),
 * the PAN-OS client, the DynamoDB store, SNS and Step Functions, built once per container.
 * Each builder returns only what its function needs, so a bundle carries only those clients.
 */
import { createDynamoDbClient, createEc2Client, createRoute53Client, createSecretsManagerClient, createSfnClient, createSnsClient } from '../adapters/aws/clients.js';
import { DynamoStateStore } from '../adapters/aws/dynamodb-store.js';
import { Ec2Adapter } from '../adapters/aws/ec2.js';
import { Route53Adapter } from '../adapters/aws/route53.js';
import { createSecretReader } from '../adapters/aws/secrets.js';
import { createFlowStarter } from '../adapters/aws/sfn.js';
import { createLogOnlyNotifier, createNotifier } from '../adapters/aws/sns.js';
import { createFirewallApiFactory } from '../adapters/panos/index.js';
import { loadConfigFile } from '../config/load.js';
import type { Telemetry } from '../observability/telemetry.js';
import { systemClock } from '../ports/clock.js';
import type { Notifier } from '../ports/messaging.js';
import type { AwsStepDeps, ControlDeps, FirewallStepDeps } from '../usecases/flow/deps.js';
import type { ProbeDeps, ProbeMemory } from '../usecases/probe.js';
import { readEnvironment } from './environment.js';
import { tcpCanary } from './canary.js';

function notifierFrom(topicArn: string, telemetry: Telemetry): Notifier {
  return topicArn === '' ? createLogOnlyNotifier(telemetry.log) : createNotifier({ client: createSnsClient(), topicArn });
}

export async function probeDepsFromEnv(telemetry: Telemetry): Promise<ProbeDeps> {
  const env = readEnvironment(process.env, ['PAN_FAILOVER_STATE_MACHINE_ARN']);
  const config = await loadConfigFile(env.PAN_FAILOVER_CONFIG);
  return {
    config,
    clock: systemClock,
    telemetry,
    ec2: new Ec2Adapter(createEc2Client()),
    firewalls: createFirewallApiFactory({ secrets: createSecretReader({ client: createSecretsManagerClient() }) }),
    store: new DynamoStateStore<ProbeMemory>({ client: createDynamoDbClient(), tableName: env.PAN_FAILOVER_TABLE }),
    flows: createFlowStarter({ client: createSfnClient(), stateMachineArn: env.PAN_FAILOVER_STATE_MACHINE_ARN ?? '' }),
    notifier: notifierFrom(env.PAN_FAILOVER_TOPIC_ARN, telemetry),
    canary: tcpCanary,
  };
}

export async function controlDepsFromEnv(telemetry: Telemetry): Promise<ControlDeps> {
  const env = readEnvironment();
  return {
    config: await loadConfigFile(env.PAN_FAILOVER_CONFIG),
    clock: systemClock,
    telemetry,
    ec2: new Ec2Adapter(createEc2Client()),
    store: new DynamoStateStore({ client: createDynamoDbClient(), tableName: env.PAN_FAILOVER_TABLE }),
    notifier: notifierFrom(env.PAN_FAILOVER_TOPIC_ARN, telemetry),
  };
}

export async function awsStepDepsFromEnv(telemetry: Telemetry): Promise<AwsStepDeps> {
  const env = readEnvironment();
  return {
    config: await loadConfigFile(env.PAN_FAILOVER_CONFIG),
    clock: systemClock,
    telemetry,
    ec2: new Ec2Adapter(createEc2Client()),
    dns: new Route53Adapter(createRoute53Client()),
  };
}

export async function firewallStepDepsFromEnv(telemetry: Telemetry): Promise<FirewallStepDeps> {
  const env = readEnvironment();
  return {
    config: await loadConfigFile(env.PAN_FAILOVER_CONFIG),
    clock: systemClock,
    telemetry,
    ec2: new Ec2Adapter(createEc2Client()),
    firewalls: createFirewallApiFactory({ secrets: createSecretReader({ client: createSecretsManagerClient() }) }),
    store: new DynamoStateStore({ client: createDynamoDbClient(), tableName: env.PAN_FAILOVER_TABLE }),
  };
}
