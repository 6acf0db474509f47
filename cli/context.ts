/**
 * What CLI commands run against: the real AWS SDK clients (credentials and region from the
 * usual chain; AWS_ENDPOINT_URL points them at the simulator) and the PAN-OS client.
 */
import { createDynamoDbClient, createEc2Client, createRoute53Client, createSecretsManagerClient, createSfnClient, createSnsClient, createSsmClient } from '#shared/adapters/aws/clients.js';
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
import { ListStateMachinesCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { ListTopicsCommand, type SNSClient } from '@aws-sdk/client-sns';
import { callAws } from '#shared/adapters/aws/errors.js';
import { DEFAULT_STAGE, STAGE_PATTERN, stageNames } from '../infra/names.js';
import { UsageError } from './exit.js';
import { AwsError } from '#shared/errors.js';

export interface CliOptions {
  readonly config: string;
  readonly region?: string;
  readonly profile?: string;
  /** The deployment's stage: names its table, state machine and topic (infra/names.ts). */
  readonly stage?: string;
  readonly table?: string;
  readonly topicArn?: string;
  readonly stateMachineArn?: string;
  readonly verbose?: boolean;
}

/** Log lines the CLI reports itself (as its one error line or in its output): shown with -v only. */
const REPORTED_BY_THE_CLI: ReadonlySet<string> = new Set(['probe round failed', 'describe instances failed', 'describe placement failed']);

function stderrLog(verbose: boolean): Log {
  const out = (level: string) => (message: string, fields?: Readonly<Record<string, unknown>>) => {
    if (!verbose && (level === 'debug' || level === 'info' || REPORTED_BY_THE_CLI.has(message))) return;
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

/** The stage named by `--stage` or PAN_FAILOVER_STAGE, checked; undefined when neither is set. */
export function explicitStage(options: Pick<CliOptions, 'stage'>): string | undefined {
  const stage = options.stage ?? (process.env.PAN_FAILOVER_STAGE || undefined);
  if (stage !== undefined && !STAGE_PATTERN.test(stage)) {
    throw new UsageError(`--stage "${stage}" is not a stage name`, 'a stage is 1 to 16 lower-case letters, digits or dashes, as given to `npm run package -- --stage`');
  }
  return stage;
}

export function tableName(options: Pick<CliOptions, 'table' | 'stage'>): string {
  const stage = explicitStage(options);
  // --stage names the deployment: it wins over the environment's table (--table wins over both).
  if (options.table) return options.table;
  if (options.stage) return stageNames(options.stage).table;
  return process.env.PAN_FAILOVER_TABLE || stageNames(stage ?? DEFAULT_STAGE).table;
}

/**
 * The state machine to start: `--state-machine-arn`, PAN_FAILOVER_STATE_MACHINE_ARN, or the
 * stage's state machine found by name (ListStateMachines). Undefined when none is named.
 */
export async function stateMachineArnOf(options: CliOptions, sfn: () => SFNClient): Promise<string | undefined> {
  const named = options.stateMachineArn ?? (process.env.PAN_FAILOVER_STATE_MACHINE_ARN || undefined);
  if (named) return named;
  const stage = explicitStage(options);
  if (stage === undefined) return undefined;
  const { stateMachine } = stageNames(stage);
  let nextToken: string | undefined;
  do {
    const page = await callAws({ operation: 'states:ListStateMachines' }, () => sfn().send(new ListStateMachinesCommand({ nextToken })));
    const found = page.stateMachines?.find((m) => m.name === stateMachine);
    if (found?.stateMachineArn) return found.stateMachineArn;
    nextToken = page.nextToken;
  } while (nextToken);
  throw new UsageError(`no state machine named ${stateMachine} (stage ${stage}) in this account and region`, 'check --stage, --region and --profile, or pass --state-machine-arn ARN');
}

/** The topic of `--topic-arn`, PAN_FAILOVER_TOPIC_ARN, or the named stage's topic (ListTopics); else none. */
export async function topicArnOf(options: CliOptions, sns: () => SNSClient): Promise<string | undefined> {
  const named = options.topicArn ?? (process.env.PAN_FAILOVER_TOPIC_ARN || undefined);
  if (named) return named;
  const stage = explicitStage(options);
  if (stage === undefined) return undefined;
  const { topic } = stageNames(stage);
  let nextToken: string | undefined;
  do {
    const page = await callAws({ operation: 'sns:ListTopics' }, () => sns().send(new ListTopicsCommand({ NextToken: nextToken })));
    const found = page.Topics?.find((t) => t.TopicArn?.endsWith(`:${topic}`));
    if (found?.TopicArn) return found.TopicArn;
    nextToken = page.NextToken;
  } while (nextToken);
  throw new UsageError(`no SNS topic named ${topic} (stage ${stage}) in this account and region`, 'check --stage, --region and --profile, or pass --topic-arn ARN');
}

export function cliDeps(config: Config, options: CliOptions, clock: Clock = systemClock): FlowDeps & Pick<ProbeDeps, 'flows' | 'canary'> & { store: DynamoStateStore<ProbeMemory> } {
  const aws = { region: options.region };
  const telemetry = cliTelemetry(options.verbose);
  const topicArn = options.topicArn ?? process.env.PAN_FAILOVER_TOPIC_ARN ?? '';
  const sm = options.stateMachineArn ?? process.env.PAN_FAILOVER_STATE_MACHINE_ARN ?? '';
  if (options.profile) process.env.AWS_PROFILE = options.profile;
  return {
    config,
    clock,
    telemetry,
    ec2: new Ec2Adapter(createEc2Client(aws)),
    dns: new Route53Adapter(createRoute53Client(aws)),
    store: namingTheTable(new DynamoStateStore<ProbeMemory>({ client: createDynamoDbClient(aws), tableName: tableName(options) }), tableName(options), options),
    notifier: topicArn ? createNotifier({ client: createSnsClient(aws), topicArn, chatbot: config.notifications.chatbot }) : createLogOnlyNotifier(telemetry.log),
    firewalls: createFirewallApiFactory({ secrets: createSecretReader({ client: createSecretsManagerClient(aws), ssm: createSsmClient(aws) }) }),
    flows: sm
      ? createFlowStarter({ client: createSfnClient(aws), stateMachineArn: sm })
      : {
          start: () => Promise.reject(new UsageError('no deployed state machine named', 'pass --stage STAGE (or --state-machine-arn ARN) to start the deployed flow, or --local to run it in this process')),
          status: () => Promise.resolve(undefined),
        },
    canary: tcpCanary,
  };
}

/** Refuses an unknown `--pair` before anything is read (exit 64). */
export function requirePair(pairs: readonly { name: string }[], pair: string | undefined): void {
  if (pair !== undefined && !pairs.some((p) => p.name === pair)) {
    throw new UsageError(`unknown pair "${pair}"`, `the configuration has ${pairs.map((p) => p.name).join(', ')}`);
  }
}

/**
 * The store, with a missing table reported as what it almost always is: the wrong deployment
 * named (exit 64, naming the table and how to name the right one).
 */
function namingTheTable<T extends object>(store: T, table: string, options: Pick<CliOptions, 'region'>): T {
  return new Proxy(store, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const out: unknown = Reflect.apply(value as (...a: unknown[]) => unknown, target, args);
        if (!(out instanceof Promise)) return out;
        return out.catch((e: unknown) => {
          if (e instanceof AwsError && e.awsCode === 'ResourceNotFoundException') {
            throw new UsageError(
              `the state table ${table} does not exist in ${options.region ?? process.env.AWS_REGION ?? 'this region'}`,
              'name the deployment with --stage STAGE (or --table NAME; `npm run package` printed its names), and check --region/--profile',
              { cause: e },
            );
          }
          throw e;
        });
      };
    },
  });
}
