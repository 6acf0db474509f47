/**
 * The whole system on one machine: the simulated AWS world and its wire server, one simulated
 * PAN-OS firewall per configured firewall, and the controller "as deployed": the real Lambda
 * handlers (probe and flow steps) with real SDK clients pointed at the simulator through
 * AWS_ENDPOINT_URL, the real state machine definition run by the local runner as the
 * simulator's Step Functions, EventBridge's one-minute schedule invoking the probe, and the
 * EC2 status-check alarms wired to the state machine. One clock drives all of it.
 *
 * `transport: 'direct'` swaps the SDK adapters for the world's direct ports (same semantics,
 * no HTTP), for fast tests; the end-to-end suite and `npm start` use `wire`.
 */
import '#shared/polyfills.js';
import type { Context } from 'aws-lambda';
import { randomBytes } from 'node:crypto';
import { createDynamoDbClient, createEc2Client, createRoute53Client, createSecretsManagerClient, createSfnClient, createSnsClient, createSsmClient } from '#shared/adapters/aws/clients.js';
import { DynamoStateStore } from '#shared/adapters/aws/dynamodb-store.js';
import { Ec2Adapter } from '#shared/adapters/aws/ec2.js';
import { Route53Adapter } from '#shared/adapters/aws/route53.js';
import { createSecretReader } from '#shared/adapters/aws/secrets.js';
import { createFlowStarter } from '#shared/adapters/aws/sfn.js';
import { createNotifier } from '#shared/adapters/aws/sns.js';
import { createFirewallApiFactory } from '#shared/adapters/panos/index.js';
import { loadDefinition, prepareLocalRunner, PROBE_LOOP_DEFINITION_PATH, runFlowLocally, type AslDefinition, type LocalRunResult } from '#shared/adapters/sfn-local/runner.js';
import { validateConfig } from '#shared/config/load.js';
import { isolateFromRealAws } from '#shared/runtime/local-aws.js';
import type { Config, PairConfig } from '#shared/config/schema.js';
import { ROLES } from '#shared/config/schema.js';
import { planCutover, type PairPlacement } from '#shared/domain/placement.js';
import type { Ec2Port } from '#shared/ports/ec2.js';
import type { DnsPort } from '#shared/ports/dns.js';
import type { FirewallApiFactory } from '#shared/ports/firewall.js';
import type { FlowStarter, Notifier, SecretReader } from '#shared/ports/messaging.js';
import type { DrillStore, LockStore, OwnerStore, PauseStore, ProbeStateStore } from '#shared/ports/store.js';
import { readPlacement } from '#shared/usecases/placement.js';
import { pairConsistency } from '#shared/domain/consistency.js';
import type { FlowState } from '#shared/usecases/flow/state.js';
import type { ProbeMemory } from '#shared/usecases/probe.js';
import { createProbeHandler, type ProbeSummary } from '#functions/health-probe/handler.js';
import { createFlowControlHandler } from '#functions/flow-control/handler.js';
import { createFlowAwsHandler } from '#functions/flow-aws/handler.js';
import { createFlowFirewallHandler } from '#functions/flow-firewall/handler.js';
import { controlSelftestParts } from '#shared/runtime/selftest-control.js';
import { flowSelftestHook, flowSideSelftestDeps } from '#shared/runtime/selftest-flow.js';
import type { SelftestHook } from '#shared/runtime/selftest-hook.js';
import { probeSelftestParts } from '#shared/runtime/selftest-probe.js';
import { vpcSelftestHook, vpcSideSelftestDeps, withSelftest } from '#shared/runtime/selftest-vpc.js';
import { SimClock } from './clock.js';
import { startAwsSimulator, type AwsSimulator } from './aws/server.js';
import { startPanosSimulator, type FaultPatch, type FirewallProfileInput, type SimFirewall } from './panos/index.js';
import { World } from './world/world.js';
import { createDirectPorts, type DirectPorts } from './world/ports.js';
import type { FaultSpecInput } from './world/faults.js';
import type { WorldTimings } from './world/context.js';
import type { ExecutionRecord } from './world/sfn.js';
import { profileFromConfig } from './scenario/firewall-profile.js';
import { SIM_STATE_MACHINE, SIM_TABLE, SIM_TOPIC, topologyFromConfig } from './scenario/topology-from-config.js';
import { lambdaContext, LambdaCrash, mortalEc2, simPowertools, type CapturedLog, type CrashPlan } from './runtime/lambda.js';
import { createPolicyEvaluator, IamEvaluationError, warmPolicyEvaluator } from './iam/evaluator.js';
import { FUNCTION_KEYS, simAccessKeyId, simPrincipals, simulatedDeployment, type SimRolesOptions } from './iam/deployed-roles.js';
import type { AuthorizationRequest, IamPrincipal, IamRecord } from './world/iam.js';
import { iamNormalizedName } from './world/route53.js';
import { FUNCTIONS, type FunctionKey } from '../infra/deployment.js';


/** The deployed probe's Lambda timeout (serverless.yml). */
const PROBE_LAMBDA_TIMEOUT_MS = 75_000;
let probeLoop: AslDefinition | undefined;
const probeLoopDefinition = () => (probeLoop ??= loadDefinition(PROBE_LOOP_DEFINITION_PATH));

