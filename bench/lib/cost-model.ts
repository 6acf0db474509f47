/**
 * The monthly cost model: measured counts (probe rounds, DynamoDB requests and item sizes, metric
 * combinations, state transitions, log bytes) times unit prices. Pure: the bench measures, this
 * multiplies, a unit test checks the arithmetic.
 */

/**
 * Unit prices, us-east-1. Copied from the project's reference sheet (aws-pricing.md, "check the
 * AWS price list before quoting them") so nothing outside the repository is read at run time,
 * except where marked "not in the reference": those are AWS list prices added here; check them
 * before quoting.
 */
export const PRICES = {
  lambdaGbSecondX86: 0.0000166667,
  lambdaGbSecondArm64: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
  lambdaFreeGbSeconds: 400_000,
  lambdaFreeRequests: 1_000_000,
  sfnPerThousandTransitions: 0.025,
  sfnFreeTransitions: 4_000,
  // Step Functions Express (the probe loop): requests, and duration in 64 MB steps (first tier).
  sfnExpressPerMillionRequests: 1.0,
  sfnExpressGbSecond: 0.00001667,
  customMetricPerMonth: 0.3,
  alarmStandardPerMonth: 0.1,
  dashboardPerMonth: 3.0,
  snsPerMillionPublishesAfterFirstMillion: 0.5,
  ebsGp3PerGbMonth: 0.08,
  m5xlargePerHour: 0.192,
  // Not in the reference: DynamoDB on-demand after the November 2024 price cut.
  dynamoPerMillionWriteUnits: 0.625,
  dynamoPerMillionReadUnits: 0.125,
  // Not in the reference: CloudWatch Logs standard ingestion.
  logsIngestionPerGb: 0.5,
  // Not in the reference: Secrets Manager.
  secretPerMonth: 0.4,
  secretsPer10kCalls: 0.05,
  // Not in the reference: Parameter Store standard parameters (no storage charge, standard
  // throughput GetParameter free) and KMS requests (SecureString decryption with aws/ssm, an
  // AWS managed key: no monthly key charge). KMS's 20,000 free requests a month not applied.
  parameterStandardPerMonth: 0,
  kmsPer10kRequests: 0.03,
} as const;

export const HOURS_PER_MONTH = 730;

/** The line of the firewalls' API keys, both stores (ADR 0010). */
export const API_KEYS_LINE = 'API keys (Secrets Manager, Parameter Store)';

/** Express bills a workflow's memory in 64 MB steps; the probe loop's state is a few hundred bytes. */
export const EXPRESS_MEMORY_STEP_MB = 64;

export interface CostInputs {
  /** Probe loop executions a month (EventBridge once a minute). */
  readonly loopExecutions: number;
  /** Billed duration of one probe loop execution (Express rounds up to 100 ms), seconds. */
  readonly loopDurationSeconds: number;
  /** Probe invocations a month: one per round. */
  readonly probeInvocations: number;
  /** Billed duration of one probe invocation (one round; Lambda rounds up to the ms), seconds. */
  readonly probeDurationSeconds: number;
  readonly probeMemoryMb: number;
  /** Probe rounds per loop execution (a minute). */
  readonly roundsPerInvocation: number;
  readonly dynamoReadsPerRound: number;
  readonly dynamoWritesPerRound: number;
  /** Read units per strongly consistent GetItem (items up to 4 KB: 1). */
  readonly readUnitsPerRead: number;
  /** Write units per PutItem (items up to 1 KB: 1). */
  readonly writeUnitsPerWrite: number;
  readonly customMetrics: number;
  /** Logs and EMF of one probe loop execution (its rounds' invocations, Lambda's own lines included). */
  readonly logBytesPerInvocation: number;
  readonly flowsPerMonth: number;
  readonly transitionsPerFlow: number;
  readonly alarms: number;
  readonly dashboards: number;
  readonly snsPublishesPerMonth: number;
  /** API keys in Secrets Manager: secrets, and GetSecretValue calls a month. */
  readonly secrets: number;
  readonly secretCallsPerMonth: number;
  /** API keys in Parameter Store (standard SecureString): parameters, and GetParameter calls (one KMS decrypt each) a month. */
  readonly ssmParameters?: number;
  readonly ssmDecryptsPerMonth?: number;
}

export interface CostLine {
  readonly item: string;
  readonly quantity: string;
  readonly unitPrice: string;
  readonly x86: number;
  readonly arm64: number;
}

const n = (v: number) => Math.round(v).toLocaleString('en-US');

