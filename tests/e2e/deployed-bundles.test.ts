/**
 * The artefacts that get deployed, not the sources: the four Lambda bundles are built with the
 * project's esbuild options (`scripts/lambda-esbuild.mjs`, the same the build and the benchmark
 * use, SDK schema tree-shaking included) and their exported `handler`s do a whole failover on the
 * wire simulator. Each bundle composes itself from its environment as in Lambda (configuration
 * file, table, topic, state machine ARN, SDK endpoint), so this is also the only test of the
 * functions' composition roots (`probeDepsFromEnv`, `controlDepsFromEnv`, ...).
 *
 * The bundles run in this process on the real clock while the simulator runs 30 times faster;
 * nothing in the flow compares the two (every time in the flow's state is the bundles' own).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import { validateConfig } from '#shared/config/load.js';
import { PROJECT_ROOT } from '#sim/scenario/run.js';
import { SIM_TABLE } from '#sim/scenario/topology-from-config.js';
import { lambdaContext } from '#sim/runtime/lambda.js';
import type { DeployedHandler, SimSystem } from '#sim/system.js';
import { lambdaBuildOptions } from '../../scripts/lambda-esbuild.mjs';
import { deployment, FUNCTIONS as DEPLOYED_FUNCTIONS, type FunctionKey, type Statement } from '../../infra/deployment.js';
import { simAccessKeyId } from '#sim/iam/deployed-roles.js';
import { MIN_DECIDING_GAP } from '#shared/usecases/probe.js';
import { exampleRaw } from '../support/config.js';
import {
  eipMoves,
  flowRuns,
  FW_A,
  machineryFailures,
  routeMoves,
  routeTargets,
  startSystem,
  waitForOwner,
} from './support/detect-harness.js';

const FUNCTIONS = ['health-probe', 'flow-control', 'flow-aws', 'flow-firewall'] as const;
type FunctionName = (typeof FUNCTIONS)[number];

const ENV_KEYS = [
  'PAN_FAILOVER_CONFIG',
  'PAN_FAILOVER_TABLE',
  'PAN_FAILOVER_TOPIC_ARN',
  'PAN_FAILOVER_STATE_MACHINE_ARN',
  'POWERTOOLS_TRACE_ENABLED',
  'POWERTOOLS_LOG_LEVEL',
  'POWERTOOLS_METRICS_DISABLED',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
] as const;

const VPN_RECORD = {
  hostedZoneId: 'Z0123456789ABCDEFGHIJ',
  name: 'vpn.example.com',
  type: 'A' as const,
  ttl: 60,
  values: { primary: ['203.0.113.10'], secondary: ['203.0.113.20'] },
};

let dir = '';
let system: SimSystem | undefined;
const handlers = new Map<FunctionName, DeployedHandler>();
const savedEnv = new Map<string, string | undefined>(ENV_KEYS.map((k) => [k, process.env[k]]));
/** Everything the bundles wrote to stdout and stderr (their logs and EMF metrics), one JSON document per line. */
const written: string[] = [];
const spies: MockInstance[] = [];

const KEYS: Record<FunctionName, FunctionKey> = {
  'health-probe': 'healthProbe',
  'flow-control': 'flowControl',
  'flow-aws': 'flowAws',
  'flow-firewall': 'flowFirewall',
};

/**
 * AWS operations each function sent, counted from the simulator's request counts around each of
 * its invocations; only invocations that ran alone are counted (the flow runs while the probe's
 * last invocation may still be saving its memory).
 */
const opsBy = new Map<FunctionName, Set<string>>(FUNCTIONS.map((f) => [f, new Set()]));
let inFlight = 0;
let startedInvocations = 0;

/** Which simulated role signed the requests each bundle sent (from the simulator's request log). */
const signedAs = new Map<FunctionName, Set<string>>(FUNCTIONS.map((f) => [f, new Set()]));
let invocations: Promise<unknown> = Promise.resolve();

/**
 * Lambda gives each function its own role's credentials in its environment; here the four
 * bundles share one process, so the invocations run one at a time, each with its own role's
 * key in `AWS_ACCESS_KEY_ID` (its SDK clients resolve it on their first call and keep it).
 */