export type Transport = 'wire' | 'direct';

export interface FirewallSetup {
  readonly profile?: FirewallProfileInput;
  readonly faults?: FaultPatch;
}

export interface SimSystemOptions {
  /** The deployment's configuration, with its VPC management addresses (default: examples/hq-egress.yaml). */
  readonly config: Config;
  /** Simulated seconds per real second. */
  readonly speed: number;
  /** Simulated epoch ms at the start (default: a fixed date, for reproducible runs). */
  readonly clockStart?: number;
  readonly seed?: number;
  readonly transport?: Transport;
  /** Per firewall name. */
  readonly firewalls?: Readonly<Record<string, FirewallSetup>>;
  readonly awsFaults?: FaultSpecInput;
  readonly worldTimings?: Partial<WorldTimings>;
  readonly unmanagedRoutes?: readonly { routeTableId: string; destination: string }[];
  /** EventBridge invokes the probe every minute (default true). */
  readonly schedule?: boolean;
  /** EC2 status-check alarms start the state machine (default true). */
  readonly alarmTrigger?: boolean;
  readonly crash?: CrashPlan;
  /**
   * The state machine's task functions as deployed (for instance the built bundles' `handler`
   * exports), run instead of handlers composed on the system's ports. They read their
   * environment as in Lambda and keep their own clock; no crash plan applies to them.
   */
  readonly deployedFunctions?: DeployedFunctions;
  /**
   * IAM: every call of a simulated function is evaluated against its role's policies as
   * `infra/deployment.ts` generates them (always on); `policies` changes them first (tests of
   * broken policies).
   */
  readonly iam?: SimRolesOptions & {
    /** Denied calls are expected (tests of broken policies): `close` does not fail on them. */
    readonly expectDenials?: boolean;
  };
  readonly onEvent?: (event: TimelineEvent) => void;
}

/** A Lambda handler as exported by a function's bundle. */
export type DeployedHandler = (event: unknown, context: Context) => Promise<unknown>;

export interface DeployedFunctions {
  readonly flowControl: DeployedHandler;
  readonly flowAws: DeployedHandler;
  readonly flowFirewall: DeployedHandler;
}

export type TimelineSource = 'world' | 'probe' | 'flow' | 'alarm' | 'scenario' | 'system';

