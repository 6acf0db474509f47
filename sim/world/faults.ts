/**
 * Faults on demand: the ugly parts of AWS (throttling, latency, random errors, no capacity,
 * stale Describe results, slow DNS sync, sick instances), all deterministic for a given seed.
 *
 * Operation keys are `<service>:<Operation>` (`ec2:ReplaceRoute`), the same keys the wire
 * server counts requests under. Rules keyed by a map match the exact key first, then
 * `<service>:*`, then `*`; a wildcard throttle rule still gives every operation its own bucket
 * (AWS throttles per action).
 */
import { z } from 'zod';
import type { Clock } from '#shared/ports/clock.js';
import { InputInvalidError } from '#shared/errors.js';
import { formatPath } from '#shared/config/schema.js';
import { SimAwsError, SimNoAnswer, THROTTLE_ERRORS, defaultStatusFor, type ServiceName } from './aws-error.js';
import type { EventLog } from './event-log.js';
import type { SeededRng } from './rng.js';

const latencySchema = z.union([
  z.strictObject({ fixedMs: z.number().min(0) }),
  z.strictObject({ minMs: z.number().min(0), maxMs: z.number().min(0) }).refine((l) => l.maxMs >= l.minMs, {
    message: 'maxMs must be >= minMs',
  }),
]);

const bucketSchema = z.strictObject({
  burst: z.number().int().min(1),
  refillPerSecond: z.number().positive(),
});

const errorRateSchema = z.strictObject({
  /** Share of calls that fail, 0..1. */
  rate: z.number().min(0).max(1),
  code: z.string().min(1),
  message: z.string().optional(),
  httpStatus: z.number().int().min(400).max(599).optional(),
  /** No answer at all (the caller's network is broken): the connection is dropped. */
  noAnswer: z.boolean().optional(),
});

const capacitySchema = z.strictObject({
  instanceId: z.string().optional(),
  /** Only while the instance has this type: a fallback type then starts. */
  instanceType: z.string().optional(),
  /** How many StartInstances calls fail; `always` until cleared. */
  count: z.union([z.number().int().min(0), z.literal('always')]),
});

export const LAG_RESOURCES = ['instances', 'routes', 'addresses', 'networkInterfaces'] as const;
export type LagResource = (typeof LAG_RESOURCES)[number];

const lagSchema = z.strictObject({
  ms: z.number().min(0),
  resources: z.array(z.enum(LAG_RESOURCES)).optional(),
});

const instanceFaultSchema = z.strictObject({
  /** Status checks report `impaired` (both, or only the system / instance check) while running. */
  impaired: z.union([z.boolean(), z.enum(['system', 'instance'])]).optional(),
  /** The instance stops by itself this long after it entered `running` (at once if already past). */
  crashAfterRunningMs: z.number().min(0).optional(),
  /** Start takes this long (`pending` duration) instead of the default. */
  pendingMs: z.number().min(0).optional(),
  stoppingMs: z.number().min(0).optional(),
  statusInitMs: z.number().min(0).optional(),
});

export const faultSpecSchema = z.strictObject({
  latency: z.record(z.string(), latencySchema).optional(),
  /** Token buckets per operation; `aws-defaults` = the documented EC2 and Route 53 buckets. */
  throttle: z.union([z.literal('aws-defaults'), z.record(z.string(), bucketSchema)]).optional(),
  errorRates: z.record(z.string(), errorRateSchema).optional(),
  capacity: z.array(capacitySchema).optional(),
  lag: lagSchema.optional(),
  /** Route 53 changes stay PENDING this long (overrides the world's default). */
  dnsSyncMs: z.number().min(0).optional(),
  instances: z.record(z.string(), instanceFaultSchema).optional(),
  /**
   * Operations a simulated function's network cannot reach (a missing VPC endpoint, a security
   * group that drops HTTPS): function name (`health-probe`) -> operation keys (`secretsmanager:*`,
   * `ec2:DescribeInstances`, `*`). Its calls get no answer; the other functions' calls are answered.
   */
  unreachableFrom: z.record(z.string(), z.array(z.string().min(1))).optional(),
});

