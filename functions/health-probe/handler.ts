/**
 * Health probe, started by EventBridge once a minute; runs several probe rounds per invocation
 * (sub-minute detection). Runs in the VPC, in subnets whose routes do not use the firewalls.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { createPowertools, type Powertools } from '#shared/observability/powertools.js';
import { probeDepsFromEnv } from '#shared/runtime/probe-deps.js';
import { probeSelftestParts } from '#shared/runtime/selftest-probe.js';
import { deployedVpcSelftestHook, withSelftest } from '#shared/runtime/selftest-vpc.js';
import { runProbeInvocation, type ProbeDeps } from '#shared/usecases/probe.js';
import { installSourceMappedStacks } from '#shared/runtime/source-mapped-stacks.js';

export interface ProbeSummary {
  readonly rounds: number;
  readonly pairs: readonly { pair: string; owner: string; action: string; code: string; reason: string }[];
}

export function createProbeHandler(getDeps: () => Promise<ProbeDeps>, power: Powertools) {
  return middy(async (_event: unknown, context: Context): Promise<ProbeSummary> => {
    const deps = await getDeps();
    const rounds = await runProbeInvocation(deps, { remainingMs: () => context.getRemainingTimeInMillis() });
    const last = rounds.at(-1) ?? [];
    return {
      rounds: rounds.length,
      pairs: last.map((r) => ({ pair: r.pair, owner: r.owner, action: r.decision.action, code: r.decision.code, reason: r.decision.reason })),
    };
  })
    .use(injectLambdaContext(power.logger));
}

// Stack traces in the logs name the .ts sources (the zip carries the bundle's source map).
installSourceMappedStacks(import.meta.url);
const power = createPowertools('health-probe');
let deps: Promise<ProbeDeps> | undefined;
// A self-test event (pan-failover selftest) gets the probe's self-test instead of a round.
export const handler = withSelftest(createProbeHandler(() => (deps ??= probeDepsFromEnv(power.telemetry)), power), deployedVpcSelftestHook('health-probe', probeSelftestParts));