export interface TimelineEvent {
  readonly at: number;
  readonly source: TimelineSource;
  readonly message: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

export interface ConsistencyReport {
  readonly consistent: boolean;
  readonly problems: readonly string[];
  readonly owner: string;
}

interface Ports {
  readonly ec2: Ec2Port;
  readonly dns: DnsPort;
  readonly store: LockStore & OwnerStore & ProbeStateStore<ProbeMemory> & PauseStore & DrillStore;
  readonly notifier: Notifier;
  readonly flows: FlowStarter;
  readonly secrets: SecretReader;
}

let wireSystemRunning = false;

/** A warm-up decision; a pair IAM cannot evaluate (an action with a resource type it does not take) is no real request: skipped. A real one still fails when it is made. */
async function warmDecision(world: World, principal: IamPrincipal, request: AuthorizationRequest): Promise<void> {
  try {
    await world.iam.decide(principal, request);
  } catch (e) {
    if (!(e instanceof IamEvaluationError)) throw e;
  }
}

/**
 * Requests a function's role is likely to make, from its own policies: every action on each of
 * its concrete resources (Describe* on `*`), the table with each pair's key, the configured
 * secrets' ARNs, each configured DNS record's change, each fallback instance type. Only a
 * warm-up: a request not listed is evaluated when it comes. A statement may list the resources of
 * several actions (IAM size limits: infra/iam.ts), so some action/resource pairs made here are no
 * request any function makes (StopInstances on an Elastic IP): `warmDecision` skips those.
 */
function expectedRequests(config: Config, world: World, principal: IamPrincipal): AuthorizationRequest[] {
  const out: AuthorizationRequest[] = [];
  const parameterArns = [...parameterNamesOf(config).values()].map((name) => world.parameters.arnOf(name));
  const secretArns = [...secretIdsOf(config).values()].flatMap((id) => {
    try {
      return [world.secrets.get(id).arn];
    } catch {
      return [];
    }
  });
  for (const policy of principal.policies) {
    for (const st of policy.document.Statement as { Effect?: string; Action?: string | string[]; Resource?: string | string[] }[]) {
      if (st.Effect !== 'Allow') continue;
      const actions = typeof st.Action === 'string' ? [st.Action] : (st.Action ?? []);
      const resources = typeof st.Resource === 'string' ? [st.Resource] : (st.Resource ?? []);
      for (const action of actions) {
        if (action.includes('*')) continue;
        if (action.startsWith('dynamodb:')) {
          for (const r of resources) for (const pair of config.pairs) out.push({ action, resource: r, context: { 'dynamodb:LeadingKeys': [`pair#${pair.name}`] } });
        } else if (action === 'secretsmanager:GetSecretValue') {
          for (const r of secretArns) out.push({ action, resource: r, context: {} });
        } else if (action === 'ssm:GetParameter') {
          for (const r of parameterArns) out.push({ action, resource: r, context: {} });
        } else if (action === 'route53:ChangeResourceRecordSets') {
          for (const pair of config.pairs) {
            for (const rec of pair.dnsRecords) {
              out.push({
                action,
                resource: `arn:aws:route53:::hostedzone/${rec.hostedZoneId.replace(/^\/hostedzone\//, '')}`,
                context: {
                  'route53:ChangeResourceRecordSetsNormalizedRecordNames': [iamNormalizedName(rec.name)],
                  'route53:ChangeResourceRecordSetsRecordTypes': [rec.type],
                  'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
                },
              });
            }
          }
        } else if (action === 'ec2:ModifyInstanceAttribute') {
          for (const r of resources) {
            for (const type of new Set(config.pairs.flatMap((p) => p.start.fallbackInstanceTypes))) out.push({ action, resource: r, context: { 'ec2:Attribute/InstanceType': type } });
          }
        } else {
          for (const r of resources) if (!/[*?]/.test(r) || r === '*') out.push({ action, resource: r, context: {} });
        }
      }
    }
  }
  return out;
}

function apiKey(): string {
  return `LUFRPT1-sim-${randomBytes(18).toString('base64url')}==`;
}

/** The configuration the controller runs with: management at the simulated firewalls, pinned certificates. */
function runConfig(config: Config, firewalls: ReadonlyMap<string, SimFirewall>): Config {
  const raw = JSON.parse(JSON.stringify(config)) as { pairs: { firewalls: Record<string, Record<string, unknown>> }[] };
  for (const pair of raw.pairs) {
    for (const role of ROLES) {
      const fw = pair.firewalls[role];
      const sim = fw ? firewalls.get(String(fw.name)) : undefined;
      if (!fw || !sim) continue;
      fw.management = { ...(fw.management as object), host: sim.managementHost, port: sim.port };
      fw.tls = { pinnedSha256: sim.fingerprint256 };
    }
  }
  return validateConfig(raw, 'simulator run configuration');
}

/** Firewall name -> the id of its key in one store (`secretsManager` or `ssmParameter`). */
function keyIdsOf(config: Config, store: 'secretsManager' | 'ssmParameter'): Map<string, string> {
  const ids = new Map<string, string>();
  for (const pair of config.pairs) {
    for (const role of ROLES) {
      const ref: Record<string, unknown> = pair.firewalls[role].apiKey;
      const id = ref[store];
      if (typeof id === 'string') ids.set(pair.firewalls[role].name, id);
    }
  }
  return ids;
}
const secretIdsOf = (config: Config) => keyIdsOf(config, 'secretsManager');
const parameterNamesOf = (config: Config) => keyIdsOf(config, 'ssmParameter');

export class SimSystem {
  readonly clock: SimClock;
  readonly world: World;
  readonly aws: AwsSimulator | undefined;
  readonly firewalls: ReadonlyMap<string, SimFirewall>;
  readonly config: Config;
  readonly timeline: TimelineEvent[] = [];
  readonly logs: CapturedLog[] = [];
  readonly executions: { name: string; result: LocalRunResult }[] = [];
  readonly stateMachineArn: string;
  readonly topicArn: string;
  /** Each simulated function's identity (its role and policies). */
  readonly principals: Readonly<Record<FunctionKey, IamPrincipal>>;
  readonly #options: SimSystemOptions;
  readonly #ports: Readonly<Record<FunctionKey, Ports>>;
  readonly #firewallFactories: Readonly<Partial<Record<FunctionKey, FirewallApiFactory>>>;
  readonly #timers: (() => void)[] = [];
  readonly #running = new Set<Promise<unknown>>();
  #crashesLeft: number;
  #closed = false;

