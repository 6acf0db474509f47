/**
 * Health probe. Deployed, the probe loop (an Express state machine that EventBridge starts once a
 * minute, infra/probe-loop.asl.json) invokes it once per round with `{ round, startedAt }` and
 * waits between rounds; a scheduled event delivered directly runs a whole minute of rounds in
 * one invocation (shared/usecases/probe-loop.ts). Runs in the VPC, in subnets whose routes do
 * not use the firewalls.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { createPowertools, type Powertools } from '#shared/observability/powertools.js';
import { probeDepsFromEnv } from '#shared/runtime/probe-deps.js';
import { probeSelftestParts } from '#shared/runtime/selftest-probe.js';
import { deployedVpcSelftestHook, withSelftest } from '#shared/runtime/selftest-vpc.js';
import { runLoopRound, runProbeInvocation, type PairRoundResult, type ProbeDeps } from '#shared/usecases/probe.js';
import { isLoopRoundEvent } from '#shared/usecases/probe-loop.js';
import { installSourceMappedStacks } from '#shared/runtime/source-mapped-stacks.js';

export interface ProbeSummary {
  /** Rounds run: in this invocation, or for the loop, in its window so far. */
  readonly rounds: number;
  /** The last round's decision per pair. */
  readonly pairs: readonly { pair: string; owner: string; action: string; code: string; reason: string }[];
}

/** What the loop's next states read: the next round's number and, when the window has room for it, when it is due. */
export interface LoopRoundOutput extends ProbeSummary {
  readonly round: number;
  readonly next?: string;
}

const summary = (last: readonly PairRoundResult[]): ProbeSummary['pairs'] =>
  last.map((r) => ({ pair: r.pair, owner: r.owner, action: r.decision.action, code: r.decision.code, reason: r.decision.reason }));

export function createProbeHandler(getDeps: () => Promise<ProbeDeps>, power: Powertools) {
  return middy(async (event: unknown, context: Context): Promise<ProbeSummary | LoopRoundOutput> => {
    const deps = await getDeps();
    if (isLoopRoundEvent(event)) {
      const { results, round, next } = await runLoopRound(deps, event);
      return { rounds: round, pairs: summary(results ?? []), round, ...(next === undefined ? {} : { next }) };
    }
    const rounds = await runProbeInvocation(deps, { remainingMs: () => context.getRemainingTimeInMillis() });
    return { rounds: rounds.length, pairs: summary(rounds.at(-1) ?? []) };
  })
    .use(injectLambdaContext(power.logger));
}

// Stack traces in the logs name the .ts sources (the zip carries the bundle's source map).
installSourceMappedStacks(import.meta.url);
const power = createPowertools('health-probe');
let deps: Promise<ProbeDeps> | undefined;
// A self-test event (pan-failover selftest) gets the probe's self-test instead of a round.
export const handler = withSelftest(createProbeHandler(() => (deps ??= probeDepsFromEnv(power.telemetry)), power), deployedVpcSelftestHook('health-probe', probeSelftestParts));
