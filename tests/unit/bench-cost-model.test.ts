/**
 * The cost model's arithmetic: DynamoDB item sizes and request units as AWS bills them, each
 * monthly line as quantity times the copied unit price, the standby comparison.
 */
import { describe, expect, it } from 'vitest';
import {
  API_KEYS_LINE,
  HOURS_PER_MONTH,
  PRICES,
  controllerCost,
  dynamoItemBytes,
  lambdaFreeTierCredit,
  requestUnits,
  standbyCost,
  total,
  type CostInputs,
} from '../../bench/lib/cost-model.js';

const inputs: CostInputs = {
  loopExecutions: 43_800,
  loopDurationSeconds: 50.5,
  probeInvocations: 262_800,
  probeDurationSeconds: 0.5,
  probeMemoryMb: 256,
  roundsPerInvocation: 6,
  dynamoReadsPerRound: 3,
  dynamoWritesPerRound: 1,
  readUnitsPerRead: 1,
  writeUnitsPerWrite: 2,
  customMetrics: 11,
  logBytesPerInvocation: 1024 ** 3 / 43_800,
  flowsPerMonth: 2,
  transitionsPerFlow: 100,
  alarms: 6,
  dashboards: 1,
  snsPublishesPerMonth: 1_500_000,
  secrets: 2,
  secretCallsPerMonth: 10_000,
};

const line = (item: string) => {
  const l = controllerCost(inputs).find((x) => x.item.startsWith(item));
  if (!l) throw new Error(`no line ${item}`);
  return l;
};

describe('DynamoDB sizes and units', () => {
  it('sizes an item as attribute names plus values', () => {
    // pk: 2 + 7, sk: 2 + 5, version: 7 + (1 byte for two digits + 1)
    expect(dynamoItemBytes({ pk: { S: 'pair#hq' }, sk: { S: 'probe' }, version: { N: '12' } })).toBe(9 + 7 + 9);
    // Leading and trailing zeros and the sign do not count: 1.5 -> "15"
    expect(dynamoItemBytes({ n: { N: '-001.500' } })).toBe(1 + 2);
    expect(dynamoItemBytes({ m: { M: { a: { S: 'xy' } } } })).toBe(1 + 3 + 1 + 1 + 2);
    expect(() => dynamoItemBytes({ bad: { X: 1 } })).toThrow(RangeError);
  });

  it('rounds reads up per 4 KB and writes per 1 KB, at least one unit', () => {
    expect(requestUnits(0, 'read')).toBe(1);
    expect(requestUnits(4096, 'read')).toBe(1);
    expect(requestUnits(4097, 'read')).toBe(2);
    expect(requestUnits(1024, 'write')).toBe(1);
    expect(requestUnits(1500, 'write')).toBe(2);
  });
});

