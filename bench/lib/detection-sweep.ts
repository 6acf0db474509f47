/**
 * Worst-case detection, exactly: the real probe (`runProbeInvocation`, `decide`, the probe state
 * in the simulated DynamoDB, EC2 through the world's direct ports) on a discrete-event clock,
 * invoked once a minute as EventBridge does, while the active firewall fails at a chosen instant.
 * The firewalls are scripted at the API level (every call answers in `callLatencyMs` until the
 * failure instant; from then on the active one hangs: TCP accepted, nothing answered, each look
 * costs the probe its whole timeout, the slowest failure to see). Detection is the time from the
 * failure instant to the probe starting the failover flow.
 *
 * Exact and load-independent (simulated milliseconds on the ManualClock); what it leaves out is
 * the real network and TLS (the `probe` section measures those in real time) and EventBridge's
 * own jitter (the schedule is exactly one minute apart here).
 */
import { FirewallTimeoutError } from '#shared/errors.js';
import type { Config, FirewallConfig } from '#shared/config/schema.js';
import { recordingTelemetry } from '#shared/observability/telemetry.js';
import type { CallOptions, FirewallApi, FirewallApiFactory } from '#shared/ports/firewall.js';
import type { ExecutionStatus, FlowStarter, StartResult } from '#shared/ports/messaging.js';
import { runProbeInvocation, type ProbeMemory } from '#shared/usecases/probe.js';
import { ManualClock } from '#sim/manual-clock.js';
import { SIM_STATE_MACHINE, SIM_TABLE, SIM_TOPIC, topologyFromConfig } from '#sim/scenario/topology-from-config.js';
import { createDirectPorts } from '#sim/world/ports.js';
import { World } from '#sim/world/world.js';

/** Scripted firewalls: all answer (healthy, tunnels up) until `failAt`, then `failing` hangs. */
class ScriptedFirewalls implements FirewallApiFactory {
  calls = 0;
  constructor(
    private readonly clock: ManualClock,
    private readonly failing: string,
    private readonly failAt: number,
    private readonly callLatencyMs: number,
    private readonly tunnels: readonly string[],
  ) {}

  forFirewall(firewall: FirewallConfig): Promise<FirewallApi> {
    const target = `${firewall.management.host}:${firewall.management.port}`;
    const call = async <T>(options: CallOptions | undefined, value: () => T): Promise<T> => {
      this.calls++;
      const hangs = firewall.name === this.failing && this.clock.now() >= this.failAt;
      try {
        await this.clock.sleep(hangs ? Number.MAX_SAFE_INTEGER : this.callLatencyMs, options?.signal);
      } catch {
        throw new FirewallTimeoutError(target, 'no answer within the timeout (scripted)');
      }
      return value();
    };
    return Promise.resolve({
      target,
      systemInfo: (o) =>
        call(o, () => ({
          hostname: firewall.name,
          model: 'PA-VM',
          serial: '007001000000',
          swVersion: '11.1.6-h1',
          uptime: '7 days, 1:02:03',
          uptimeSeconds: 7 * 86_400 + 3723,
          vmLicense: 'VM-300',
          operationalMode: 'normal',
          appVersion: undefined,
          threatVersion: undefined,
          advancedRouting: false,
          ipAddress: firewall.management.host,
        })),
      chassisReady: (o) => call(o, () => true),
      jobs: (o) => call(o, () => [{ id: '1', type: 'AutoCom', status: 'FIN', result: 'OK' }]),
      ipsecState: (o) =>
        call(o, () =>
          this.tunnels.map((name) => ({ name, tunnel: name, proxyId: undefined, flowState: 'active', monitor: 'off', ipsecSa: true, ikeSa: true, peerIp: '203.0.113.1', up: true })),
        ),
      configShow: (_x, o) => call(o, () => undefined),
      licenses: (o) => call(o, () => []),
    });
  }
}

/** Records the probe's flow starts; the execution runs (the flow is not what is measured here). */
class RecordingStarter implements FlowStarter {
  readonly starts: { name: string; at: number }[] = [];
  onStart: (() => void) | undefined;
  constructor(private readonly clock: ManualClock) {}
  start(executionName: string): Promise<StartResult> {
    this.starts.push({ name: executionName, at: this.clock.now() });
    this.onStart?.();
    return Promise.resolve({ executionArn: `arn:aws:states:eu-central-1:123456789012:execution:sim:${executionName}`, alreadyExisted: false });
  }
  status(executionName: string): Promise<ExecutionStatus | undefined> {
    return Promise.resolve(this.starts.some((s) => s.name === executionName) ? 'RUNNING' : undefined);
  }
}

