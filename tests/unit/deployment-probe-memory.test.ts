/**
 * The probe's memory follows the configuration: the one-pair size (1.5 x its measured peak) for a
 * few pairs, more for many, because Lambda's CPU follows memory and a round of 50 pairs needs
 * about a core's worth to stay within its timeout. serverless.yml takes the size from the
 * deployment; `npm run bench -- --only scale` measures the bundle at 50 pairs against it.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Config } from '#shared/config/schema.js';
import {
  deployment,
  LAMBDA_MB_PER_VCPU,
  PROBE_BASE_MEMORY_MB,
  PROBE_ROUND_CPU_MS_PER_PAIR,
  probeMemoryFor,
} from '../../infra/deployment.js';
import { manyPairConfig } from '../support/many-pairs.js';

const withTimeout = (config: Config, timeoutSeconds: number): Config => ({
  ...config,
  pairs: config.pairs.map((p) => ({ ...p, probe: { ...p.probe, timeoutSeconds } })),
});

describe('probeMemoryFor', () => {
  it('the example (one pair, 4 s timeout) gets the one-pair size, 160 MB', () => {
    expect(probeMemoryFor(manyPairConfig(1))).toBe(PROBE_BASE_MEMORY_MB);
    expect(PROBE_BASE_MEMORY_MB).toBe(160);
  });

  it("grows with the pairs so that a healthy round's CPU stays within half the probe timeout", () => {
    const sizes = [1, 2, 5, 10, 15, 20, 50].map((n) => [n, probeMemoryFor(manyPairConfig(n))] as const);
    expect(sizes).toEqual([
      [1, 160],
      [2, 160],
      [5, 192],
      [10, 384],
      [15, 576],
      [20, 768],
      [50, 1792],
    ]);
    for (const [n, mb] of sizes) {
      // The CPU Lambda gives at that size covers the round within half the 4 s timeout.
      expect(((n * PROBE_ROUND_CPU_MS_PER_PAIR) / (mb / LAMBDA_MB_PER_VCPU)), `${n} pairs`).toBeLessThanOrEqual(2000);
      expect(mb % 64 === 0 || mb === PROBE_BASE_MEMORY_MB, `${n} pairs: ${mb}`).toBe(true);
    }
  });

  it('a shorter probe timeout needs more CPU, so more memory; never above Lambda\'s 10,240 MB', () => {
    expect(probeMemoryFor(withTimeout(manyPairConfig(10), 2))).toBe(768);
    expect(probeMemoryFor(withTimeout(manyPairConfig(10), 8))).toBe(192);
    expect(probeMemoryFor(withTimeout(manyPairConfig(50), 1))).toBe(7104);
    const fifty = manyPairConfig(50);
    expect(probeMemoryFor(withTimeout({ ...fifty, pairs: [...fifty.pairs, ...fifty.pairs] }, 1))).toBe(10_240);
  });

  it('the shortest timeout of any pair decides', () => {
    const config = manyPairConfig(10);
    const mixed: Config = { ...config, pairs: config.pairs.map((p, i) => (i === 3 ? { ...p, probe: { ...p.probe, timeoutSeconds: 2 } } : p)) };
    expect(probeMemoryFor(mixed)).toBe(probeMemoryFor(withTimeout(config, 2)));
  });
});

describe('the deployment carries the size to serverless.yml', () => {
  it('deployment.memory.probe is probeMemoryFor, and serverless.yml reads it from there', () => {
    expect(deployment(manyPairConfig(1), { stage: 'prod' }).memory).toEqual({ probe: 160 });
    expect(deployment(manyPairConfig(50), { stage: 'prod' }).memory).toEqual({ probe: 1792 });
    const sls = parse(readFileSync(new URL('../../serverless.yml', import.meta.url), 'utf8')) as { functions: { healthProbe: { memorySize: unknown } } };
    expect(sls.functions.healthProbe.memorySize).toBe('${self:custom.deploy.memory.probe}');
  });
});
