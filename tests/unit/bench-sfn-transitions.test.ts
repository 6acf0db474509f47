/**
 * The cost model's state-transition count: the local runner records Task and Wait states only,
 * Step Functions bills every state entered. Against the project's real definition, the Choice
 * states between recorded steps must be filled in exactly, retries counted, and a history the
 * definition cannot produce refused.
 */
import { describe, expect, it } from 'vitest';
import { loadDefinition } from '#shared/adapters/sfn-local/runner.js';
import { countTransitions } from '../../bench/lib/sfn-transitions.js';

const definition = loadDefinition();
const steps = (...names: string[]) => names.map((state) => ({ state }));

describe('countTransitions on infra/state-machine.asl.json', () => {
  it('fills in the Choice states of a failover that polled readiness once', () => {
    const history = steps(
      'Validate', // -> IsDryRun
      'AcquireLock', // -> LockAcquired
      'Recheck', // -> RecheckOutcome
      'NotifyStarted',
      'StartTarget', // -> TargetStarted
      'NotifyStarting',
      'CheckReady', // -> IsReady
      'WaitBeforeReadyCheck',
      'CheckReady', // -> IsReady
      'NotifyReady',
      'Cutover',
      'Fence',
      'RecordOwner',
      'NotifyCutover',
      'UpdateDns',
      'CheckSettled',
      'CheckTunnels', // -> IsSettled
      'Finish',
    );
    expect(countTransitions(definition, history)).toEqual({ entered: 18 + 7, recorded: 18, inferred: 7 });
  });

  it('counts a retried task again without inventing states between the attempts', () => {
    const once = countTransitions(definition, steps('Validate', 'AcquireLock', 'Recheck', 'Finish'));
    const retried = countTransitions(definition, steps('Validate', 'AcquireLock', 'AcquireLock', 'Recheck', 'Finish'));
    expect(retried.entered).toBe(once.entered + 1);
    expect(retried.inferred).toBe(once.inferred);
  });

  it('takes the shortest path where two lead between the same recorded states (a lower bound)', () => {
    // CheckReady reaches Abort through its Catch (nothing between) or IsReady -> NotReady (two
    // states between); the history cannot tell which, so the Catch is counted.
    const r = countTransitions(
      definition,
      steps('Validate', 'AcquireLock', 'Recheck', 'NotifyStarted', 'StartTarget', 'NotifyStarting', 'CheckReady', 'Abort', 'Failed'),
    );
    expect(r).toEqual({ entered: 9 + 4, recorded: 9, inferred: 4 });
  });

  it('refuses a history the definition cannot produce', () => {
    expect(() => countTransitions(definition, steps('Validate', 'Cutover'))).toThrow(/no such path/);
    expect(() => countTransitions(definition, steps('Validate', 'NoSuchState'))).toThrow(/lacks/);
  });
});
