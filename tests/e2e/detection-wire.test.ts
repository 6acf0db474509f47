/**
 * The end-to-end path on the wire: the real SDK clients reach the simulated AWS through
 * AWS_ENDPOINT_URL, so every effect the controller has on the world arrived as an HTTP request.
 *
 * - The default rehearsal (`npm start`, `scenarios/rehearsal.yaml` through the scenario
 *   runner): fw-a's instance crashes, the cold standby fw-b takes over; it must end consistent
 *   on fw-b, with the failure detected within 40 s of simulated time and one successful flow.
 * - A failover with a DNS record of its own (values per side, so Route 53 is changed too),
 *   counted per operation on the AWS simulator and checked against what the world saw happen.
 *
 * One wire system at a time per process: the rehearsal's system is closed before the next starts.
 */
import { resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '#shared/config/load.js';
import { loadScenario } from '#sim/scenario/schema.js';
import { PROJECT_ROOT, runScenario, type ScenarioRun } from '#sim/scenario/run.js';
import type { SimSystem } from '#sim/system.js';
import { exampleRaw } from '../support/config.js';
import {
  eipMoves,
  flowRuns,
  FW_A,
  machineryFailures,
  routeMoves,
  routeTargets,
  startSystem,
  startedExecutions,
  waitForOwner,
  waitForSteadyState,
} from './support/detect-harness.js';

let run: ScenarioRun | undefined;

function done(): ScenarioRun {
  if (!run) throw new Error('the rehearsal did not run');
  return run;
}

describe('detection: the default rehearsal', () => {
  beforeAll(async () => {
    const scenario = await loadScenario(resolve(PROJECT_ROOT, 'scenarios', 'rehearsal.yaml'));
    run = await runScenario(scenario, { keepOpen: true });
  }, 120_000);

  afterAll(async () => {
    await run?.system.close();
  });

  it('rehearsal: fw-a instance crash -> detected within 40 s, one failover, ends consistent on fw-b', async () => {
    const r = done();
    expect(r.scenario.transport).toBe('wire');
    expect(r.failures).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.consistency.problems).toEqual([]);
    expect(r.consistency.consistent).toBe(true);
    expect(r.consistency.owner).toBe('secondary');

    expect(r.report.detectionSeconds).toBeDefined();
    expect(r.report.detectionSeconds).toBeGreaterThan(0);
    expect(r.report.detectionSeconds).toBeLessThanOrEqual(40);
    const failovers = r.report.flows.filter((f) => f.action === 'failover');
    expect(failovers.map((f) => f.outcome)).toEqual(['succeeded']);

    const pair = r.system.pair();
    const moves = routeMoves(r.system);
    expect(moves).toHaveLength(pair.routes.length);
    const toB = routeTargets(pair, 'secondary');
    for (const m of moves) expect(toB.has(String(m.data.to))).toBe(true);
    expect(eipMoves(r.system)).toHaveLength(pair.elasticIps.length);
    expect((await r.system.ownerRecord())?.owner).toBe('secondary');
  });

  it('rehearsal: the controller reached the simulated AWS over HTTP for every kind of call it made', () => {
    const r = done();
    const counts = r.system.aws?.requestCounts() ?? {};
    const pair = r.system.pair();
    for (const op of [
      'ec2:DescribeInstances',
      'ec2:DescribeRouteTables',
      'ec2:DescribeAddresses',
      'ec2:StartInstances',
      'ec2:StopInstances',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:DeleteItem',
      'sfn:StartExecution',
      'sns:Publish',
      // The example's API keys are in Parameter Store (ADR 0010).
      'ssm:GetParameter',
    ]) {
      expect(counts[op] ?? 0, op).toBeGreaterThan(0);
    }
    expect(counts['ec2:ReplaceRoute'] ?? 0).toBeGreaterThanOrEqual(pair.routes.length);
    expect(counts['ec2:AssociateAddress'] ?? 0).toBeGreaterThanOrEqual(pair.elasticIps.length);
    expect(r.system.aws?.internalErrors()).toEqual([]);
  });
});

