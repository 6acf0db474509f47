/**
 * The state machine definition (infra/state-machine.asl.json) is a contract with the code:
 * it must validate, reach every state, only name functions that exist, and every error name
 * it retries or catches must be one the code can throw (or a Step Functions / Lambda service
 * error). A renamed error class would otherwise silently stop matching a Retry.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { errorNames } from '#shared/errors.js';
import { functionKeyOf, loadDefinition, PROBE_LOOP_DEFINITION_PATH, resolvedDefinition, type AslState } from '#shared/adapters/sfn-local/runner.js';
import { AWS_STEPS, CONTROL_STEPS, FIREWALL_STEPS } from '#shared/usecases/flow/events.js';

const require = createRequire(import.meta.url);
const aslValidator = require('asl-validator') as (def: unknown, opts?: unknown) => { isValid: boolean; errorsText: (sep?: string) => string };

const SERVICE_ERRORS = new Set([
  'States.ALL',
  'States.Timeout',
  'States.TaskFailed',
  'Lambda.Unknown',
  // A function stopped at its own timeout (shorter than the task's: tests/e2e/packaged-template.test.ts).
  'Sandbox.Timedout',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
]);
const FUNCTIONS: Record<string, readonly string[]> = {
  flowControl: CONTROL_STEPS,
  flowAws: AWS_STEPS,
  flowFirewall: FIREWALL_STEPS,
};

const def = loadDefinition();
const states = Object.entries(def.States);

function nextsOf(s: AslState): string[] {
  const out: string[] = [];
  if (typeof s.Next === 'string') out.push(s.Next);
  if (typeof s.Default === 'string') out.push(s.Default);
  for (const c of (s.Choices as { Next: string }[] | undefined) ?? []) out.push(c.Next);
  for (const c of (s.Catch as { Next: string }[] | undefined) ?? []) out.push(c.Next);
  return out;
}

describe('state machine definition', () => {
  it('passes asl-validator (with resources resolved as the deployment does)', () => {
    const res = aslValidator(resolvedDefinition(def));
    expect(res.errorsText('\n')).toBe('');
    expect(res.isValid).toBe(true);
  });

  it('is JSONPath only, with every state reachable and every transition to an existing state', () => {
    expect(def.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    const reachable = new Set<string>([def.StartAt]);
    const queue = [def.StartAt];
    while (queue.length > 0) {
      const name = queue.pop()!;
      const s = def.States[name];
      expect(s, `transition to missing state ${name}`).toBeDefined();
      for (const n of nextsOf(s!)) {
        if (!reachable.has(n)) {
          reachable.add(n);
          queue.push(n);
        }
      }
    }
    expect([...reachable].sort()).toEqual(Object.keys(def.States).sort());
  });

  it('retries and catches only errors the code can throw or the service raises', () => {
    const known = new Set<string>([...errorNames(), ...SERVICE_ERRORS]);
    const used = new Set<string>();
    for (const [, s] of states) {
      for (const r of [...((s.Retry as { ErrorEquals: string[] }[]) ?? []), ...((s.Catch as { ErrorEquals: string[] }[]) ?? [])]) {
        for (const e of r.ErrorEquals) used.add(e);
      }
    }
    const unknown = [...used].filter((e) => !known.has(e));
    expect(unknown).toEqual([]);
    // The names the flow's failure handling relies on are really used.
    for (const name of ['AwsThrottledError', 'AwsTransientError', 'CutoverNotVerifiedError', 'InputInvalidError']) {
      expect(used.has(name), name).toBe(true);
    }
  });

  it('calls only the three flow functions, with steps each of them implements', () => {
    for (const [name, s] of states) {
      if (s.Type !== 'Task') continue;
      const key = functionKeyOf(s.Resource);
      expect(key, name).toBeDefined();
      const steps = FUNCTIONS[key!];
      expect(steps, `${name} -> ${key}`).toBeDefined();
      const step = (s.Parameters as { step?: string }).step;
      expect(steps, `${name} step ${step}`).toContain(step);
    }
  });

  it('every task that can fail mid-flow ends in Abort (lock released, consistency), except notifications', () => {
    for (const [name, s] of states) {
      if (s.Type !== 'Task') continue;
      const step = (s.Parameters as { step?: string }).step;
      if (step === 'notify' || name === 'Validate' || name === 'Abort') continue;
      const catches = (s.Catch as { ErrorEquals: string[]; Next: string }[] | undefined) ?? [];
      if (name === 'SkippedLocked' || name === 'SkippedPaused') continue;
      // A drill moves nothing: its failures stop the standby (DrillStop) and release the lock (DrillFinish).
      if (name.startsWith('Drill')) continue;
      expect(catches.some((c) => c.ErrorEquals.includes('States.ALL') && c.Next === 'Abort'), name).toBe(true);
    }
  });

  it("every drill task's failure goes on to stop the standby it may have started and to DrillFinish (lock released, recorded, notified); never to Abort", () => {
    const drillTasks = states.filter(([n, s]) => s.Type === 'Task' && n.startsWith('Drill'));
    expect(drillTasks.map(([n]) => n).sort()).toEqual(['DrillCheckReady', 'DrillChecks', 'DrillFinish', 'DrillRecheck', 'DrillStart', 'DrillStop']);
    const catchOf = (n: string) => ((def.States[n]?.Catch as { ErrorEquals: string[]; Next: string }[] | undefined) ?? []).find((c) => c.ErrorEquals.includes('States.ALL'))?.Next;
    // Before the start request nothing needs stopping; from DrillStart on, the stop runs first.
    expect(catchOf('DrillRecheck')).toBe('DrillFinish');
    for (const n of ['DrillStart', 'DrillCheckReady', 'DrillChecks']) expect(catchOf(n), n).toBe('DrillStop');
    expect(catchOf('DrillStop')).toBe('DrillFinish');
    expect(catchOf('DrillFinish')).toBe('DrillFailed');
    expect(def.States.DrillFailed?.Type).toBe('Fail');
    // Only a drill reaches the drill states, once it holds the lock.
    const lockAcquired = def.States.LockAcquired?.Choices as { And?: { Variable: string; StringEquals?: string; BooleanEquals?: boolean }[]; Next: string }[];
    expect(lockAcquired[0]).toEqual({ And: [{ Variable: '$.lock.acquired', BooleanEquals: true }, { Variable: '$.input.action', StringEquals: 'drill' }], Next: 'DrillRecheck' });
  });

  it('the readiness wait, start retries and settle checks are loops with a Wait (short polls, not one long task)', () => {
    const waits = states.filter(([, s]) => s.Type === 'Wait').map(([n, s]) => [n, s.SecondsPath]);
    expect(waits).toEqual(
      expect.arrayContaining([
        ['WaitBeforeReadyCheck', '$.ready.waitSeconds'],
        ['WaitBeforeStartRetry', '$.start.waitSeconds'],
        ['WaitBeforeSettleCheck', '$.verify.waitSeconds'],
      ]),
    );
  });
});

describe('state machine timeout and lock lease', () => {
  it('the lease cap is the definition timeout, so no lease outlives the execution that holds it', async () => {
    const { STATE_MACHINE_TIMEOUT_SECONDS } = await import('#shared/usecases/flow/control-steps.js');
    expect(def.TimeoutSeconds).toBe(STATE_MACHINE_TIMEOUT_SECONDS);
  });

  it('no state sets ResultPath "$" (the local runner stores it under a "$" key; omit it instead)', () => {
    expect(states.filter(([, s]) => s.ResultPath === '$').map(([n]) => n)).toEqual([]);
  });
});

describe('probe loop definition (infra/probe-loop.asl.json)', () => {
  const loop = loadDefinition(PROBE_LOOP_DEFINITION_PATH);

  it('passes asl-validator, and fits an Express workflow (whole execution under its 5-minute limit)', () => {
    const res = aslValidator(resolvedDefinition(loop));
    expect(res.errorsText('\n')).toBe('');
    expect(res.isValid).toBe(true);
    expect(loop.TimeoutSeconds).toBeLessThanOrEqual(300);
  });

  it('invokes only the probe, retries only Lambda service errors (a round that failed is not re-run late), waits on the time the probe returns', () => {
    const tasks = Object.entries(loop.States).filter(([, s]) => s.Type === 'Task');
    expect(tasks.map(([, s]) => functionKeyOf(s.Resource))).toEqual(['healthProbe']);
    for (const [, s] of tasks) {
      for (const r of s.Retry ?? []) for (const e of (r as { ErrorEquals: string[] }).ErrorEquals) expect(e).toMatch(/^Lambda\.(ServiceException|AWSLambdaException|SdkClientException|TooManyRequestsException)$/);
      expect(s.Parameters).toEqual({ 'round.$': '$.round', 'startedAt.$': '$$.Execution.StartTime' });
    }
    const waits = Object.values(loop.States).filter((s) => s.Type === 'Wait');
    expect(waits.map((s) => s.TimestampPath)).toEqual(['$.next']);
  });
});