function handler(name: FunctionName): DeployedHandler {
  const h = handlers.get(name);
  if (!h) throw new Error(`bundle ${name} not loaded`);
  const invoke: DeployedHandler = async (event, context) => {
    const alone = inFlight === 0;
    const mine = ++startedInvocations;
    inFlight++;
    const before = { ...(system?.aws?.requestCounts() ?? {}) };
    const lastRequest = system?.aws?.recentRequests().at(-1)?.requestId;
    process.env.AWS_ACCESS_KEY_ID = simAccessKeyId(KEYS[name]);
    process.env.AWS_SECRET_ACCESS_KEY = 'simulator';
    try {
      return await h(event, context);
    } finally {
      inFlight--;
      process.env.AWS_ACCESS_KEY_ID = 'operator';
      const requests = system?.aws?.recentRequests() ?? [];
      const from = requests.findIndex((r) => r.requestId === lastRequest) + 1;
      for (const r of requests.slice(from)) signedAs.get(name)?.add(r.principal ?? 'operator');
      if (alone && mine === startedInvocations) {
        const after = system?.aws?.requestCounts() ?? {};
        for (const [op, n] of Object.entries(after)) if (n > (before[op] ?? 0)) opsBy.get(name)?.add(op);
      }
    }
  };
  return (event, context) => {
    const run = () => invoke(event, context);
    const result = invocations.then(run, run);
    invocations = result.catch(() => undefined);
    return result;
  };
}

/** The IAM action of a simulator operation name (`sfn:StartExecution` -> `states:StartExecution`). */
function iamAction(op: string): string {
  const [service = '', action = ''] = op.split(':');
  return `${service === 'sfn' ? 'states' : service}:${action}`;
}

function allows(statements: readonly Statement[], action: string): boolean {
  return statements.some((s) => s.Action.some((a) => a === action || (a.endsWith('*') && action.startsWith(a.slice(0, -1)))));
}

function sim(): SimSystem {
  if (!system) throw new Error('the simulator did not start');
  return system;
}

/** JSON lines the bundles wrote (logs and EMF documents); anything else they wrote too, as text. */
function documents(): Record<string, unknown>[] {
  return written
    .join('')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return { unparsed: l };
      }
    });
}

interface Emf {
  readonly _aws?: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
}

/** The controller's metrics the bundles wrote (EMF): name -> every dimension set (names and values) it was written with. */
function writtenMetrics(): Map<string, Record<string, string>[]> {
  const written = new Map<string, Record<string, string>[]>();
  for (const doc of documents()) {
    for (const m of (doc as Emf)._aws?.CloudWatchMetrics ?? []) {
      if (m.Namespace !== 'PanFailover') continue;
      for (const dims of m.Dimensions) {
        const set = Object.fromEntries(dims.map((k) => [k, String(doc[k])]));
        for (const x of m.Metrics) written.set(x.Name, [...(written.get(x.Name) ?? []), set]);
      }
    }
  }
  return written;
}

async function invokeProbe(): Promise<{ rounds: number; pairs: { owner: string; action: string; code: string }[] }> {
  // What the probe loop (infra/probe-loop.asl.json) hands the deployed function: one round, the first of a window.
  const context = lambdaContext('health-probe', sim().clock, 75_000);
  return (await handler('health-probe')({ round: 0, startedAt: new Date(sim().clock.now()).toISOString() }, context)) as {
    rounds: number;
    pairs: { owner: string; action: string; code: string }[];
  };
}