  private constructor(
    options: SimSystemOptions,
    parts: {
      clock: SimClock;
      world: World;
      aws: AwsSimulator | undefined;
      firewalls: Map<string, SimFirewall>;
      config: Config;
      principals: Record<FunctionKey, IamPrincipal>;
    },
  ) {
    this.#options = options;
    this.clock = parts.clock;
    this.world = parts.world;
    this.aws = parts.aws;
    this.firewalls = parts.firewalls;
    this.config = parts.config;
    this.principals = parts.principals;
    this.stateMachineArn = this.world.sfn.stateMachineArn(SIM_STATE_MACHINE);
    this.topicArn = this.world.sns.topicArn(SIM_TOPIC);
    this.#ports = Object.fromEntries(FUNCTION_KEYS.map((fn) => [fn, this.#buildPorts(fn)])) as Record<FunctionKey, Ports>;
    // The functions that talk to the firewalls read the API keys as themselves.
    this.#firewallFactories = {
      healthProbe: createFirewallApiFactory({ secrets: this.#ports.healthProbe.secrets }),
      flowFirewall: createFirewallApiFactory({ secrets: this.#ports.flowFirewall.secrets }),
    };
    this.#crashesLeft = options.crash?.times ?? (options.crash ? 1 : 0);
  }

  static async start(options: SimSystemOptions): Promise<SimSystem> {
    const transport = options.transport ?? 'wire';
    if (transport === 'wire' && wireSystemRunning) {
      throw new Error('one wire-mode simulator per process: AWS_ENDPOINT_URL is process-wide');
    }
    // Step Functions validates a definition when it is created, not per execution.
    prepareLocalRunner();
    prepareLocalRunner(probeLoopDefinition());
    // Before the clock starts: the evaluator's first load would cost a fast clock minutes.
    await warmPolicyEvaluator();
    const clock = new SimClock({ speed: options.speed, start: options.clockStart });
    const world = World.create({ clock, seed: options.seed ?? 1, timings: options.worldTimings });
    const keys = new Map<string, string>();
    for (const [fw] of [...secretIdsOf(options.config), ...parameterNamesOf(options.config)]) keys.set(fw, apiKey());
    const secrets: Record<string, string> = {};
    for (const [fw, id] of secretIdsOf(options.config)) secrets[id] = keys.get(fw) ?? apiKey();
    const parameters: Record<string, string> = {};
    for (const [fw, name] of parameterNamesOf(options.config)) parameters[name] = keys.get(fw) ?? apiKey();
    world.load(topologyFromConfig(options.config, { secrets, parameters, unmanagedRoutes: options.unmanagedRoutes }));
    if (options.awsFaults) world.faults.set(options.awsFaults);
    const principals = simPrincipals(options.config, { region: world.region, accountId: world.accountId }, options.iam);
    world.iam.enforce(createPolicyEvaluator(), Object.values(principals));
    // The decisions the functions need in steady state, made before the clock matters (each
    // first decision costs milliseconds of CPU, which a clock 30 times faster turns into seconds).
    await Promise.all(FUNCTION_KEYS.flatMap((fn) => expectedRequests(options.config, world, principals[fn]).map((r) => warmDecision(world, principals[fn], r))));

    let aws: AwsSimulator | undefined;
    if (transport === 'wire') {
      aws = await startAwsSimulator({ world });
      wireSystemRunning = true;
      // The unchanged SDK clients find the simulator the way they would find LocalStack, and
      // nothing of the caller's AWS setup (profile, keys, per-service endpoints) is left to
      // reach a real account; every client refuses a non-loopback host (shared/runtime/local-aws.ts).
      isolateFromRealAws({ endpoint: aws.endpoint, region: world.region });
    }

    const firewalls = new Map<string, SimFirewall>();
    for (const pair of options.config.pairs) {
      for (const role of ROLES) {
        const fw = pair.firewalls[role];
        const setup = options.firewalls?.[fw.name] ?? {};
        const sim = await startPanosSimulator({
          name: fw.name,
          host: world.firewallHost(fw.instanceId),
          clock,
          apiKey: keys.get(fw.name) ?? apiKey(),
          profile: { ...profileFromConfig(pair, role), ...setup.profile },
          faults: setup.faults,
        });
        firewalls.set(fw.name, sim);
      }
    }
    const system = new SimSystem(options, { clock, world, aws, firewalls, config: runConfig(options.config, firewalls), principals });
    system.#wire();
    return system;
  }

  // ---- the controller, as deployed ------------------------------------------------------------

  /** One function's ports: on the wire its SDK clients sign with its role's key; direct, its ports call as its role. */
  #buildPorts(fn: FunctionKey): Ports {
    if (this.aws) {
      const aws = { credentials: { accessKeyId: simAccessKeyId(fn), secretAccessKey: 'simulator' } };
      return {
        ec2: new Ec2Adapter(createEc2Client(aws)),
        dns: new Route53Adapter(createRoute53Client(aws)),
        store: new DynamoStateStore<ProbeMemory>({ client: createDynamoDbClient(aws), tableName: SIM_TABLE }),
        notifier: createNotifier({ client: createSnsClient(aws), topicArn: this.topicArn, chatbot: this.config.notifications.chatbot }),
        flows: createFlowStarter({ client: createSfnClient(aws), stateMachineArn: this.stateMachineArn }),
        secrets: createSecretReader({ client: createSecretsManagerClient(aws), ssm: createSsmClient(aws), clock: this.clock }),
      };
    }
    const direct = createDirectPorts<ProbeMemory>(this.world, {
      tableName: SIM_TABLE,
      topicArn: this.topicArn,
      stateMachineArn: this.stateMachineArn,
      principal: this.principals[fn],
      render: { chatbot: this.config.notifications.chatbot },
    });
    return { ec2: direct.ec2, dns: direct.dns, store: direct.store, notifier: direct.notifier, flows: direct.flow, secrets: direct.secrets };
  }

  /**
   * A function's answer to a self-test event, with the ports of its role (wire only: the
   * self-test's IAM simulation and EC2 dry runs go through the SDK to the simulator).
   */
  #selftestHook(fn: FunctionKey): SelftestHook | undefined {
    if (!this.aws) return undefined;
    const aws = { credentials: { accessKeyId: simAccessKeyId(fn), secretAccessKey: 'simulator' } };
    const identity = { roleArn: this.principals[fn].roleArn, region: this.world.region, tableName: SIM_TABLE, topicArn: this.topicArn, functionPrefix: simulatedDeployment(this.config).names.prefix };
    switch (fn) {
      case 'flowAws':
      case 'flowControl': {
        const name = FUNCTIONS[fn].dir;
        const prefix = simulatedDeployment(this.config).names.prefix;
        const control = fn === 'flowControl' ? controlSelftestParts : undefined;
        return flowSelftestHook(
          name,
          () => Promise.resolve(flowSideSelftestDeps(this.config, identity, aws, control)),
          control ? () => Promise.resolve({ ...control.scheduled(SIM_TABLE, prefix, this.#power('flow-control').telemetry, aws), clock: this.clock }) : undefined,
        );
      }
      case 'healthProbe':
        return vpcSelftestHook('health-probe', () => Promise.resolve(vpcSideSelftestDeps(this.config, identity, { aws, stateMachineArn: this.stateMachineArn, probeParts: probeSelftestParts })));
      case 'flowFirewall':
        return vpcSelftestHook('flow-firewall', () => Promise.resolve(vpcSideSelftestDeps(this.config, identity, { aws })));
    }
  }

  /** Lambda's Invoke of the deployed functions by name (`pan-failover selftest`): each runs its real handler. */
  #registerFunctions(): void {
    const names = simulatedDeployment(this.config).names.functions;
    const ctx = (name: string) => lambdaContext(name, this.clock, 900_000);
    for (const fn of FUNCTION_KEYS) {
      const hook = this.#selftestHook(fn);
      this.world.lambda.register(names[fn], (payload) => {
        if (fn === 'healthProbe') {
          const probe = withSelftest((event: unknown, context: Context) => this.#probeHandler()(event, context), hook ?? (() => undefined));
          return probe(payload, ctx('health-probe'));
        }
        return this.#flowHandlers(hook === undefined ? {} : { [fn]: hook })[fn](payload);
      });
    }
  }

  #power(fn: string) {
    return simPowertools(fn, this.clock, {
      onLog: (entry) => {
        this.logs.push(entry);
        if (entry.message === 'probe round') this.#probeEvent(entry);
      },
      onMetric: (name, unit, value, dimensions) => {
        this.world.cloudwatch.putMetricData('PanFailover', [
          { MetricName: name, Value: value, Unit: unit, Timestamp: this.clock.now(), Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })) },
        ]);
      },
    });
  }

