/**
 * Fast fakes for the use-case tests of the probe and the failover flow.
 *
 * - `FakeFirewalls`: a `FirewallApiFactory` scripted per firewall (outcome of each liveness
 *   call, chassis-ready, AutoCom job, tunnels, version, latency on the test's clock), recording
 *   every call with its clock time. It knows nothing of EC2: the use-cases ask EC2 first and
 *   must not call a firewall whose instance is not running, which the call log shows.
 * - `worldHarness`: the simulated AWS world built from a configuration, its direct ports, a
 *   ManualClock, fake firewalls and a recording telemetry: the deps of the probe and the flow.
 * - `drive`: advances a ManualClock until a promise settles (for code that sleeps).
 * - `MockFlowStarter`, `RecordingNotifier`, `spyEc2`: call-recording ports.
 * - `truePlacement`: where the managed objects really point (no Describe lag).
 */
import type { Config, FirewallConfig, PairConfig } from '#shared/config/schema.js';
import { effectiveOwner, observePlacement, type PairPlacement } from '#shared/domain/placement.js';
import {
  FirewallApiError,
  FirewallAuthError,
  FirewallMalformedResponseError,
  FirewallTimeoutError,
  FirewallTlsUntrustedError,
  FirewallUnreachableError,
  SecretUnavailableError,
  type FirewallError,
} from '#shared/errors.js';
import { recordingTelemetry, type RecordingTelemetry } from '#shared/observability/telemetry.js';
import type { Clock } from '#shared/ports/clock.js';
import type { Ec2Port } from '#shared/ports/ec2.js';
import type {
  AutoCommitState,
  CallOptions,
  ConfigNode,
  FirewallApi,
  FirewallApiFactory,
  JobInfo,
  SystemInfo,
  TunnelStatus,
} from '#shared/ports/firewall.js';
import type { ExecutionStatus, FlowStarter, Notification, Notifier, StartResult } from '#shared/ports/messaging.js';
import type { FlowDeps } from '#shared/usecases/flow/deps.js';
import type { ProbeDeps, ProbeMemory } from '#shared/usecases/probe.js';
import { SIM_STATE_MACHINE, SIM_TABLE, SIM_TOPIC, topologyFromConfig } from '#sim/scenario/topology-from-config.js';
import type { WorldTimings } from '#sim/world/context.js';
import { ManualClock } from '#sim/manual-clock.js';
import { addressInfo, createDirectPorts, routeTableInfo, type DirectPorts } from '#sim/world/ports.js';
import { World } from '#sim/world/world.js';

// ---------------------------------------------------------------------------------------------
// Fake firewalls

export const FAKE_OUTCOMES = ['ok', 'timeout', 'unreachable', 'untrusted', 'auth', 'api-error', 'malformed', 'hang'] as const;
export type FakeOutcome = (typeof FAKE_OUTCOMES)[number];

export const FAKE_METHODS = ['systemInfo', 'chassisReady', 'jobs', 'ipsecState', 'configShow', 'licenses'] as const;
export type FakeMethod = (typeof FAKE_METHODS)[number];

/** A value, or one value per call in order (the last one repeats). */
export type Sequence<T> = T | readonly T[];

export interface FakeFirewallScript {
  /**
   * Outcome of each liveness call (`systemInfo`, the first call of every look), in order, the
   * last one repeating; or a function of the 0-based look number. The other calls of a look
   * follow `methodOutcomes`, else succeed. Default `ok`.
   */
  readonly outcomes?: Sequence<FakeOutcome> | ((look: number) => FakeOutcome);
  /** Outcome of every call of one method (e.g. `{ ipsecState: 'timeout' }`). */
  readonly methodOutcomes?: Partial<Record<FakeMethod, FakeOutcome>>;
  /** `show chassis-ready`, per call. Default `true`. */
  readonly chassisReady?: Sequence<boolean>;
  /** The AutoCom job per `show jobs all` call; `absent` = aged out of the history. Default `done`. */
  readonly autoCommit?: Sequence<AutoCommitState | 'absent'>;
  /** Tunnels the firewall reports: a name (or `tunnel:proxy-id`) is an active tunnel. Default none. */
  readonly tunnels?: readonly (string | TunnelStatus)[];
  readonly swVersion?: string;
  /** Clock time every call takes (or per method); a call outliving its signal is a timeout. */
  readonly latencyMs?: number | Partial<Record<FakeMethod, number>>;
  /** `forFirewall` fails: the API key cannot be read. */
  readonly secretUnavailable?: boolean;
}

