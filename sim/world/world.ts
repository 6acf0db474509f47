/**
 * The simulated AWS world: one in-memory model behind both faces, the wire server
 * (`sim/aws/server.ts`, real SDK clients) and the direct ports (`sim/world/ports.ts`).
 *
 * Every API operation goes through `call`, which applies the faults in AWS's order: the
 * throttling bucket is checked on arrival, latency passes, then an injected error may
 * replace the answer, and only then does the operation act on the world.
 */
import type { Clock } from '#shared/ports/clock.js';
import type { FirewallHostView } from './firewall-host.js';
import { CloudWatchWorld, type AlarmStateChangeEvent } from './cloudwatch.js';
import { DEFAULT_TIMINGS, type WorldContext, type WorldTimings } from './context.js';
import { DynamoDbWorld } from './dynamodb.js';
import { Ec2World } from './ec2.js';
import { EventLog } from './event-log.js';
import { FaultController } from './faults.js';
import { IamApiWorld, IamWorld, type IamPrincipal } from './iam.js';
import { LambdaWorld } from './lambda.js';
import { SecretsWorld, SnsWorld } from './messaging.js';
import { ParametersWorld } from './ssm.js';
import { SeededRng } from './rng.js';
import { Route53World } from './route53.js';
import { Scheduler } from './scheduler.js';
import { SfnWorld, type Executor } from './sfn.js';
import { parseTopology, type WorldTopologyInput } from './topology.js';

export interface WorldOptions {
  readonly clock: Clock;
  /** Seeds fault draws and generated ids; same seed, same run. */
  readonly seed?: number;
  readonly timings?: Partial<WorldTimings>;
}

export interface CallOptions {
  /** Throttling bucket variant (e.g. `ec2:DescribeNetworkInterfaces#unfiltered`). */
  readonly bucket?: string;
  /** Who calls (undefined: the administrator, not evaluated). */
  readonly principal?: IamPrincipal;
}

/** A one-glance picture of the world, for the demo and for test failure messages. */
export interface WorldSummary {
  readonly at: number;
  readonly instances: readonly { instanceId: string; state: string; instanceType: string; status: string }[];
  readonly routes: readonly {
    routeTableId: string;
    destination: string;
    target: string | undefined;
    state: string;
  }[];
  readonly addresses: readonly {
    allocationId: string;
    publicIp: string;
    networkInterfaceId: string | undefined;
    instanceId: string | undefined;
  }[];
}

type MutableContext = { -readonly [K in keyof WorldContext]: WorldContext[K] };

export class World {
  readonly clock: Clock;
  readonly events: EventLog;
  readonly scheduler: Scheduler;
  readonly faults: FaultController;
  readonly ec2: Ec2World;
  readonly route53: Route53World;
  readonly dynamodb: DynamoDbWorld;
  readonly sns: SnsWorld;
  readonly secrets: SecretsWorld;
  readonly parameters: ParametersWorld;
  readonly sfn: SfnWorld;
  readonly cloudwatch: CloudWatchWorld;
  readonly iam: IamWorld;
  /** IAM's API (`SimulatePrincipalPolicy`), answered by the same evaluator that enforces the calls. */
  readonly iamApi: IamApiWorld;
  /** Lambda's `Invoke` of the simulated functions (`pan-failover selftest`). */
  readonly lambda: LambdaWorld;
  readonly #ctx: MutableContext;
  #loaded = false;
  #closed = false;