export interface DetectionRun {
  /** Failure instant, ms after the first invocation began. */
  readonly failAtMs: number;
  /** Failure -> the probe starts the failover flow, ms; `undefined` if it never did. */
  readonly detectionMs: number | undefined;
  /** Which probe invocation (0-based) started the flow, and which one saw the first failed round. */
  readonly decidedInInvocation: number | undefined;
  readonly firewallCalls: number;
}

export const INVOCATION_MS = 60_000;
/** The deployed probe's Lambda timeout (serverless.yml), for `remainingMs`. */
const PROBE_LAMBDA_TIMEOUT_MS = 75_000;

/** One run: the schedule starts at T0; `failAtMs` after it the active firewall (the primary) hangs. */
export async function detectOnce(config: Config, failAtMs: number, options: { callLatencyMs?: number; limitMs?: number } = {}): Promise<DetectionRun> {
  const clock = new ManualClock();
  const world = World.create({ clock, seed: 1 }).load(topologyFromConfig(config, { secrets: {} }));
  try {
    const ports = createDirectPorts<ProbeMemory>(world, {
      tableName: SIM_TABLE,
      topicArn: world.sns.topicArn(SIM_TOPIC),
      stateMachineArn: world.sfn.stateMachineArn(SIM_STATE_MACHINE),
    });
    const pair = config.pairs[0];
    if (!pair) throw new RangeError('a configuration without pairs');
    const t0 = clock.now();
    const firewalls = new ScriptedFirewalls(clock, pair.firewalls.primary.name, t0 + failAtMs, options.callLatencyMs ?? 100, pair.tunnels.map((t) => t.name));
    const flows = new RecordingStarter(clock);
    const deps = { config, ec2: ports.ec2, firewalls, store: ports.store, flows, notifier: ports.notifier, clock, telemetry: recordingTelemetry() };
    const decided = new Promise<void>((resolve) => (flows.onStart = resolve));
    const stop = new AbortController();
    const schedule = (async () => {
      for (let k = 0; !stop.signal.aborted; k++) {
        const started = t0 + k * INVOCATION_MS;
        void runProbeInvocation(deps, { remainingMs: () => PROBE_LAMBDA_TIMEOUT_MS - (clock.now() - started) }).catch(() => undefined);
        await clock.sleep(started + INVOCATION_MS - clock.now(), stop.signal).catch(() => undefined);
      }
    })();
    void schedule;
    const limitMs = options.limitMs ?? failAtMs + 5 * INVOCATION_MS;
    let detectedAt: number | undefined;
    try {
      await clock.run(decided, { limitMs });
      detectedAt = flows.starts[0]?.at;
    } catch {
      detectedAt = undefined;
    } finally {
      stop.abort();
    }
    return {
      failAtMs,
      detectionMs: detectedAt === undefined ? undefined : detectedAt - (t0 + failAtMs),
      decidedInInvocation: detectedAt === undefined ? undefined : Math.floor((detectedAt - t0) / INVOCATION_MS),
      firewallCalls: firewalls.calls,
    };
  } finally {
    world.close?.();
  }
}

/** `points` failure instants evenly spread over one probe interval starting `fromMs` after T0. */
export async function detectionSweep(config: Config, fromMs: number, points: number, options: { callLatencyMs?: number } = {}): Promise<DetectionRun[]> {
  const pair = config.pairs[0];
  if (!pair) throw new RangeError('a configuration without pairs');
  const interval = pair.probe.intervalSeconds * 1000;
  const runs: DetectionRun[] = [];
  for (let j = 0; j < points; j++) runs.push(await detectOnce(config, fromMs + Math.round((j * interval) / points), options));
  return runs;
}

/** The documented worst case: the failure lands just after a round looked, the next `failuresBeforeFailover` rounds fail, the last after its whole timeout. */
export function worstCaseDetectionSeconds(config: Config): number {
  const p = config.pairs[0]?.probe;
  if (!p) throw new RangeError('a configuration without pairs');
  return p.failuresBeforeFailover * p.intervalSeconds + p.timeoutSeconds;
}