/** Read or write units of one request on an item of `bytes` (DynamoDB rounds up per 4 KB / 1 KB). */
export function requestUnits(bytes: number, kind: 'read' | 'write'): number {
  return Math.max(1, Math.ceil(bytes / (kind === 'read' ? 4096 : 1024)));
}

/**
 * Size of a DynamoDB item as billed: attribute names plus values (strings as UTF-8, numbers
 * about one byte per two significant digits plus one, 3 bytes plus one per element for lists
 * and maps).
 */
export function dynamoItemBytes(item: Readonly<Record<string, unknown>>): number {
  let total = 0;
  for (const [name, value] of Object.entries(item)) total += Buffer.byteLength(name) + valueBytes(value);
  return total;
}

/** Significant digits (sign, point, leading and trailing zeros dropped), two per byte, plus one. */
function numberBytes(text: string): number {
  const digits = text.replace(/^-/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(digits.length / 2) + 1;
}

function valueBytes(v: unknown): number {
  const av = v as Record<string, unknown>;
  if (typeof av['S'] === 'string') return Buffer.byteLength(av['S']);
  if (typeof av['N'] === 'string') return numberBytes(av['N']);
  if (typeof av['B'] === 'string') return Buffer.from(av['B'], 'base64').length;
  if ('BOOL' in av || 'NULL' in av) return 1;
  if (Array.isArray(av['L'])) return 3 + av['L'].reduce((s: number, e: unknown) => s + 1 + valueBytes(e), 0);
  if (typeof av['M'] === 'object' && av['M'] !== null) {
    return 3 + Object.entries(av['M'] as Record<string, unknown>).reduce((s, [k, e]) => s + 1 + Buffer.byteLength(k) + valueBytes(e), 0);
  }
  if (Array.isArray(av['SS'])) return (av['SS'] as string[]).reduce((s, e) => s + Buffer.byteLength(e), 0);
  if (Array.isArray(av['NS'])) return (av['NS'] as string[]).reduce((s, e) => s + numberBytes(e), 0);
  throw new RangeError(`not a DynamoDB attribute value: ${JSON.stringify(v)}`);
}

/** The controller's monthly lines, no free tier applied (an account's free tier usually goes to other work). */
export function controllerCost(i: CostInputs): CostLine[] {
  const gbSeconds = i.probeInvocations * i.probeDurationSeconds * (i.probeMemoryMb / 1024);
  const loopGbSeconds = i.loopExecutions * i.loopDurationSeconds * (EXPRESS_MEMORY_STEP_MB / 1024);
  const rounds = i.loopExecutions * i.roundsPerInvocation;
  const readUnits = rounds * i.dynamoReadsPerRound * i.readUnitsPerRead;
  const writeUnits = rounds * i.dynamoWritesPerRound * i.writeUnitsPerWrite;
  const transitions = i.flowsPerMonth * i.transitionsPerFlow;
  const logGb = (i.logBytesPerInvocation * i.loopExecutions) / 1024 ** 3;
  const same = (item: string, quantity: string, unitPrice: string, usd: number): CostLine => ({ item, quantity, unitPrice, x86: usd, arm64: usd });
  return [
    {
      item: 'probe Lambda compute',
      quantity: `${n(i.probeInvocations)} x ${i.probeDurationSeconds} s x ${i.probeMemoryMb} MB = ${n(gbSeconds)} GB-s`,
      unitPrice: `${PRICES.lambdaGbSecondX86} / ${PRICES.lambdaGbSecondArm64} per GB-s`,
      x86: gbSeconds * PRICES.lambdaGbSecondX86,
      arm64: gbSeconds * PRICES.lambdaGbSecondArm64,
    },
    same('probe Lambda requests', n(i.probeInvocations), `${PRICES.lambdaPerMillionRequests} per million`, (i.probeInvocations / 1e6) * PRICES.lambdaPerMillionRequests),
    same(
      'probe loop (Step Functions Express)',
      `${n(i.loopExecutions)} x ${i.loopDurationSeconds} s x ${EXPRESS_MEMORY_STEP_MB} MB = ${n(loopGbSeconds)} GB-s`,
      `${PRICES.sfnExpressGbSecond} per GB-s + ${PRICES.sfnExpressPerMillionRequests} per million`,
      loopGbSeconds * PRICES.sfnExpressGbSecond + (i.loopExecutions / 1e6) * PRICES.sfnExpressPerMillionRequests,
    ),
    same(
      'DynamoDB reads (on-demand)',
      `${n(rounds)} rounds x ${+i.dynamoReadsPerRound.toFixed(2)} x ${i.readUnitsPerRead} = ${n(readUnits)} RRU`,
      `${PRICES.dynamoPerMillionReadUnits} per million`,
      (readUnits / 1e6) * PRICES.dynamoPerMillionReadUnits,
    ),
    same(
      'DynamoDB writes (on-demand)',
      `${n(rounds)} rounds x ${+i.dynamoWritesPerRound.toFixed(2)} x ${i.writeUnitsPerWrite} = ${n(writeUnits)} WRU`,
      `${PRICES.dynamoPerMillionWriteUnits} per million`,
      (writeUnits / 1e6) * PRICES.dynamoPerMillionWriteUnits,
    ),
    same(
      'Step Functions (Standard)',
      `${i.flowsPerMonth} flows x ${i.transitionsPerFlow} = ${n(transitions)} transitions`,
      `${PRICES.sfnPerThousandTransitions} per 1,000`,
      (transitions / 1000) * PRICES.sfnPerThousandTransitions,
    ),
    same('custom metrics (EMF)', `${i.customMetrics} metric/dimension combinations`, `${PRICES.customMetricPerMonth} each`, i.customMetrics * PRICES.customMetricPerMonth),
    same('CloudWatch Logs ingestion', `${logGb.toFixed(2)} GB (${n(i.logBytesPerInvocation)} B per minute)`, `${PRICES.logsIngestionPerGb} per GB`, logGb * PRICES.logsIngestionPerGb),
    same('alarms (standard resolution)', String(i.alarms), `${PRICES.alarmStandardPerMonth} each`, i.alarms * PRICES.alarmStandardPerMonth),
    same('dashboard', String(i.dashboards), `${PRICES.dashboardPerMonth} each`, i.dashboards * PRICES.dashboardPerMonth),
    same(
      'SNS publishes',
      n(i.snsPublishesPerMonth),
      `first million free, then ${PRICES.snsPerMillionPublishesAfterFirstMillion} per million`,
      (Math.max(0, i.snsPublishesPerMonth - 1e6) / 1e6) * PRICES.snsPerMillionPublishesAfterFirstMillion,
    ),
    same(
      API_KEYS_LINE,
      `Secrets Manager ${i.secrets} secrets, ${n(i.secretCallsPerMonth)} calls; Parameter Store ${i.ssmParameters ?? 0} SecureString, ${n(i.ssmDecryptsPerMonth ?? 0)} KMS decrypts`,
      `SM ${PRICES.secretPerMonth} per secret + ${PRICES.secretsPer10kCalls} per 10k calls; PS ${PRICES.parameterStandardPerMonth} + KMS ${PRICES.kmsPer10kRequests} per 10k`,
      i.secrets * PRICES.secretPerMonth +
        (i.secretCallsPerMonth / 10_000) * PRICES.secretsPer10kCalls +
        (i.ssmParameters ?? 0) * PRICES.parameterStandardPerMonth +
        ((i.ssmDecryptsPerMonth ?? 0) / 10_000) * PRICES.kmsPer10kRequests,
    ),
  ];
}

/** What the Lambda free tier would take off, if the account has not used it elsewhere. */
export function lambdaFreeTierCredit(i: CostInputs): { x86: number; arm64: number } {
  const gbSeconds = Math.min(PRICES.lambdaFreeGbSeconds, i.probeInvocations * i.probeDurationSeconds * (i.probeMemoryMb / 1024));
  const requests = (Math.min(PRICES.lambdaFreeRequests, i.probeInvocations) / 1e6) * PRICES.lambdaPerMillionRequests;
  return { x86: gbSeconds * PRICES.lambdaGbSecondX86 + requests, arm64: gbSeconds * PRICES.lambdaGbSecondArm64 + requests };
}

export interface StandbyInputs {
  /** EBS of one VM-Series (gp3). */
  readonly ebsGb: number;
  /** Hours a month the cold standby runs anyway (drills); each start is billed at least a minute. */
  readonly coldRunHours: number;
}

export function standbyCost(s: StandbyInputs): { cold: number; warm: number; ebs: number } {
  const ebs = s.ebsGb * PRICES.ebsGp3PerGbMonth;
  return {
    ebs,
    cold: ebs + s.coldRunHours * PRICES.m5xlargePerHour,
    warm: ebs + HOURS_PER_MONTH * PRICES.m5xlargePerHour,
  };
}

export function total(lines: readonly CostLine[]): { x86: number; arm64: number } {
  return lines.reduce((t, l) => ({ x86: t.x86 + l.x86, arm64: t.arm64 + l.arm64 }), { x86: 0, arm64: 0 });
}
