/**
 * What CLI commands run against: the real AWS SDK clients (credentials and region from the
 * usual chain; AWS_ENDPOINT_URL points them at the simulator) and the PAN-OS client.
 */
import { createDynamoDbClient, createEc2Client, createRoute53Client, createSecretsManagerClient, createSfnClient, createSnsClient } from '#shared/adapters/aws/clients.js';
import { DynamoStateStore } from '#shared/adapters/aws/dynamodb-store.js';
import { Ec2Adapter } from '#shared/adapters/aws/ec2.js';
import { Route53Adapter } from '#shared/adapters/aws/route53.js';
import { createSecretReader } from '#shared/adapters/aws/secrets.js';
import { createFlowStarter } from '#shared/adapters/aws/sfn.js';
import { createLogOnlyNotifier, createNotifier } from '#shared/adapters/aws/sns.js';
import { createFirewallApiFactory } from '#shared/adapters/panos/index.js';
import { loadConfigFile } from '#shared/config/load.js';
import type { Config } from '#shared/config/schema.js';
import type { Log, Telemetry } from '#shared/observability/telemetry.js';
import { systemClock, type Clock } from '#shared/ports/clock.js';
import type { FlowDeps } from '#shared/usecases/flow/deps.js';
import type { ProbeDeps, ProbeMemory } from '#shared/usecases/probe.js';
import { tcpCanary } from '#shared/runtime/canary.js';

export interface CliOptions {
  readonly config: string;
  readonly region?: string;
  readonly table?: string;
  readonly topicArn?: string;
  readonly stateMachineArn?: string;
  readonly verbose?: boolean;
}

function stderrLog(verbose: boolean): Log {
  const out = (level: string) => (message: string, fields?: Readonly<Record<string, unknown>>) => {
    if (!verbose && (level === 'debug' || level === 'info')) return;
    process.stderr.write(`${level} ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}\n`);
  };
  return { debug: out('debug'), info: out('info'), warn: out('warn'), error: out('error') };
}

export function cliTelemetry(verbose = false): Telemetry {
  return { log: stderrLog(verbose), metrics: { add: () => undefined } };
}

export async function cliConfig(options: CliOptions): Promise<Config> {
  return loadConfigFile(options.config);
}

function tableName(options: CliOptions): string {
  return options.table ?? process.env.PAN_FAILOVER_TABLE ?? 'pan-failover-state';
}

export function cliDeps(config: Config, options: CliOptions, clock: Clock = systemClock): FlowDeps & Pick<ProbeDeps, 'flows' | 'canary'> & { store: DynamoStateStore<ProbeMemory> } {
  const aws = { region: options.region };
  const telemetry = cliTelemetry(options.verbose);
  const topicArn = options.topicArn ?? process.env.PAN_FAILOVER_TOPIC_ARN ?? '';
  const sm = options.stateMachineArn ?? process.env.PAN_FAILOVER_STATE_MACHINE_ARN ?? '';
  return {
    config,
    clock,
    telemetry,
    ec2: new Ec2Adapter(createEc2Client(aws)),
    dns: new Route53Adapter(createRoute53Client(aws)),
    store: new DynamoStateStore<ProbeMemory>({ client: createDynamoDbClient(aws), tableName: tableName(options) }),
    notifier: topicArn ? createNotifier({ client: createSnsClient(aws), topicArn }) : createLogOnlyNotifier(telemetry.log),
    firewalls: createFirewallApiFactory({ secrets: createSecretReader({ client: createSecretsManagerClient(aws) }) }),
    flows: sm
      ? createFlowStarter({ client: createSfnClient(aws), stateMachineArn: sm })
      : {
          start: () => Promise.reject(new Error('no state machine ARN: pass --state-machine-arn or use --local')),
          status: () => Promise.resolve(undefined),
        },
    canary: tcpCanary,
  };
}