describe('deployed bundles', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pan-failover-bundles-'));
    for (const name of FUNCTIONS) {
      await build({
        ...lambdaBuildOptions(PROJECT_ROOT),
        entryPoints: [join(PROJECT_ROOT, 'functions', name, 'handler.ts')],
        outfile: join(dir, name, 'index.mjs'),
        logLevel: 'error',
      });
    }
    // Logs and EMF metrics on, as in Lambda (the test setup silences them for the other tests);
    // read when a bundle is imported. Tracing stays off: no X-Ray daemon here.
    process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    process.env.POWERTOOLS_TRACE_ENABLED = 'false';
    for (const stream of [process.stdout, process.stderr]) {
      spies.push(
        vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
          written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
          return true;
        }),
      );
    }
    for (const name of FUNCTIONS) {
      const mod = (await import(pathToFileURL(join(dir, name, 'index.mjs')).href)) as { handler: DeployedHandler };
      handlers.set(name, mod.handler);
    }

    const raw = exampleRaw();
    (raw.pairs[0] as { dnsRecords: unknown[] }).dnsRecords.push(VPN_RECORD);
    // The bundles keep real time: the shortest probe interval the schema allows, so that the
    // rounds below are far enough apart (half an interval) to count.
    Object.assign((raw.pairs[0] as { probe: object }).probe, { intervalSeconds: 5, timeoutSeconds: 2 });
    system = await startSystem({
      config: validateConfig(raw),
      speed: 30,
      transport: 'wire',
      // Nothing acts unless the test does: the probe below is the bundle, invoked by hand.
      schedule: false,
      alarmTrigger: false,
      // The firewalls have been up an hour on both clocks.
      clockStart: Date.now() - 3_600_000,
      worldTimings: { dnsSyncMs: 5_000 },
      deployedFunctions: {
        flowControl: (e, c) => handler('flow-control')(e, c),
        flowAws: (e, c) => handler('flow-aws')(e, c),
        flowFirewall: (e, c) => handler('flow-firewall')(e, c),
      },
    });
    // What serverless.yml gives every function: the configuration file in the bundle, the table, the topic, the state machine.
    const configPath = join(dir, 'pan-failover.json');
    writeFileSync(configPath, JSON.stringify(system.config));
    process.env.PAN_FAILOVER_CONFIG = configPath;
    process.env.PAN_FAILOVER_TABLE = SIM_TABLE;
    process.env.PAN_FAILOVER_TOPIC_ARN = system.topicArn;
    process.env.PAN_FAILOVER_STATE_MACHINE_ARN = system.stateMachineArn;
  }, 120_000);

  afterAll(async () => {
    for (const s of spies) s.mockRestore();
    await system?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    for (const [k, v] of savedEnv) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('each bundle exports a Lambda handler', () => {
    for (const name of FUNCTIONS) expect(typeof handlers.get(name), name).toBe('function');
  });

  it('the health-probe bundle probes the healthy pair over HTTPS and the SDK and publishes its metrics', async () => {
    const before = { ...(sim().aws?.requestCounts() ?? {}) };
    const summary = await invokeProbe();
    expect(summary.rounds).toBe(1);
    expect(summary.pairs).toEqual([expect.objectContaining({ owner: 'primary', action: 'none', code: 'active-healthy' })]);
    const counts = sim().aws?.requestCounts() ?? {};
    // The example's API keys are in Parameter Store (ADR 0010): the bundle's pruned SSM client reads them.
    for (const op of ['ec2:DescribeInstances', 'dynamodb:GetItem', 'dynamodb:PutItem', 'ssm:GetParameter']) {
      expect((counts[op] ?? 0) - (before[op] ?? 0), op).toBeGreaterThan(0);
    }
    expect(counts['sfn:StartExecution'] ?? 0).toBe(0);
    const names = new Set(writtenMetrics().keys());
    for (const m of ['FirewallStatusCode', 'ApiLatency', 'TunnelsUp', 'ProbeRound']) {
      expect(names.has(m), `EMF metric ${m}`).toBe(true);
    }
    // A healthy round writes no event metric (billed only in the hours one is written).
    for (const m of ['FailoverDecision', 'ProbeAlert', 'ControllerBlind', 'Paused', 'DriftedObjects']) expect(names.has(m), `EMF metric ${m}`).toBe(false);
    expect(documents().some((d) => d.function === 'health-probe' && d.message === 'probe round')).toBe(true);
  }, 60_000);

  it('bad input to a flow bundle is refused with a typed error, and nothing changes', async () => {
    const before = { ...(sim().aws?.requestCounts() ?? {}) };
    const context = lambdaContext('flow-control', sim().clock, 60_000);
    await expect(
      handler('flow-control')(
        { step: 'validate', input: { pair: 'no-such-pair', action: 'failover', reason: 'test' }, execution: 'x', stateMachine: sim().stateMachineArn },
        context,
      ),
    ).rejects.toMatchObject({ name: expect.stringMatching(/Invalid/), message: expect.stringContaining('no-such-pair') });
    await expect(handler('flow-aws')({ step: 'deleteEverything', state: {} }, context)).rejects.toMatchObject({
      name: expect.stringMatching(/Invalid/),
    });
    const after = sim().aws?.requestCounts() ?? {};
    const changes = Object.keys(after).filter((op) => /ReplaceRoute|AssociateAddress|StartInstances|StopInstances|PutItem|ChangeResourceRecordSets/.test(op));
    for (const op of changes) expect(after[op], op).toBe(before[op]);
  }, 60_000);

  it('a dead primary: the probe bundle starts the state machine, the flow bundles move everything to the standby', async () => {
    const s = sim();
    const pair = s.pair();
    s.firewall(FW_A).setFaults({ dead: true });
    const decisions: string[] = [];
    for (let i = 0; i < 10 && !decisions.includes('failover'); i++) {
      // Rounds closer than 0.8 interval observe but do not count (two overlapping invocations).
      await new Promise((r) => setTimeout(r, pair.probe.intervalSeconds * 1000 * MIN_DECIDING_GAP + 100));
      const summary = await invokeProbe();
      decisions.push(summary.pairs[0]?.action ?? '?');
    }
    // No failover on the first failed round: the configured consecutive failures first.
    expect(decisions[0]).not.toBe('failover');
    expect(decisions.at(-1)).toBe('failover');
    expect(decisions).toHaveLength(pair.probe.failuresBeforeFailover);

    await waitForOwner(s, 'secondary', 15 * 60_000);
    const runs = flowRuns(s);
    expect(runs.map((r) => [r.action, r.outcome])).toEqual([['failover', 'succeeded']]);
    expect(routeMoves(s)).toHaveLength(pair.routes.length);
    const toB = routeTargets(pair, 'secondary');
    for (const m of routeMoves(s)) expect(toB.has(String(m.data.to))).toBe(true);
    expect(eipMoves(s)).toHaveLength(pair.elasticIps.length);
    expect(s.world.route53.resolve('vpn.example.com', 'A')).toMatchObject({ values: ['203.0.113.20'] });

    const counts = s.aws?.requestCounts() ?? {};
    expect(counts['sfn:StartExecution']).toBe(1);
    expect(counts['ec2:StartInstances']).toBe(1);
    expect(counts['ec2:StopInstances']).toBe(1);
    expect(counts['route53:ChangeResourceRecordSets']).toBe(1);
    expect(counts['sns:Publish']).toBe(s.world.sns.messages().length);
    expect(Object.keys(counts).filter((k) => k.startsWith('unknown:'))).toEqual([]);
    expect(machineryFailures(s)).toEqual([]);

    // Every flow function's bundle did its part (their own log lines, not the simulator's).
    const fns = new Set(documents().map((d) => d.function));
    for (const fn of FUNCTIONS) expect(fns.has(fn), `logs of ${fn}`).toBe(true);

    const report = await s.consistency();
    expect(report.problems).toEqual([]);
    expect(report.owner).toBe('secondary');
  }, 180_000);

  it('every alarm and chart on the controller\'s own metrics names a metric, with the dimensions, that the bundles really wrote', () => {
    const d = deployment(sim().config, { stage: 'test' });
    const written = writtenMetrics();
    const sameSet = (a: Record<string, string>, b: Record<string, string>) =>
      Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);
    const alarms = Object.values(d.resources)
      .map((r) => r as { Type: string; Properties: { AlarmName: string; Namespace: string; MetricName: string; Dimensions: { Name: string; Value: string }[] } })
      .filter((r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties.Namespace === 'PanFailover');
    expect(alarms.length).toBeGreaterThan(0);
    // SelftestFailed is written only by the scheduled self-test, which a failover does not run:
    // tests/integration/cli-selftest.test.ts defines that generated alarm in the simulated CloudWatch and sees it fire.
    // ControllerBlind is an event metric, written only in a blind round, which this run has none of:
    // tests/e2e/detection-no-failover.test.ts (scenario 6) sees the probe write it when blind.
    for (const a of alarms.filter((x) => !['SelftestFailed', 'ControllerBlind'].includes(x.Properties.MetricName))) {
      const want = Object.fromEntries(a.Properties.Dimensions.map((x) => [x.Name, x.Value]));
      expect((written.get(a.Properties.MetricName) ?? []).some((w) => sameSet(want, w)), `${a.Properties.AlarmName}: ${JSON.stringify(want)}`).toBe(true);
    }
    const body = JSON.parse((d.resources.Dashboard as { Properties: { DashboardBody: { 'Fn::Sub': string } } }).Properties.DashboardBody['Fn::Sub']) as {
      widgets: { properties: { metrics?: unknown[][] } }[];
    };
    const charted = body.widgets.flatMap((w) => w.properties.metrics ?? []).filter((m) => m[0] === 'PanFailover');
    for (const m of charted) {
      const parts = m.slice(2).filter((x): x is string => typeof x === 'string');
      const want: Record<string, string> = {};
      for (let i = 0; i + 1 < parts.length; i += 2) want[parts[i] as string] = parts[i + 1] as string;
      // Same dimension names and pair (a chart's firewall may not have answered during this run).
      const seen = written.get(String(m[1])) ?? [];
      const names = (x: Record<string, string>) => Object.keys(x).sort().join(',');
      // Event metrics are written only when they happen (a round fails, finds drift, alerts, is
      // blind or paused); the failover's deciding round writes FailoverDecision.
      if (!['DriftedObjects', 'ProbeError', 'ProbeAlert', 'ControllerBlind', 'Paused'].includes(String(m[1]))) expect(seen.length, `chart ${String(m[1])}: never written`).toBeGreaterThan(0);
      for (const w of seen.slice(0, 1)) {
        expect(names(w), `chart ${String(m[1])}`).toBe(names(want));
        expect(w.Pair).toBe(want.Pair);
      }
    }
  });

  it("each bundle's calls reach AWS as its own role, and that role's generated policies allowed every one of them", () => {
    for (const fn of FUNCTIONS) expect([...(signedAs.get(fn) ?? [])], `requests signed by ${fn}`).toEqual([DEPLOYED_FUNCTIONS[KEYS[fn]].dir]);
    const evaluated = new Set(sim().world.iam.records().map((r) => r.principal));
    for (const fn of FUNCTIONS) expect(evaluated.has(fn), `IAM evaluated calls of ${fn}`).toBe(true);
    expect(sim().iamDenials()).toEqual([]);
  });

  it('no Lambda bundle carries the IAM evaluator (AGPL, a dev dependency of the simulator only)', () => {
    for (const name of FUNCTIONS) {
      const text = readFileSync(join(dir, name, 'index.mjs'), 'utf8');
      expect(text.includes('@cloud-copilot') || text.includes('iam-simulate') || text.includes('runSimulation'), name).toBe(false);
    }
  });

  it("each function's deployed role (infra/deployment.ts) allows every AWS call its bundle made", () => {
    const roles = deployment(sim().config, { stage: 'test' }).permissions;
    // Every operation the simulator saw is allowed to at least one function...
    for (const op of Object.keys(sim().aws?.requestCounts() ?? {})) {
      expect(Object.values(roles).some((st) => allows(st, iamAction(op))), op).toBe(true);
    }
    // ...and to the function that sent it (invocations that ran alone).
    for (const fn of FUNCTIONS) {
      const ops = [...(opsBy.get(fn) ?? [])];
      expect(ops.length, `calls attributed to ${fn}`).toBeGreaterThan(0);
      const missing = ops.map(iamAction).filter((a) => !allows(roles[KEYS[fn]], a));
      expect(missing, `${fn} made calls its role does not allow`).toEqual([]);
    }
    // The probe changes nothing in EC2 or Route 53: its role cannot.
    expect(roles.healthProbe.flatMap((s) => s.Action).filter((a) => /^ec2:(?!Describe|CreateNetworkInterface|DeleteNetworkInterface|AssignPrivate|UnassignPrivate)|^route53:/.test(a))).toEqual([]);
  });
});
