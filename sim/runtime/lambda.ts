/**
 * The simulator's stand-in for the Lambda service: the project's real handlers (middy,
 * Powertools middlewares) invoked in-process with a Lambda context whose remaining time runs
 * on the simulated clock, telemetry captured for the timeline and metrics fed to the simulated
 * CloudWatch, and an optional crash: a "container" that dies after N changes to AWS, as a
 * Lambda timeout or out-of-memory kill would, leaving its work half done.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import type { Powertools } from '#shared/observability/powertools.js';
import { SERVICE_NAME, METRICS_NAMESPACE } from '#shared/observability/powertools.js';
import type { Fields, Log, Telemetry } from '#shared/observability/telemetry.js';
import type { Clock } from '#shared/ports/clock.js';
import type { Ec2Port } from '#shared/ports/ec2.js';

export interface CapturedLog {
  readonly at: number;
  readonly fn: string;
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: Fields;
}

export interface TelemetrySinks {
  readonly onLog: (entry: CapturedLog) => void;
  readonly onMetric: (name: string, unit: string, value: number, dimensions: Readonly<Record<string, string>>) => void;
}

export function simPowertools(fn: string, clock: Clock, sinks: TelemetrySinks): Powertools {
  // Real Powertools objects for the middlewares (silent: the simulator shows its own timeline).
  const logger = new Logger({ serviceName: SERVICE_NAME, logLevel: 'SILENT' });
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
  const at =
    (level: CapturedLog['level']) =>
    (message: string, fields: Fields = {}) =>
      sinks.onLog({ at: clock.now(), fn, level, message, fields });
  const log: Log = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  const telemetry: Telemetry = { log, metrics: { add: (name, unit, value, dims) => sinks.onMetric(name, unit, value, dims) } };
  return { logger, metrics, telemetry };
}

let requestSeq = 0;

/** A Lambda context; remaining time counts down on the simulated clock. */
export function lambdaContext(fn: string, clock: Clock, timeoutMs: number): Context {
  const start = clock.now();
  requestSeq += 1;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `pan-failover-${fn}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:pan-failover-${fn}`,
    memoryLimitInMB: '256',
    awsRequestId: `sim-${fn}-${requestSeq}`,
    logGroupName: `/aws/lambda/pan-failover-${fn}`,
    logStreamName: 'sim',
    getRemainingTimeInMillis: () => Math.max(0, timeoutMs - (clock.now() - start)),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Thrown to the state machine when a simulated container dies (what Step Functions sees as `Lambda.Unknown`). */
export class LambdaCrash extends Error {
  override readonly name = 'Lambda.Unknown';
}

/** Thrown inside the dead container to every call it still tries: it has no network any more. */
class ContainerDead extends Error {
  override readonly name = 'ContainerDead';
}

export interface CrashPlan {
  /** Task step whose invocation dies (e.g. `cutover`). */
  readonly step: string;
  /** Dies right after this many successful route or EIP changes. */
  readonly afterMutations: number;
  /** How many invocations die (default 1: the retry then succeeds). */
  readonly times?: number;
}

/**
 * An Ec2Port that dies with its container: after `afterMutations` changes it fails every call,
 * so the abandoned invocation can change nothing more (as if the process were gone).
 */
export function mortalEc2(ec2: Ec2Port, afterMutations: number, onDeath: () => void): Ec2Port {
  let mutations = 0;
  let dead = false;
  const guard = async <T>(call: () => Promise<T>, mutating: boolean): Promise<T> => {
    if (dead) throw new ContainerDead('container is gone');
    const result = await call();
    if (dead) throw new ContainerDead('container is gone');
    if (mutating && ++mutations >= afterMutations) {
      dead = true;
      onDeath();
    }
    return result;
  };
  return {
    describeInstances: (ids) => guard(() => ec2.describeInstances(ids), false),
    startInstance: (id) => guard(() => ec2.startInstance(id), false),
    stopInstance: (id) => guard(() => ec2.stopInstance(id), false),
    setInstanceType: (id, t) => guard(() => ec2.setInstanceType(id, t), false),
    describeRouteTables: (ids) => guard(() => ec2.describeRouteTables(ids), false),
    replaceRoute: (rtb, dest, eni) => guard(() => ec2.replaceRoute(rtb, dest, eni), true),
    createRoute: (rtb, dest, eni) => guard(() => ec2.createRoute(rtb, dest, eni), true),
    describeAddresses: (ids) => guard(() => ec2.describeAddresses(ids), false),
    associateAddress: (a, eni, ip) => guard(() => ec2.associateAddress(a, eni, ip), true),
    describeNetworkInterfaces: (ids) => guard(() => ec2.describeNetworkInterfaces(ids), false),
    describeInstanceTypes: (t) => guard(() => ec2.describeInstanceTypes(t), false),
  };
}