describe('monthly lines', () => {
  it('prices the probe Lambda by GB-seconds per architecture: one invocation per round', () => {
    const gbSeconds = 262_800 * 0.5 * 0.25;
    expect(line('probe Lambda compute').x86).toBeCloseTo(gbSeconds * PRICES.lambdaGbSecondX86, 6);
    expect(line('probe Lambda compute').arm64).toBeCloseTo(gbSeconds * PRICES.lambdaGbSecondArm64, 6);
    expect(line('probe Lambda requests').arm64).toBeCloseTo(0.2628 * PRICES.lambdaPerMillionRequests, 9);
  });

  it('prices the probe loop as Express: its whole duration (waits included) at 64 MB, plus a request per execution, the same on both architectures', () => {
    const gbSeconds = 43_800 * 50.5 * (64 / 1024);
    expect(line('probe loop').arm64).toBeCloseTo(gbSeconds * PRICES.sfnExpressGbSecond + 0.0438 * PRICES.sfnExpressPerMillionRequests, 9);
    expect(line('probe loop').x86).toBe(line('probe loop').arm64);
    // The example's minute: about 2.30 USD of waiting where the probe at 160 MB would cost 4.6.
    expect(gbSeconds * PRICES.sfnExpressGbSecond).toBeCloseTo(2.3, 1);
  });

  it('multiplies rounds, requests per round and units per request for DynamoDB', () => {
    const rounds = 43_800 * 6;
    expect(line('DynamoDB reads').x86).toBeCloseTo(((rounds * 3 * 1) / 1e6) * PRICES.dynamoPerMillionReadUnits, 9);
    expect(line('DynamoDB writes').x86).toBeCloseTo(((rounds * 1 * 2) / 1e6) * PRICES.dynamoPerMillionWriteUnits, 9);
  });

  it('charges logs per GB, SNS only past the first million, secrets per secret and per call', () => {
    expect(line('CloudWatch Logs').x86).toBeCloseTo(PRICES.logsIngestionPerGb, 9);
    expect(line('SNS').x86).toBeCloseTo(0.5 * PRICES.snsPerMillionPublishesAfterFirstMillion, 9);
    expect(line(API_KEYS_LINE).x86).toBeCloseTo(2 * PRICES.secretPerMonth + PRICES.secretsPer10kCalls, 9);
    expect(line('Step Functions').x86).toBeCloseTo(0.2 * PRICES.sfnPerThousandTransitions, 9);
  });

  it('API keys: Secrets Manager per secret and per call, Parameter Store SecureString only its KMS decrypts, counted separately', () => {
    const keys = (i: Partial<CostInputs>) => controllerCost({ ...inputs, ...i }).find((l) => l.item === API_KEYS_LINE);
    // The example before ADR 0010: two secrets, one key read every 5 minutes.
    expect(keys({ secrets: 2, secretCallsPerMonth: 8_760 })?.arm64).toBeCloseTo(0.8 + 0.0438, 9);
    // After: two SecureString parameters, the same reads, each one KMS decrypt.
    const ssm = keys({ secrets: 0, secretCallsPerMonth: 0, ssmParameters: 2, ssmDecryptsPerMonth: 8_760 });
    expect(ssm?.arm64).toBeCloseTo((8_760 / 10_000) * 0.03, 9);
    expect(ssm?.quantity).toBe('Secrets Manager 0 secrets, 0 calls; Parameter Store 2 SecureString, 8,760 KMS decrypts');
    expect(PRICES.parameterStandardPerMonth).toBe(0);
    expect(PRICES.kmsPer10kRequests).toBe(0.03);
    // Both stores at once add up; the line is the same one in x86 and arm64.
    const both = keys({ secrets: 1, secretCallsPerMonth: 10_000, ssmParameters: 1, ssmDecryptsPerMonth: 10_000 });
    expect(both?.x86).toBeCloseTo(0.4 + 0.05 + 0.03, 9);
    expect(both?.arm64).toBe(both?.x86);
  });

  it('totals every line, and the Lambda free tier caps at 400,000 GB-s', () => {
    const lines = controllerCost(inputs);
    expect(total(lines).x86).toBeCloseTo(lines.reduce((s, l) => s + l.x86, 0), 9);
    const credit = lambdaFreeTierCredit({ ...inputs, probeDurationSeconds: 55 });
    expect(credit.x86).toBeCloseTo(400_000 * PRICES.lambdaGbSecondX86 + (262_800 / 1e6) * PRICES.lambdaPerMillionRequests, 9);
    // Under the cap, the credit is what the rounds use.
    expect(lambdaFreeTierCredit(inputs).arm64).toBeCloseTo(262_800 * 0.5 * 0.25 * PRICES.lambdaGbSecondArm64 + (262_800 / 1e6) * PRICES.lambdaPerMillionRequests, 9);
  });

  it('compares a warm standby running all month with a cold one that only keeps its disk', () => {
    const s = standbyCost({ ebsGb: 60, coldRunHours: 1 });
    expect(s.ebs).toBeCloseTo(60 * PRICES.ebsGp3PerGbMonth, 9);
    expect(s.warm).toBeCloseTo(HOURS_PER_MONTH * PRICES.m5xlargePerHour + s.ebs, 9);
    expect(s.cold).toBeCloseTo(s.ebs + PRICES.m5xlargePerHour, 9);
  });
});
