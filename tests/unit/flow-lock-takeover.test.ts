/**
 * A lock left by an execution that ended without releasing it (a person aborted it, or it timed
 * out before its Catch could run) must not block the pair until the lease expires: a new
 * execution takes it over, but only when Step Functions says the holder has ended.
 */
import { describe, expect, it } from 'vitest';
import { recordingTelemetry } from '#shared/observability/telemetry.js';
import type { ExecutionStatus } from '#shared/ports/messaging.js';
import { acquireLock } from '#shared/usecases/flow/control-steps.js';
import type { FlowState } from '#shared/usecases/flow/state.js';
import { ManualClock } from '#sim/manual-clock.js';
import { createDirectPorts } from '#sim/world/ports.js';
import { World } from '#sim/world/world.js';
import { SIM_TABLE, topologyFromConfig } from '#sim/scenario/topology-from-config.js';
import { makeConfig } from '../support/config.js';

function setup(holderStatus: ExecutionStatus | undefined | 'throws') {
  const config = makeConfig();
  const clock = new ManualClock();
  const world = World.create({ clock }).load(topologyFromConfig(config, { secrets: {} }));
  const ports = createDirectPorts(world, { tableName: SIM_TABLE, topicArn: 'arn:aws:sns:us-east-1:123456789012:t', stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:pan-failover' });
  const asked: string[] = [];
  const deps = {
    config,
    clock,
    telemetry: recordingTelemetry(),
    ec2: ports.ec2,
    store: ports.store,
    notifier: ports.notifier,
    dns: ports.dns,
    executions: (stateMachineArn: string) => ({
      status: (name: string) => {
        asked.push(`${stateMachineArn.split(':').at(-1) ?? ''}/${name}`);
        return holderStatus === 'throws' ? Promise.reject(new Error('sfn down')) : Promise.resolve(holderStatus);
      },
    }),
  };
  const state = (execution: string): FlowState => ({
    input: { pair: 'hq-egress', action: 'failover', reason: 'r', force: false, dryRun: false, source: 'manual' },
    execution,
    stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:pan-failover',
    startedAt: clock.now(),
    phases: {},
  });
  return { deps, state, asked, world };
}

describe('lock take-over from an execution that ended', () => {
  for (const ended of ['ABORTED', 'TIMED_OUT', 'FAILED', 'SUCCEEDED'] as const) {
    it(`takes the lock when its holder is ${ended}`, async () => {
      const { deps, state, asked, world } = setup(ended);
      expect((await acquireLock(deps, state('old'))).lock?.acquired).toBe(true);
      const next = await acquireLock(deps, state('new'));
      expect(next.lock).toMatchObject({ acquired: true });
      expect(asked).toEqual(['pan-failover/old']);
      expect(await deps.store.get('hq-egress')).toMatchObject({ holder: 'new' });
      world.close();
    });
  }

  for (const status of ['RUNNING', 'PENDING_REDRIVE', undefined, 'throws'] as const) {
    it(`leaves the lock when its holder is ${String(status)} (unknown is not ended)`, async () => {
      const { deps, state, world } = setup(status);
      await acquireLock(deps, state('old'));
      const next = await acquireLock(deps, state('new'));
      expect(next.lock).toMatchObject({ acquired: false, heldBy: 'old' });
      expect(await deps.store.get('hq-egress')).toMatchObject({ holder: 'old' });
      world.close();
    });
  }
});

describe("a standby drill's lock", () => {
  const withAction = (s: FlowState, action: FlowState['input']['action']): FlowState => ({ ...s, input: { ...s.input, action, ...(action === 'drill' ? { source: 'manual' as const } : {}) } });

  it('is held as drill:<execution>; a failover or a failback takes it over at once, without asking Step Functions', async () => {
    for (const action of ['failover', 'failback'] as const) {
      const { deps, state, asked, world } = setup('RUNNING');
      expect((await acquireLock(deps, withAction(state('d1'), 'drill'))).lock?.acquired).toBe(true);
      expect(await deps.store.get('hq-egress')).toMatchObject({ holder: 'drill:d1' });
      const next = await acquireLock(deps, withAction(state('f1'), action));
      expect(next.lock, action).toMatchObject({ acquired: true });
      expect(await deps.store.get('hq-egress')).toMatchObject({ holder: 'f1' });
      expect(asked).toEqual([]);
      world.close();
    }
  });

  it('a repair or another drill waits for it, like for any running flow (one flow per pair)', async () => {
    for (const action of ['reconcile', 'drill'] as const) {
      const { deps, state, world } = setup('RUNNING');
      expect((await acquireLock(deps, withAction(state('d1'), 'drill'))).lock?.acquired).toBe(true);
      const next = await acquireLock(deps, withAction(state('x1'), action));
      expect(next.lock, action).toMatchObject({ acquired: false, heldBy: 'drill:d1' });
      expect(await deps.store.get('hq-egress')).toMatchObject({ holder: 'drill:d1' });
      world.close();
    }
  });

  it('a drill whose execution ended is a stale lock like any other: Step Functions is asked about the execution, not the marked holder', async () => {
    const { deps, state, asked, world } = setup('ABORTED');
    expect((await acquireLock(deps, withAction(state('d1'), 'drill'))).lock?.acquired).toBe(true);
    expect((await acquireLock(deps, withAction(state('d2'), 'drill'))).lock?.acquired).toBe(true);
    expect(asked).toEqual(['pan-failover/d1']);
    expect(await deps.store.get('hq-egress')).toMatchObject({ holder: 'drill:d2' });
    world.close();
  });

  it('a flow never yields its own lock to a drill', async () => {
    const { deps, state, world } = setup('RUNNING');
    expect((await acquireLock(deps, state('f1'))).lock?.acquired).toBe(true);
    expect((await acquireLock(deps, withAction(state('d1'), 'drill'))).lock).toMatchObject({ acquired: false, heldBy: 'f1' });
    world.close();
  });
});