export interface FakeCall {
  readonly firewall: string;
  readonly method: FakeMethod | 'forFirewall';
  /** Clock time the call began. */
  readonly at: number;
  /** Clock time it ended (answered or failed); `undefined` while in flight. */
  endedAt?: number;
  readonly timeoutMs?: number;
}

export const DEFAULT_SW_VERSION = '11.1.6-h1';

/** A tunnel (or `tunnel:proxy-id`) as `show vpn flow` reports it, up or down. */
export function tunnelStatus(name: string, up = true): TunnelStatus {
  const [tunnel = name, proxyId] = name.split(':');
  return {
    name,
    tunnel,
    proxyId,
    flowState: up ? 'active' : 'inactive',
    monitor: 'off',
    ipsecSa: up,
    ikeSa: up,
    peerIp: '203.0.113.1',
    up,
  };
}

function nth<T>(seq: Sequence<T>, index: number): T {
  if (!Array.isArray(seq)) return seq as T;
  const list = seq as readonly T[];
  const value = list[Math.min(index, list.length - 1)];
  if (value === undefined) throw new Error('empty script sequence');
  return value;
}

function jobsFor(state: AutoCommitState | 'absent'): JobInfo[] {
  const other: JobInfo = { id: '1', type: 'Commit', status: 'FIN', result: 'OK' };
  switch (state) {
    case 'absent':
      return [other];
    case 'done':
      return [other, { id: '2', type: 'AutoCom', status: 'FIN', result: 'OK' }];
    case 'pending':
      return [other, { id: '2', type: 'AutoCom', status: 'ACT', result: 'PEND' }];
    case 'failed':
      return [other, { id: '2', type: 'AutoCom', status: 'FIN', result: 'FAIL' }];
  }
}

function errorFor(outcome: Exclude<FakeOutcome, 'ok' | 'hang'>, target: string): FirewallError {
  switch (outcome) {
    case 'timeout':
      return new FirewallTimeoutError(target, 'no answer within the timeout (fake)');
    case 'unreachable':
      return new FirewallUnreachableError(target, 'connect ECONNREFUSED (fake)');
    case 'untrusted':
      return new FirewallTlsUntrustedError(target, 'certificate does not match the pinned fingerprint (fake)');
    case 'auth':
      return new FirewallAuthError(target, 'Invalid Credential (fake)');
    case 'api-error':
      return new FirewallApiError(target, 'error code 13 (fake)', { code: 13 });
    case 'malformed':
      return new FirewallMalformedResponseError(target, 'HTML instead of XML (fake)');
  }
}

/** Scripted firewalls keyed by firewall name (`fw-a`); an unscripted firewall answers `ok`. */
export class FakeFirewalls implements FirewallApiFactory {
  readonly calls: FakeCall[] = [];
  readonly #clock: Clock;
  readonly #scripts = new Map<string, FakeFirewallScript>();
  readonly #counters = new Map<string, number>();

  constructor(clock: Clock, scripts: Readonly<Record<string, FakeFirewallScript>> = {}) {
    this.#clock = clock;
    for (const [name, script] of Object.entries(scripts)) this.#scripts.set(name, script);
  }