export type FaultSpec = z.infer<typeof faultSpecSchema>;
export type FaultSpecInput = z.input<typeof faultSpecSchema>;
export type TokenBucketSpec = z.infer<typeof bucketSchema>;
export type InstanceFault = z.infer<typeof instanceFaultSchema>;
export type FaultKey = keyof FaultSpec;

const b = (burst: number, refillPerSecond: number): TokenBucketSpec => ({ burst, refillPerSecond });

/**
 * EC2's documented per-action buckets (bucket size, refill per second). `#unfiltered` is the
 * separate, smaller bucket of DescribeInstances / DescribeInstanceStatus /
 * DescribeNetworkInterfaces calls made with neither a filter nor pagination.
 */
export const EC2_THROTTLE_DEFAULTS: Readonly<Record<string, TokenBucketSpec>> = {
  'ec2:ReplaceRoute': b(50, 5),
  'ec2:CreateRoute': b(50, 5),
  'ec2:AssociateAddress': b(50, 5),
  'ec2:DisassociateAddress': b(50, 5),
  'ec2:ModifyInstanceAttribute': b(50, 5),
  'ec2:StopInstances': b(50, 5),
  'ec2:StartInstances': b(5, 2),
  'ec2:DescribeRouteTables': b(100, 20),
  'ec2:DescribeAddresses': b(100, 20),
  'ec2:DescribeInstanceTypes': b(100, 20),
  'ec2:DescribeSubnets': b(100, 20),
  'ec2:DescribeInstances': b(100, 20),
  'ec2:DescribeInstanceStatus': b(100, 20),
  'ec2:DescribeNetworkInterfaces': b(100, 20),
  'ec2:DescribeInstances#unfiltered': b(50, 10),
  'ec2:DescribeInstanceStatus#unfiltered': b(50, 10),
  'ec2:DescribeNetworkInterfaces#unfiltered': b(50, 10),
};

/** Route 53: per account and action, a bucket of 50 refilling 10 per second. */
export const ROUTE53_THROTTLE_DEFAULTS: Readonly<Record<string, TokenBucketSpec>> = {
  'route53:*': b(50, 10),
};

export const AWS_DEFAULT_THROTTLES: Readonly<Record<string, TokenBucketSpec>> = {
  ...EC2_THROTTLE_DEFAULTS,
  ...ROUTE53_THROTTLE_DEFAULTS,
};

interface Bucket {
  readonly spec: TokenBucketSpec;
  tokens: number;
  last: number;
}

/** Validates a fault spec (scenario files, `faults.set`), naming the offending field. */
export function parseFaultSpec(input: unknown, what = 'fault spec'): FaultSpec {
  const parsed = faultSpecSchema.safeParse(input);
  if (!parsed.success) {
    throw new InputInvalidError(
      what,
      parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
    );
  }
  return parsed.data;
}

function lookup<T>(map: Readonly<Record<string, T>> | undefined, op: string): T | undefined {
  if (map === undefined) return undefined;
  const service = op.split(':')[0] ?? '';
  const base = op.split('#')[0] ?? op;
  return map[op] ?? map[base] ?? map[`${service}:*`] ?? map['*'];
}

export class FaultController {
  readonly #clock: Clock;
  readonly #rng: SeededRng;
  readonly #events: EventLog;
  #spec: FaultSpec = {};
  readonly #buckets = new Map<string, Bucket>();
  /** Remaining failures per capacity rule (index into `spec.capacity`). */
  #capacityLeft: (number | 'always')[] = [];
  readonly #listeners = new Set<(spec: FaultSpec) => void>();

  constructor(clock: Clock, rng: SeededRng, events: EventLog) {
    this.#clock = clock;
    this.#rng = rng;
    this.#events = events;
  }

  /** The faults in force (capacity counts as configured, see `capacityRemaining`). */
  get spec(): FaultSpec {
    return this.#spec;
  }