let system: SimSystem | undefined;
afterEach(async () => {
  await system?.close();
  system = undefined;
});

const VPN_RECORD = {
  hostedZoneId: 'Z0123456789ABCDEFGHIJ',
  name: 'vpn.example.com',
  type: 'A' as const,
  ttl: 60,
  values: { primary: ['203.0.113.10'], secondary: ['203.0.113.20'] },
};

describe('detection: the real SDK path', () => {
  it('wire: primary API dead -> failover; every AWS call the probe and the flow made arrived over HTTP', async () => {
    const raw = exampleRaw();
    (raw.pairs[0] as { dnsRecords: unknown[] }).dnsRecords.push(VPN_RECORD);
    const config = validateConfig(raw);
    system = await startSystem({ speed: 30, transport: 'wire', config, worldTimings: { dnsSyncMs: 5_000 } });
    const sys = system;
    const pair = sys.pair();
    const aws = sys.aws;
    if (!aws) throw new Error('wire mode has an AWS simulator');
    expect(process.env.AWS_ENDPOINT_URL).toBe(aws.endpoint);

    await waitForSteadyState(sys);
    sys.firewall(FW_A).setFaults({ dead: true });
    await waitForOwner(sys, 'secondary');
    expect(
      flowRuns(sys)
        .filter((f) => f.action === 'failover')
        .map((f) => f.outcome),
    ).toEqual(['succeeded']);
    const counts = aws.requestCounts();

    // What the probe needs every round, and what it did on its decision.
    for (const op of [
      'ec2:DescribeInstances',
      'ec2:DescribeRouteTables',
      'ec2:DescribeAddresses',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      // The example's API keys are in Parameter Store (ADR 0010).
      'ssm:GetParameter',
    ]) {
      expect(counts[op] ?? 0, op).toBeGreaterThan(0);
    }
    // Every execution the world ran was started through the SDK (the probe's StartExecution).
    expect(counts['sfn:StartExecution']).toBe(startedExecutions(sys).length);
    expect(startedExecutions(sys)).toHaveLength(1);
    // Every notification the world holds was published through the SDK.
    expect(counts['sns:Publish']).toBe(sys.world.sns.messages().length);
    // The flow: start fw-b, move every route and EIP, fence fw-a, release the lock, change DNS.
    expect(counts['ec2:StartInstances']).toBe(1);
    expect(counts['ec2:StopInstances']).toBe(1);
    expect(counts['ec2:ReplaceRoute'] ?? 0).toBeGreaterThanOrEqual(routeMoves(sys).length);
    expect(routeMoves(sys)).toHaveLength(pair.routes.length);
    expect(counts['ec2:AssociateAddress'] ?? 0).toBeGreaterThanOrEqual(eipMoves(sys).length);
    expect(eipMoves(sys)).toHaveLength(pair.elasticIps.length);
    expect(counts['dynamodb:DeleteItem'] ?? 0).toBeGreaterThan(0);
    expect(counts['route53:ChangeResourceRecordSets']).toBe(
      sys.world.events.list({ type: 'route53.change.submitted' }).length,
    );
    expect(counts['route53:ChangeResourceRecordSets']).toBe(1);
    expect(counts['route53:ListResourceRecordSets'] ?? 0).toBeGreaterThan(0);
    expect(sys.world.route53.resolve('vpn.example.com', 'A')).toMatchObject({ values: ['203.0.113.20'] });
    // Nothing reached the simulator that it did not understand.
    expect(Object.keys(counts).filter((k) => k.startsWith('unknown:'))).toEqual([]);
    expect(machineryFailures(sys)).toEqual([]);

    const report = await sys.consistency();
    expect(report.problems).toEqual([]);
    expect(report.owner).toBe('secondary');
  }, 90_000);
});
