/**
 * The cutover benchmark measures what it claims: on the discrete-event clock, with every EC2
 * call taking 100 ms, a small cutover costs exactly one Describe, one round of concurrent
 * changes and one verifying Describe; one change at a time costs one call per change; and the
 * generated configuration has the routes, tables and Elastic IPs asked for.
 */
import { describe, expect, it } from 'vitest';
import { benchConfig } from '../../bench/lib/bench-config.js';
import { bucketFloorSeconds, runCutover } from '../../bench/sections/cutover.js';

const small = { label: '4 routes + 1 EIP', routeTables: 2, routesPerTable: 2, elasticIps: 1 };

describe('cutover benchmark', () => {
  it('generates a valid pair with the requested objects', () => {
    const pair = benchConfig([{ name: 'p', index: 1, routeTables: 20, routesPerTable: 2, elasticIps: 8 }]).pairs[0];
    expect(pair?.routes).toHaveLength(40);
    expect(new Set(pair?.routes.map((r) => r.routeTableId)).size).toBe(20);
    expect(pair?.elasticIps).toHaveLength(8);
  });

  it('times a concurrent cutover as describe + one round of changes + verify', async () => {
    const r = await runCutover(small, { clock: 'virtual' });
    expect(r).toMatchObject({ seconds: 0.3, changes: 5, calls: 5, throttled: 0, failure: undefined, allOnTarget: true });
  });

  it('times the sequential baseline as one call per change', async () => {
    const r = await runCutover(small, { clock: 'virtual', concurrency: 1 });
    // 0.1 s describe + 5 changes x 0.1 s + 0.1 s verify
    expect(r).toMatchObject({ seconds: 0.7, concurrency: 1, allOnTarget: true });
  });

  it('computes the token buckets’ floor', () => {
    expect(bucketFloorSeconds(500, 50, 5)).toBe(90);
    expect(bucketFloorSeconds(40, 50, 5)).toBe(0);
  });
});