  /**
   * Sets the given kinds of fault, leaving the others as they are. `instances` merges per
   * instance; every other key replaces the previous value of that key.
   */
  set(input: FaultSpecInput): void {
    const spec = parseFaultSpec(input);
    const next: FaultSpec = { ...this.#spec, ...spec };
    if (spec.instances !== undefined) {
      const merged: Record<string, InstanceFault> = { ...this.#spec.instances };
      for (const [id, fault] of Object.entries(spec.instances)) merged[id] = { ...merged[id], ...fault };
      next.instances = merged;
    }
    if (spec.throttle !== undefined) this.#buckets.clear();
    if (spec.capacity !== undefined) this.#capacityLeft = spec.capacity.map((c) => c.count);
    this.#spec = next;
    this.#events.record(
      this.#clock.now(),
      'fault.config',
      'faults',
      `faults set: ${Object.keys(spec).join(', ')}`,
      {
        spec,
      },
    );
    this.#notify();
  }

  /** Removes one kind of fault (or one instance's faults), or all faults. */
  clear(key?: FaultKey, instanceId?: string): void {
    if (key === undefined) {
      this.#spec = {};
      this.#buckets.clear();
      this.#capacityLeft = [];
    } else if (key === 'instances' && instanceId !== undefined) {
      const rest = { ...this.#spec.instances };
      delete rest[instanceId];
      this.#spec = { ...this.#spec, instances: rest };
    } else {
      const rest = { ...this.#spec };
      delete rest[key];
      this.#spec = rest;
      if (key === 'throttle') this.#buckets.clear();
      if (key === 'capacity') this.#capacityLeft = [];
    }
    const what = key === undefined ? 'all' : instanceId === undefined ? key : `${key}.${instanceId}`;
    this.#events.record(this.#clock.now(), 'fault.config', 'faults', `faults cleared: ${what}`, {
      cleared: what,
    });
    this.#notify();
  }

  /** Called after every change (the world reschedules instance crashes). */
  onChange(listener: (spec: FaultSpec) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Takes a token for `op` (from `variantKey`'s bucket when a rule names it); throws the service's throttling error if none is left. */
  takeToken(op: string, variantKey: string = op): void {
    const throttle = this.#spec.throttle === 'aws-defaults' ? AWS_DEFAULT_THROTTLES : this.#spec.throttle;
    // A variant (`#unfiltered`) has its own bucket only when a rule names it; else it shares the operation's.
    const bucketKey = throttle?.[variantKey] !== undefined ? variantKey : op;
    const spec = lookup(throttle, bucketKey);
    if (spec === undefined) return;
    const now = this.#clock.now();
    let bucket = this.#buckets.get(bucketKey);
    if (bucket === undefined) {
      bucket = { spec, tokens: spec.burst, last: now };
      this.#buckets.set(bucketKey, bucket);
    }
    bucket.tokens = Math.min(
      spec.burst,
      bucket.tokens + (Math.max(0, now - bucket.last) / 1000) * spec.refillPerSecond,
    );
    bucket.last = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return;
    }
    const service = serviceOf(op);
    const t = THROTTLE_ERRORS[service];
    this.#events.record(now, 'fault.injected', op, `${op} throttled (${t.code})`, {
      op,
      code: t.code,
      kind: 'throttle',
    });
    throw new SimAwsError(service, t.code, t.message, { httpStatus: t.httpStatus });
  }