  /** Replaces a firewall's script; its call counters start again. */
  set(name: string, script: FakeFirewallScript): void {
    this.#scripts.set(name, script);
    for (const key of [...this.#counters.keys()]) if (key.startsWith(`${name}/`)) this.#counters.delete(key);
  }

  /** Calls to one firewall (optionally of one method). */
  callsTo(name: string, method?: FakeCall['method']): FakeCall[] {
    return this.calls.filter((c) => c.firewall === name && (method === undefined || c.method === method));
  }

  forFirewall(firewall: FirewallConfig, options: { timeoutMs: number }): Promise<FirewallApi> {
    const script = this.#scripts.get(firewall.name) ?? {};
    this.calls.push({ firewall: firewall.name, method: 'forFirewall', at: this.#clock.now(), endedAt: this.#clock.now(), timeoutMs: options.timeoutMs });
    if (script.secretUnavailable) {
      return Promise.reject(new SecretUnavailableError(`secret of ${firewall.name}`, 'AccessDeniedException (fake)'));
    }
    return Promise.resolve(this.#api(firewall));
  }

  #next(name: string, method: FakeMethod): number {
    const key = `${name}/${method}`;
    const n = this.#counters.get(key) ?? 0;
    this.#counters.set(key, n + 1);
    return n;
  }

  #api(firewall: FirewallConfig): FirewallApi {
    const name = firewall.name;
    const target = `${firewall.management.host}:${firewall.management.port}`;
    const script = () => this.#scripts.get(name) ?? {};
    const call = <T>(method: FakeMethod, options: CallOptions | undefined, produce: (n: number) => T): Promise<T> =>
      this.#call(name, target, method, script(), options?.signal, produce);
    return {
      target,
      systemInfo: (o) => call('systemInfo', o, () => systemInfoOf(name, script().swVersion ?? DEFAULT_SW_VERSION)),
      chassisReady: (o) => call('chassisReady', o, (n) => nth(script().chassisReady ?? true, n)),
      jobs: (o) => call('jobs', o, (n) => jobsFor(nth(script().autoCommit ?? 'done', n))),
      ipsecState: (o) =>
        call('ipsecState', o, () => (script().tunnels ?? []).map((t) => (typeof t === 'string' ? tunnelStatus(t) : t))),
      configShow: (_xpath, o) => call('configShow', o, (): ConfigNode | undefined => undefined),
      licenses: (o) => call('licenses', o, () => []),
    };
  }

  async #call<T>(
    name: string,
    target: string,
    method: FakeMethod,
    script: FakeFirewallScript,
    signal: AbortSignal | undefined,
    produce: (n: number) => T,
  ): Promise<T> {
    const n = this.#next(name, method);
    const record: FakeCall = { firewall: name, method, at: this.#clock.now() };
    this.calls.push(record);
    try {
      const outcome = this.#outcome(script, method, n);
      const latency = typeof script.latencyMs === 'number' ? script.latencyMs : (script.latencyMs?.[method] ?? 0);
      if (outcome === 'hang') {
        if (!signal) throw new Error(`fake ${name}.${method} hangs, but the caller passed no signal: it would never end`);
        await this.#clock.sleep(Number.MAX_SAFE_INTEGER, signal).catch(() => undefined);
        throw new FirewallTimeoutError(target, 'no answer within the timeout (fake hang)');
      }
      if (latency > 0) {
        await this.#clock.sleep(latency, signal).catch(() => {
          throw new FirewallTimeoutError(target, `no answer within the timeout (fake latency ${latency} ms)`);
        });
      }
      if (signal?.aborted) throw new FirewallTimeoutError(target, 'no answer within the timeout (fake)');
      if (outcome !== 'ok') throw errorFor(outcome, target);
      return produce(n);
    } finally {
      record.endedAt = this.#clock.now();
    }
  }

  #outcome(script: FakeFirewallScript, method: FakeMethod, n: number): FakeOutcome {
    const override = script.methodOutcomes?.[method];
    if (override !== undefined) return override;
    if (method !== 'systemInfo') return 'ok';
    const outcomes = script.outcomes ?? 'ok';
    return typeof outcomes === 'function' ? outcomes(n) : nth(outcomes, n);
  }
}