  #probeEvent(entry: CapturedLog): void {
    const f = entry.fields as { pair?: string; primary?: string; secondary?: string; action?: string; code?: string; reason?: string };
    this.emit({
      at: entry.at,
      source: 'probe',
      message: `${f.pair ?? '?'}: primary ${f.primary ?? '?'}, secondary ${f.secondary ?? '?'} -> ${f.action ?? '?'} (${f.reason ?? f.code ?? ''})`,
      data: { ...f },
    });
  }

  emit(event: TimelineEvent): void {
    this.timeline.push(event);
    this.#options.onEvent?.(event);
  }

  #common(fn: FunctionKey) {
    return { config: this.config, clock: this.clock, ec2: this.#ports[fn].ec2 };
  }

  #firewallsOf(fn: 'healthProbe' | 'flowFirewall'): FirewallApiFactory {
    const factory = this.#firewallFactories[fn];
    if (!factory) throw new Error(`no firewall API factory for ${fn}`);
    return factory;
  }

  /**
   * One minute of the probe as deployed: an execution of the probe loop (the Express state
   * machine EventBridge starts once a minute, infra/probe-loop.asl.json) run on the simulated
   * clock, each round an invocation of the probe. Resolves with the last round's summary
   * (`rounds`: the window's rounds); rejects with the error of a round that failed. `handler`
   * replaces the simulator's probe handler (the bench passes one with real Powertools output).
   */
  async invokeProbe(options: { handler?: (event: unknown, context: Context) => Promise<ProbeSummary> } = {}): Promise<ProbeSummary> {
    const handler = options.handler ?? this.#probeHandler();
    const started = this.clock.now();
    const result = await runFlowLocally(
      { source: 'aws.events', 'detail-type': 'Scheduled Event' },
      {
        definition: probeLoopDefinition(),
        handlers: {
          healthProbe: async (event) => {
            const at = this.clock.now();
            let ranRound = false;
            try {
              const out = await handler(event, lambdaContext('health-probe', this.clock, PROBE_LAMBDA_TIMEOUT_MS));
              ranRound = out.pairs.length > 0;
              return out;
            } finally {
              this.probeInvocations.push({ at, ms: this.clock.now() - at, ranRound });
            }
          },
        },
        clock: this.clock,
        executionName: `probe-${randomBytes(6).toString('hex')}`,
        stateMachineArn: `${this.stateMachineArn}-probe-loop`,
      },
    );
    this.probeWindows.push({ at: started, ms: this.clock.now() - started });
    if (result.status === 'FAILED') throw Object.assign(new Error(result.error?.cause ?? 'probe loop failed'), { name: result.error?.name ?? 'Error' });
    return result.output as ProbeSummary;
  }

  /**
   * The probe's invocations (one per round, and one more when an execution starts between two
   * seconds: `ranRound` false) and the loop's executions (one per minute), in simulated ms: what
   * Lambda and Express bill.
   */
  readonly probeInvocations: { at: number; ms: number; ranRound: boolean }[] = [];
  readonly probeWindows: { at: number; ms: number }[] = [];

  #probeHandler() {
    const power = this.#power('health-probe');
    const ports = this.#ports.healthProbe;
    const deps = {
      ...this.#common('healthProbe'),
      telemetry: power.telemetry,
      firewalls: this.#firewallsOf('healthProbe'),
      store: ports.store,
      flows: ports.flows,
      notifier: ports.notifier,
      stateMachineArn: this.stateMachineArn,
    };
    return createProbeHandler(() => Promise.resolve(deps), power);
  }

  #flowHandlers(selftest: Partial<Record<FunctionKey, SelftestHook>> = {}): Record<'flowControl' | 'flowAws' | 'flowFirewall', (event: unknown) => Promise<unknown>> {
    const control = this.#power('flow-control');
    const aws = this.#power('flow-aws');
    const fw = this.#power('flow-firewall');
    const ctx = (name: string) => lambdaContext(name, this.clock, 900_000);
    const deployed = this.#options.deployedFunctions;
    if (deployed) {
      return {
        flowControl: (event) => deployed.flowControl(event, ctx('flow-control')),
        flowAws: (event) => deployed.flowAws(event, ctx('flow-aws')),
        flowFirewall: (event) => deployed.flowFirewall(event, ctx('flow-firewall')),
      };
    }
    return {
      flowControl: (event) =>
        createFlowControlHandler(
          () =>
            Promise.resolve({
              ...this.#common('flowControl'),
              telemetry: control.telemetry,
              store: this.#ports.flowControl.store,
              notifier: this.#ports.flowControl.notifier,
              dns: this.#ports.flowControl.dns,
              executions: (arn: string) => (arn === this.stateMachineArn ? this.#ports.flowControl.flows : { status: () => Promise.resolve(undefined) }),
            }),
          control,
          undefined,
          selftest.flowControl,
        )(event, ctx('flow-control')),
      flowAws: (event) => this.#maybeCrash(event, aws.telemetry, (ec2) =>
        createFlowAwsHandler(() => Promise.resolve({ ...this.#common('flowAws'), ec2, telemetry: aws.telemetry, dns: this.#ports.flowAws.dns, store: this.#ports.flowAws.store }), aws, undefined, selftest.flowAws)(event, ctx('flow-aws')),
      ),
      flowFirewall: (event) =>
        createFlowFirewallHandler(
          () => Promise.resolve({ ...this.#common('flowFirewall'), telemetry: fw.telemetry, firewalls: this.#firewallsOf('flowFirewall'), store: this.#ports.flowFirewall.store }),
          fw,
          undefined,
          selftest.flowFirewall,
        )(event, ctx('flow-firewall')),
    };
  }

  /** Runs a flow-aws invocation; if a crash is planned for its step, its container dies mid-way. */
  #maybeCrash(event: unknown, _t: unknown, run: (ec2: Ec2Port) => Promise<unknown>): Promise<unknown> {
    const plan = this.#options.crash;
    const step = (event as { step?: string }).step;
    if (!plan || plan.step !== step || this.#crashesLeft <= 0) return run(this.#ports.flowAws.ec2);
    this.#crashesLeft--;
    return new Promise((resolve, reject) => {
      const ec2 = mortalEc2(this.#ports.flowAws.ec2, plan.afterMutations, () => {
        this.emit({ at: this.clock.now(), source: 'system', message: `flow-aws container running "${step}" died after ${plan.afterMutations} change(s) (simulated crash)` });
        reject(new LambdaCrash(`RequestId: sim Error: Runtime exited during ${step}`));
      });
      run(ec2).then(resolve, (e: unknown) => reject(e instanceof Error ? e : new Error(String(e))));
    });
  }

  #wire(): void {
    this.#registerFunctions();
    this.world.events.subscribe((e) => {
      if (e.type.startsWith('dynamodb.')) return;
      this.emit({ at: e.at, source: 'world', message: e.message, data: { type: e.type, resource: e.resource } });
    });
    this.world.setExecutor(this.stateMachineArn, async (execution) => {
      // The history GetExecutionHistory answers with: every state entered, every task's result.
      const step = (e: Parameters<typeof this.world.sfn.recordStep>[1]) => this.world.sfn.recordStep(execution.executionArn, e);
      const handlers = Object.fromEntries(
        Object.entries(this.#flowHandlers()).map(([k, h]) => [k, async (event: unknown) => {
          const out = await h(event);
          step({ type: 'TaskSucceeded', output: JSON.stringify(out ?? {}) });
          return out;
        }]),
      );
      const result = await runFlowLocally(execution.input, {
        handlers,
        clock: this.clock,
        executionName: execution.name,
        stateMachineArn: this.stateMachineArn,
        retryScale: 1 / this.clock.speed,
        signal: execution.signal,
        onState: (s) => {
          step({ type: `${s.type}StateEntered`, stateName: s.state });
          this.emit({ at: s.at, source: 'flow', message: `${execution.name}: ${s.state}`, data: { execution: execution.name, state: s.state, type: s.type } });
        },
      });
      this.executions.push({ name: execution.name, result });
      if (result.status === 'FAILED') {
        const err = new Error(result.error?.cause ?? 'failed');
        err.name = result.error?.name ?? 'States.TaskFailed';
        throw err;
      }
      return result.output;
    });
    if (this.#options.alarmTrigger !== false) {
      const off = this.world.onAlarmStateChange((event) => {
        const detail = (event as unknown as { detail: { alarmName: string; state: { value: string } } }).detail;
        this.emit({ at: this.clock.now(), source: 'alarm', message: `${detail.alarmName} -> ${detail.state.value}` });
        if (detail.state.value !== 'ALARM' || !detail.alarmName.startsWith('pan-failover-')) return;
        // EventBridge rule "CloudWatch Alarm State Change" -> StartExecution (name chosen by EventBridge).
        this.world.sfn.startExecution({ stateMachineArn: this.stateMachineArn, name: `alarm-${randomBytes(8).toString('hex')}`, input: JSON.stringify(event) });
      });
      this.#timers.push(off);
    }
    if (this.#options.schedule !== false) this.#startSchedule();
    this.#watchFirewalls();
  }

  /** Boot phases of the simulated firewalls, in the timeline (what an engineer would see on the console). */
  #watchFirewalls(): void {
    const abort = new AbortController();
    this.#timers.push(() => abort.abort());
    const said: Record<string, string> = {};
    const PHASE_TEXT: Record<string, string> = {
      off: 'off (instance not running)',
      refusing: 'management plane starting: connections refused',
      'auth-down': 'management plane answers, auth daemon not up yet: 403 even with the right key',
      'not-ready': 'API up, dataplane not ready: chassis-ready no, AutoCom running',
      ready: 'ready: chassis-ready yes, AutoCom done',
    };
    const loop = async () => {
      while (!abort.signal.aborted) {
        for (const fw of this.firewalls.values()) {
          const status = fw.status();
          const phase = status.phase;
          if (said[fw.name] !== undefined && said[fw.name] !== phase) {
            this.emit({ at: this.clock.now(), source: 'world', message: `${fw.name} PAN-OS: ${PHASE_TEXT[phase] ?? phase}`, data: { firewall: fw.name, phase } });
          }
          said[fw.name] = phase;
          for (const t of status.tunnels) {
            const key = `${fw.name}/${t.name}`;
            if (said[key] !== undefined && said[key] !== t.state) {
              this.emit({ at: this.clock.now(), source: 'world', message: `${fw.name} IPsec ${t.name} to ${t.peerIp}: ${t.state}`, data: { firewall: fw.name, tunnel: t.name, state: t.state } });
            }
            said[key] = t.state;
          }
        }
        try {
          await this.clock.sleep(2000, abort.signal);
        } catch {
          return;
        }
      }
    };
    void loop();
  }

  #startSchedule(): void {
    const abort = new AbortController();
    this.#timers.push(() => abort.abort());
    const loop = async () => {
      while (!abort.signal.aborted) {
        const started = this.clock.now();
        void this.#track(this.invokeProbe().catch((e: unknown) => this.emit({ at: this.clock.now(), source: 'system', message: `probe invocation failed: ${String(e)}` })));
        try {
          await this.clock.sleep(Math.max(0, 60_000 - (this.clock.now() - started)), abort.signal);
        } catch {
          return;
        }
      }
    };
    void loop();
  }

  #track<T>(p: Promise<T>): Promise<T> {
    this.#running.add(p);
    void p.finally(() => this.#running.delete(p));
    return p;
  }

  // ---- what a person or a test does -----------------------------------------------------------

  /** StartExecution, as the console, the CLI or an EventBridge target would. */
  startFlow(input: Record<string, unknown>, name = `manual-${randomBytes(6).toString('hex')}`): string {
    return this.world.sfn.startExecution({ stateMachineArn: this.stateMachineArn, name, input: JSON.stringify(input) }).executionArn;
  }

  waitExecution(executionArn: string): Promise<ExecutionRecord> {
    return this.world.sfn.waitFor(executionArn);
  }

  /** Runs a flow to its end and returns its final state (or the failure). */
  async runFlow(input: Record<string, unknown>, name?: string): Promise<ExecutionRecord & { state: FlowState | undefined }> {
    const record = await this.waitExecution(this.startFlow(input, name));
    return { ...record, state: record.output ? (JSON.parse(record.output) as FlowState) : undefined };
  }

  /** Polls `predicate` every `pollMs` of simulated time until it holds or `timeoutMs` passes. */
  async waitUntil(predicate: () => boolean | Promise<boolean>, timeoutMs: number, pollMs = 1000): Promise<boolean> {
    const deadline = this.clock.now() + timeoutMs;
    while (this.clock.now() < deadline) {
      if (await predicate()) return true;
      await this.clock.sleep(pollMs);
    }
    return predicate();
  }

  pair(name?: string): PairConfig {
    const pair = name ? this.config.pairs.find((p) => p.name === name) : this.config.pairs[0];
    if (!pair) throw new Error(`no pair ${name ?? ''}`);
    return pair;
  }

  firewall(name: string): SimFirewall {
    const fw = this.firewalls.get(name);
    if (!fw) throw new Error(`no simulated firewall ${name}`);
    return fw;
  }

  runningExecutions(): ExecutionRecord[] {
    return this.world.sfn.listExecutions(this.stateMachineArn, 'RUNNING');
  }

  ownerRecord(pair = this.pair()) {
    return this.#directStore().getOwner(pair.name);
  }

  /** The state table as a person reads it (the lock, the owner, the pause, the drill history). */
  stateTable() {
    return this.#directStore();
  }

  #directStore() {
    return this.#personPorts().store;
  }

  /** Where the managed objects point now (read through the world's ports: scenario faults apply). */
  placement(pair = this.pair()): Promise<PairPlacement> {
    return readPlacement(this.#personPorts().ec2, pair);
  }

  #personView: DirectPorts | undefined;
  /** The world's ports as a person uses them (no function's role), built once on first use. */
  #personPorts(): DirectPorts {
    this.#personView ??= createDirectPorts(this.world, { tableName: SIM_TABLE, topicArn: this.topicArn, stateMachineArn: this.stateMachineArn });
    return this.#personView;
  }

  /**
   * Call it once the faults of the scenario are cleared: it reads through the world's ports.
   *
   * The failure-modes definition of consistent: every managed route, EIP and DNS record points
   * at one firewall, that firewall is the recorded owner, no lock is left held, and a re-run
   * changes nothing.
   */
  async consistency(pairName?: string, options: { rerun?: boolean } = {}): Promise<ConsistencyReport> {
    const pair = this.pair(pairName);
    const problems: string[] = [];
    {
      const placement = await this.placement(pair);
      const store = this.#directStore();
      const [record, lock] = await Promise.all([store.getOwner(pair.name), store.get(pair.name)]);
      // The rule `status` and the report use (shared/domain/consistency.ts), then what only a run can add.
      const dns = pair.dnsRecords.map((rec) => (this.world.route53.resolve(rec.name, rec.type) as { values?: readonly string[] } | undefined)?.values);
      const verdict = pairConsistency({ pair, placement, dns, recordedOwner: record?.owner, lock, now: this.clock.now() });
      const owner = verdict.aws;
      problems.push(...verdict.problems.map((p) => (p.code === 'split' ? `${p.text}: ${JSON.stringify(placement.routes.map((r) => r.side).concat(placement.eips.map((e) => e.side)))}` : p.text)));
      if (!record && owner === 'secondary') problems.push(`no recorded owner while AWS points at ${owner}`);
      if (options.rerun !== false && problems.length === 0 && (owner === 'primary' || owner === 'secondary')) {
        const before = this.world.events.list().length;
        const res = await this.runFlow(
          { pair: pair.name, action: 'reconcile', reason: 'consistency check re-run', source: 'manual' },
          `consistency-check-${randomBytes(4).toString('hex')}`,
        );
        const changes = this.world.events
          .list()
          .slice(before)
          .filter(
            (e) =>
              /^ec2\.(route|eip)|^route53\.change\.submitted/.test(e.type) ||
              // A stop or start the re-run initiated (a stop already under way may finish during it).
              (e.type === 'ec2.instance.state' && ['pending', 'stopping'].includes(String((e.data as { to?: unknown }).to))),
          );
        if (res.status !== 'SUCCEEDED') problems.push(`re-run ended ${res.status}: ${res.error ?? ''} ${res.cause ?? ''}`);
        if (changes.length > 0) problems.push(`re-run changed things: ${changes.map((c) => c.message).join('; ')}`);
        const plan = planCutover(pair, await this.placement(pair), owner);
        if (plan.changes.length > 0) problems.push(`plan toward ${owner} not empty after re-run`);
      }
      return { consistent: problems.length === 0, problems, owner: record?.owner ?? String(owner) };
    }
  }

  /** Calls of the simulated functions that IAM denied so far (a policy of the deployment lacks something they need). */
  iamDenials(): IamRecord[] {
    return this.world.iam.records().filter((r) => !r.allowed);
  }

  /**
   * Stops everything. A call IAM denied during the run fails the close (unless the run expected
   * denials: `iam.expectDenials`): the generated policies lack something the controller needs,
   * and the suite must not pass over it however the code handled the error.
   */
  async close(options: { readonly denialsReported?: boolean } = {}): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const stop of this.#timers) stop();
    await Promise.allSettled([...this.#running]);
    await Promise.allSettled([...this.firewalls.values()].map((f) => f.close()));
    if (this.aws) {
      await this.aws.close();
      wireSystemRunning = false;
    }
    this.world.close?.();
    const denied = this.iamDenials();
    if (denied.length > 0 && this.#options.iam?.expectDenials !== true && options.denialsReported !== true) {
      throw new IamDeniedDuringRunError(denied);
    }
  }
}

/** The deployment's IAM policies denied calls the controller made during a simulated run. */
export class IamDeniedDuringRunError extends Error {
  override readonly name = 'IamDeniedDuringRunError';
  constructor(readonly denied: readonly IamRecord[]) {
    const lines = [...new Set(denied.map((d) => `${d.principal}: ${d.action} on ${d.resource}`))];
    super(`IAM denied ${denied.length} call(s) of the simulated functions (the generated policies lack them):\n  ${lines.join('\n  ')}`);
  }
}