  /** Tokens left in a bucket now (for tests and the demo), `undefined` if the operation is not throttled. */
  tokensLeft(bucketKey: string): number | undefined {
    const throttle = this.#spec.throttle === 'aws-defaults' ? AWS_DEFAULT_THROTTLES : this.#spec.throttle;
    const spec = lookup(throttle, bucketKey);
    if (spec === undefined) return undefined;
    const bucket = this.#buckets.get(bucketKey);
    if (bucket === undefined) return spec.burst;
    return Math.min(
      spec.burst,
      bucket.tokens + (Math.max(0, this.#clock.now() - bucket.last) / 1000) * spec.refillPerSecond,
    );
  }

  /** Simulated ms this call of `op` takes before AWS acts on it. */
  latencyFor(op: string): number {
    const latency = lookup(this.#spec.latency, op);
    if (latency === undefined) return 0;
    if ('fixedMs' in latency) return latency.fixedMs;
    return latency.minMs + this.#rng.next() * (latency.maxMs - latency.minMs);
  }

  /** Throws `SimNoAnswer` when `caller`'s network cannot reach `op` (`unreachableFrom`). */
  maybeUnreachable(op: string, caller: string | undefined): void {
    if (caller === undefined) return;
    const patterns = this.#spec.unreachableFrom?.[caller];
    if (patterns === undefined) return;
    const service = op.split(':')[0] ?? '';
    if (!patterns.some((p) => p === '*' || p === op || p === `${service}:*`)) return;
    this.#events.record(this.#clock.now(), 'fault.injected', op, `${op} from ${caller}: no answer (unreachable, injected)`, { op, code: 'unreachable', kind: 'no-answer' });
    throw new SimNoAnswer(`${op}: no answer for ${caller} (unreachable, injected)`);
  }

  /** Throws the configured error for a share of the calls of `op`. */
  maybeFail(op: string): void {
    const rule = lookup(this.#spec.errorRates, op);
    if (rule === undefined || rule.rate === 0) return;
    if (this.#rng.next() >= rule.rate) return;
    const service = serviceOf(op);
    this.#events.record(this.#clock.now(), 'fault.injected', op, `${op} failed (${rule.noAnswer ? 'no answer' : rule.code}, injected)`, {
      op,
      code: rule.code,
      kind: rule.noAnswer ? 'no-answer' : 'error-rate',
    });
    if (rule.noAnswer) throw new SimNoAnswer(`${op}: no answer (injected)`);
    throw new SimAwsError(service, rule.code, rule.message ?? `Injected failure of ${op}`, {
      httpStatus: rule.httpStatus ?? defaultStatusFor(service, rule.code),
    });
  }

  /** Whether this StartInstances of the instance must fail for lack of capacity (consumes one failure). */
  takeCapacityFailure(instanceId: string, instanceType: string): boolean {
    const rules = this.#spec.capacity ?? [];
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i];
      const left = this.#capacityLeft[i];
      if (rule === undefined || left === undefined) continue;
      if (rule.instanceId !== undefined && rule.instanceId !== instanceId) continue;
      if (rule.instanceType !== undefined && rule.instanceType !== instanceType) continue;
      if (left === 'always') return true;
      if (left > 0) {
        this.#capacityLeft[i] = left - 1;
        return true;
      }
    }
    return false;
  }

  /** Capacity failures still to come, per rule, in the order of `spec.capacity`. */
  capacityRemaining(): readonly (number | 'always')[] {
    return [...this.#capacityLeft];
  }

  /** How stale Describe results for this kind of resource are, in simulated ms. */
  lagMs(resource: LagResource): number {
    const lag = this.#spec.lag;
    if (lag === undefined) return 0;
    if (lag.resources !== undefined && !lag.resources.includes(resource)) return 0;
    return lag.ms;
  }

  dnsSyncMs(defaultMs: number): number {
    return this.#spec.dnsSyncMs ?? defaultMs;
  }

  instance(instanceId: string): InstanceFault {
    return this.#spec.instances?.[instanceId] ?? {};
  }

  #notify(): void {
    for (const listener of this.#listeners) listener(this.#spec);
  }
}

export function serviceOf(op: string): ServiceName {
  const service = op.split(':')[0];
  switch (service) {
    case 'ec2':
    case 'route53':
    case 'dynamodb':
    case 'sfn':
    case 'sns':
    case 'secretsmanager':
    case 'ssm':
    case 'cloudwatch':
    case 'iam':
    case 'lambda':
      return service;
    default:
      throw new RangeError(`unknown service in operation key ${op}`);
  }
}