function systemInfoOf(name: string, swVersion: string): SystemInfo {
  return {
    hostname: name,
    model: 'PA-VM',
    serial: `0070010${name.length}`,
    swVersion,
    uptime: '7 days, 1:02:03',
    uptimeSeconds: 7 * 86_400 + 3723,
    vmLicense: 'VM-300',
    operationalMode: 'normal',
    appVersion: '8900-9123',
    threatVersion: '8900-9123',
    advancedRouting: false,
    ipAddress: undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// Recording ports

export interface StartCall {
  readonly name: string;
  readonly input: Readonly<Record<string, unknown>>;
  readonly at: number;
}

/**
 * A FlowStarter that records starts. Names already started report `alreadyExisted`, as Step
 * Functions does; `status` answers from `statuses` (default: RUNNING once started).
 */
export class MockFlowStarter implements FlowStarter {
  readonly starts: StartCall[] = [];
  readonly statusCalls: string[] = [];
  /** Status per execution name; overrides the default. */
  readonly statuses = new Map<string, ExecutionStatus | undefined>();
  /** Status of every started execution not in `statuses`. */
  defaultStatus: ExecutionStatus | undefined = 'RUNNING';
  failStart: Error | undefined;
  readonly #clock: Clock;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  start(executionName: string, input: Readonly<Record<string, unknown>>): Promise<StartResult> {
    if (this.failStart) return Promise.reject(this.failStart);
    const alreadyExisted = this.starts.some((s) => s.name === executionName);
    this.starts.push({ name: executionName, input: structuredClone(input), at: this.#clock.now() });
    return Promise.resolve({
      executionArn: `arn:aws:states:eu-central-1:123456789012:execution:pan-failover:${executionName}`,
      alreadyExisted,
    });
  }

  status(executionName: string): Promise<ExecutionStatus | undefined> {
    this.statusCalls.push(executionName);
    if (this.statuses.has(executionName)) return Promise.resolve(this.statuses.get(executionName));
    return Promise.resolve(this.starts.some((s) => s.name === executionName) ? this.defaultStatus : undefined);
  }
}

export class RecordingNotifier implements Notifier {
  readonly published: Notification[] = [];
  failWith: Error | undefined;

  publish(notification: Notification): Promise<void> {
    if (this.failWith) return Promise.reject(this.failWith);
    this.published.push(notification);
    return Promise.resolve();
  }

  subjects(): string[] {
    return this.published.map((n) => n.subject);
  }
}

export interface Ec2Call {
  readonly method: keyof Ec2Port;
  readonly args: readonly unknown[];
  readonly at: number;
  endedAt?: number;
  error?: unknown;
}

export const EC2_METHODS = [
  'describeInstances',
  'startInstance',
  'stopInstance',
  'setInstanceType',
  'describeRouteTables',
  'replaceRoute',
  'createRoute',
  'describeAddresses',
  'associateAddress',
  'describeNetworkInterfaces',
  'describeInstanceTypes',
] as const satisfies readonly (keyof Ec2Port)[];

export const MUTATING_EC2 = ['replaceRoute', 'createRoute', 'associateAddress'] as const;

/**
 * Wraps an Ec2Port: records every call with its clock times; `before` runs first and may throw
 * (an injected failure) or wait.
 */
export function spyEc2(
  ec2: Ec2Port,
  clock: Clock,
  before?: (method: keyof Ec2Port, args: readonly unknown[]) => void | Promise<void>,
): { port: Ec2Port; calls: Ec2Call[]; count: (method: keyof Ec2Port) => number; maxInFlight: (methods: readonly (keyof Ec2Port)[]) => number } {
  const calls: Ec2Call[] = [];
  const port = {} as Record<keyof Ec2Port, (...args: unknown[]) => Promise<unknown>>;
  for (const method of EC2_METHODS) {
    port[method] = async (...args: unknown[]) => {
      const record: Ec2Call = { method, args, at: clock.now() };
      calls.push(record);
      try {
        await before?.(method, args);
        return await (ec2[method] as (...a: unknown[]) => Promise<unknown>).apply(ec2, args);
      } catch (e) {
        record.error = e;
        throw e;
      } finally {
        record.endedAt = clock.now();
      }
    };
  }
  const maxInFlight = (methods: readonly (keyof Ec2Port)[]): number => {
    const edges = calls
      .filter((c) => methods.includes(c.method))
      .flatMap((c) => [
        { t: c.at, d: 1 },
        { t: c.endedAt ?? Number.POSITIVE_INFINITY, d: -1 },
      ])
      // An end at the same instant as a start frees its slot first.
      .sort((a, b) => a.t - b.t || a.d - b.d);
    let now = 0;
    let max = 0;
    for (const e of edges) {
      now += e.d;
      max = Math.max(max, now);
    }
    return max;
  };
  return {
    port: port as unknown as Ec2Port,
    calls,
    count: (method) => calls.filter((c) => c.method === method).length,
    maxInFlight,
  };
}

// ---------------------------------------------------------------------------------------------
// Clock driving

/**
 * Advances `clock` in `stepMs` steps until `work` settles, then returns (or throws) its result.
 * Fails after `limitMs` of clock time: a test that would hang says so instead.
 */
export async function drive<T>(clock: ManualClock, work: Promise<T>, options: { stepMs?: number; limitMs?: number } = {}): Promise<T> {
  const stepMs = options.stepMs ?? 250;
  const limitMs = options.limitMs ?? 6 * 3_600_000;
  let settled = false;
  const watched = work.then(
    (v) => {
      settled = true;
      return v;
    },
    (e: unknown) => {
      settled = true;
      throw e;
    },
  );
  // Keep the rejection observed while the loop runs; it is rethrown below.
  watched.catch(() => undefined);
  const start = clock.now();
  await new Promise<void>((r) => setImmediate(r));
  while (!settled) {
    if (clock.now() - start > limitMs) throw new Error(`drive: still running after ${limitMs} ms of clock time`);
    await clock.advance(stepMs);
  }
  return watched;
}

/** Whether a promise has settled (after letting pending callbacks run). */
export async function isSettled(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
  return settled;
}

// ---------------------------------------------------------------------------------------------
// A world with fake firewalls

export const FAKE_SECRETS: Readonly<Record<string, string>> = {
  'pan-failover/fw-a/api-key': 'LUFRPT-fake-key-fw-a',
  'pan-failover/fw-b/api-key': 'LUFRPT-fake-key-fw-b',
};

export interface WorldHarness {
  readonly config: Config;
  /** The first pair. */
  readonly pair: PairConfig;
  readonly clock: ManualClock;
  readonly world: World;
  readonly ports: DirectPorts<ProbeMemory>;
  readonly firewalls: FakeFirewalls;
  readonly telemetry: RecordingTelemetry;
  readonly flows: MockFlowStarter;
  readonly notifier: RecordingNotifier;
  /** Probe deps: the world's EC2 and store, fake firewalls, mock flow starter, recording notifier. */
  probeDeps(overrides?: Partial<ProbeDeps>): ProbeDeps;
  /** Flow deps: the world's EC2, DNS and store, fake firewalls, recording notifier. */
  flowDeps(overrides?: Partial<FlowDeps>): FlowDeps;
  close(): void;
}

export interface HarnessOptions {
  readonly firewalls?: Readonly<Record<string, FakeFirewallScript>>;
  readonly timings?: Partial<WorldTimings>;
  readonly seed?: number;
  readonly unmanagedRoutes?: readonly { routeTableId: string; destination: string }[];
  readonly start?: number;
}

/** The world a configuration describes (every managed object on the primary), with fakes around it. */
export function worldHarness(config: Config, options: HarnessOptions = {}): WorldHarness {
  const clock = new ManualClock(options.start);
  const world = World.create({ clock, seed: options.seed ?? 7, timings: options.timings }).load(
    topologyFromConfig(config, { secrets: FAKE_SECRETS, unmanagedRoutes: options.unmanagedRoutes }),
  );
  const ports = createDirectPorts<ProbeMemory>(world, {
    tableName: SIM_TABLE,
    topicArn: world.sns.topicArn(SIM_TOPIC),
    stateMachineArn: world.sfn.stateMachineArn(SIM_STATE_MACHINE),
  });
  const firewalls = new FakeFirewalls(clock, options.firewalls);
  const telemetry = recordingTelemetry();
  const flows = new MockFlowStarter(clock);
  const notifier = new RecordingNotifier();
  const pair = config.pairs[0];
  if (!pair) throw new Error('config without pairs');
  return {
    config,
    pair,
    clock,
    world,
    ports,
    firewalls,
    telemetry,
    flows,
    notifier,
    probeDeps: (overrides = {}) => ({
      config,
      ec2: ports.ec2,
      firewalls,
      store: ports.store,
      flows,
      notifier,
      clock,
      telemetry,
      ...overrides,
    }),
    flowDeps: (overrides = {}) => ({
      config,
      clock,
      telemetry,
      ec2: ports.ec2,
      dns: ports.dns,
      store: ports.store,
      notifier,
      firewalls,
      ...overrides,
    }),
    close: () => world.close(),
  };
}

/**
 * Where the pair's managed objects point in the world now (its truth, ignoring any Describe lag
 * fault), and the one side they all share, if any.
 */
export function truePlacement(world: World, pair: PairConfig): { placement: PairPlacement; owner: ReturnType<typeof effectiveOwner> } {
  const tables = [...new Set(pair.routes.map((r) => r.routeTableId))];
  const routeTables = world.ec2.describeRouteTables({ ids: tables, current: true }).map(routeTableInfo);
  const addresses = world.ec2.describeAddresses({ ids: pair.elasticIps.map((e) => e.allocationId), current: true }).map(addressInfo);
  const placement = observePlacement(pair, routeTables, addresses);
  return { placement, owner: effectiveOwner(placement) };
}
