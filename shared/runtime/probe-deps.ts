/** Composition root of the health-probe function (one builder per function keeps bundles lean). */
import { createDynamoDbClient, createEc2Client, createSecretsManagerClient, createSfnClient, createSsmClient } from '../adapters/aws/clients.js';
import { DynamoStateStore } from '../adapters/aws/dynamodb-store.js';
import { Ec2Adapter } from '../adapters/aws/ec2.js';
import { createSecretReader } from '../adapters/aws/secrets.js';
import { createFlowStarter } from '../adapters/aws/sfn.js';
import { createFirewallApiFactory } from '../adapters/panos/index.js';
import { loadJsonConfigFile } from '../config/load-json.js';
import type { Telemetry } from '../observability/telemetry.js';
import { systemClock } from '../ports/clock.js';
import type { ProbeDeps, ProbeMemory } from '../usecases/probe.js';
import { tcpCanary } from './canary.js';
import { readEnvironment } from './environment.js';
import { notifierFrom } from './notifier.js';

export async function probeDepsFromEnv(telemetry: Telemetry): Promise<ProbeDeps> {
  const env = readEnvironment(process.env, ['PAN_FAILOVER_STATE_MACHINE_ARN']);
  const config = await loadJsonConfigFile(env.PAN_FAILOVER_CONFIG);
  return {
    config,
    clock: systemClock,
    telemetry,
    ec2: new Ec2Adapter(createEc2Client()),
    firewalls: createFirewallApiFactory({ secrets: createSecretReader({ client: createSecretsManagerClient(), ssm: createSsmClient() }) }),
    store: new DynamoStateStore<ProbeMemory>({ client: createDynamoDbClient(), tableName: env.PAN_FAILOVER_TABLE }),
    flows: createFlowStarter({ client: createSfnClient(), stateMachineArn: env.PAN_FAILOVER_STATE_MACHINE_ARN ?? '' }),
    notifier: notifierFrom(env.PAN_FAILOVER_TOPIC_ARN, telemetry, { chatbot: config.notifications.chatbot }),
    canary: tcpCanary,
    stateMachineArn: env.PAN_FAILOVER_STATE_MACHINE_ARN,
  };
}