  private constructor(options: WorldOptions) {
    const seed = options.seed ?? 1;
    this.clock = options.clock;
    this.events = new EventLog();
    this.scheduler = new Scheduler(options.clock);
    this.faults = new FaultController(options.clock, new SeededRng(seed), this.events);
    this.iam = new IamWorld(() => this.#ctx.accountId);
    this.#ctx = {
      clock: options.clock,
      region: 'us-east-1',
      accountId: '123456789012',
      events: this.events,
      scheduler: this.scheduler,
      faults: this.faults,
      iam: this.iam,
      ids: new SeededRng((seed ^ 0x5eed1d5) >>> 0),
      timings: { ...DEFAULT_TIMINGS, ...options.timings },
      now: () => options.clock.now(),
    };
    this.ec2 = new Ec2World(this.#ctx);
    this.route53 = new Route53World(this.#ctx);
    this.dynamodb = new DynamoDbWorld(this.#ctx);
    this.sns = new SnsWorld(this.#ctx);
    this.secrets = new SecretsWorld(this.#ctx);
    this.parameters = new ParametersWorld(this.#ctx);
    this.sfn = new SfnWorld(this.#ctx);
    this.iamApi = new IamApiWorld(this.#ctx);
    this.lambda = new LambdaWorld(this.#ctx);
    this.cloudwatch = new CloudWatchWorld(this.#ctx);
  }

  static create(options: WorldOptions): World {
    return new World(options);
  }

  get region(): string {
    return this.#ctx.region;
  }

  get accountId(): string {
    return this.#ctx.accountId;
  }

  get timings(): WorldTimings {
    return this.#ctx.timings;
  }

  /** Builds the world from a topology (validated; throws `ConfigInvalidError` naming each problem). Once per world. */
  load(topology: WorldTopologyInput | Record<string, unknown>): this {
    if (this.#loaded) throw new Error('World.load: this world is already loaded; create a new one');
    const t = parseTopology(topology);
    this.#loaded = true;
    this.#ctx.region = t.region;
    this.#ctx.accountId = t.accountId;
    this.#ctx.timings = { ...this.#ctx.timings, ...stripUndefined(t.timings) };
    this.ec2.load(t);
    this.route53.load(t);
    this.dynamodb.load(t);
    this.sns.load(t);
    this.secrets.load(t);
    this.parameters.load(t);
    this.sfn.load(t);
    for (const alarm of t.alarms) this.cloudwatch.defineAlarm(alarm);
    if (t.faults !== undefined) this.faults.set(t.faults);
    if (t.instances.length > 0) this.#scheduleStatusMetrics();
    return this;
  }

  /**
   * Runs one API operation under the faults configured for `op` (`<service>:<Operation>`).
   * Throws `SimAwsError` for throttling and injected errors, and whatever `fn` throws.
   */
  async call<T>(op: string, fn: () => T, options: CallOptions = {}): Promise<T> {
    if (this.#closed) throw new Error(`${op}: the simulated world is closed`);
    this.scheduler.runDue();
    this.faults.takeToken(op, options.bucket ?? op);
    const latency = this.faults.latencyFor(op);
    if (latency > 0) {
      await this.clock.sleep(latency);
      this.scheduler.runDue();
    }
    this.faults.maybeUnreachable(op, options.principal?.name);
    this.faults.maybeFail(op);
    return this.iam.run(op, options.principal, fn);
  }

  /**
   * This world as `principal` sees it: the same world, whose `call` runs every operation as that
   * principal (the direct ports of a simulated function, the wire requests signed with its key).
   */
  actingAs(principal: IamPrincipal | undefined): World {
    if (principal === undefined) return this;
    const call = <T>(op: string, fn: () => T, options: CallOptions = {}) => this.call(op, fn, { ...options, principal });
    return new Proxy(this, {
      get(target, prop) {
        if (prop === 'call') return call;
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  /** What the PAN-OS simulator of this instance needs to know about it. */
  firewallHost(instanceId: string): FirewallHostView {
    return this.ec2.hostView(instanceId);
  }

  setExecutor(stateMachineArn: string, executor: Executor): void {
    this.sfn.setExecutor(stateMachineArn, executor);
  }

  ingestEmf(line: string): number {
    this.scheduler.runDue();
    return this.cloudwatch.ingestEmf(line);
  }

  onAlarmStateChange(listener: (event: AlarmStateChangeEvent) => void): () => void {
    return this.cloudwatch.onAlarmStateChange(listener);
  }

  /** Brings every timed transition up to now (reads through `ec2`, `route53`... directly do not). */
  settle(): void {
    this.scheduler.runDue();
  }

  summary(): WorldSummary {
    this.scheduler.runDue();
    const instances = this.ec2.instanceIds().map((id) => this.ec2.instanceNow(id));
    const tables = this.ec2.describeRouteTables({ current: true });
    return {
      at: this.clock.now(),
      instances: instances.map((i) => ({
        instanceId: i.instanceId,
        state: i.state,
        instanceType: i.instanceType,
        status: `${i.systemStatus}/${i.instanceStatus}`,
      })),
      routes: tables.flatMap((t) =>
        t.routes
          .filter((r) => r.gatewayId !== 'local')
          .map((r) => ({
            routeTableId: t.routeTableId,
            destination: r.destination,
            target: r.networkInterfaceId ?? r.gatewayId,
            state: r.state,
          })),
      ),
      addresses: this.ec2.describeAddresses({ current: true }).map((a) => ({
        allocationId: a.allocationId,
        publicIp: a.publicIp,
        networkInterfaceId: a.networkInterfaceId,
        instanceId: a.instanceId,
      })),
    };
  }

  /** Stops every timer and aborts running executions. The world can no longer be called. */
  close(): void {
    this.#closed = true;
    this.scheduler.close();
    this.sfn.close();
  }

  /** EC2 publishes StatusCheckFailed (0/1) per running instance once its checks have a result. */
  #scheduleStatusMetrics(): void {
    const interval = this.#ctx.timings.statusMetricIntervalMs;
    const tick = (at: number) => {
      for (const id of this.ec2.instanceIds()) {
        const v = this.ec2.instanceNow(id, at);
        if (v.state !== 'running' || v.systemStatus === 'initializing' || v.instanceStatus === 'initializing')
          continue;
        const system = v.systemStatus === 'impaired' ? 1 : 0;
        const instance = v.instanceStatus === 'impaired' ? 1 : 0;
        const dimensions = { InstanceId: id };
        this.cloudwatch.record(
          { namespace: 'AWS/EC2', name: 'StatusCheckFailed', dimensions },
          Math.max(system, instance),
          at,
        );
        this.cloudwatch.record(
          { namespace: 'AWS/EC2', name: 'StatusCheckFailed_System', dimensions },
          system,
          at,
        );
        this.cloudwatch.record(
          { namespace: 'AWS/EC2', name: 'StatusCheckFailed_Instance', dimensions },
          instance,
          at,
        );
      }
      this.scheduler.at(at + interval, tick);
    };
    this.scheduler.at((Math.floor(this.clock.now() / interval) + 1) * interval, tick);
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
