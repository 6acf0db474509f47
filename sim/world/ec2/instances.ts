/**
 * Instances of the simulated EC2: Describe, start and stop with their life cycle (pending,
 * running, stopping, stopped; crashes and status checks driven by the world's faults), type and
 * attribute changes, and the current state for the PAN-OS hosts.
 */
import type { InstanceState } from '#shared/ports/ec2.js';
import type { FirewallHostView, HeldAddress } from '../firewall-host.js';
import {
  dryRunSucceeded,
  ec2Error,
  gmt,
  matches,
  type DescribeQuery,
  type InstanceRecord,
  type InstanceSnapshot,
  type InstanceStateChange,
  type InstanceView,
  type ScheduledEventView,
  type StateReason,
} from './model.js';
import type { Ec2State } from './state.js';
import { instanceView } from './views.js';

/** The instances and their life cycle. */
export class Ec2Instances {
  readonly #s: Ec2State;

  constructor(state: Ec2State) {
    this.#s = state;
  }

  describeInstances(query: DescribeQuery = {}): InstanceView[] {
    this.#s.authorize('DescribeInstances');
    this.#s.ctx.scheduler.runDue();
    const t = query.current === true ? this.#s.ctx.now() : this.#s.viewTime('instances');
    const records = this.#s.pick(
      this.#s.instances,
      query.ids,
      'InvalidInstanceID.NotFound',
      'instance',
      /^i-[0-9a-f]+$/,
    );
    return records
      .map((rec) => instanceView(this.#s, rec, t))
      .filter((v) =>
        matches(v, query.filters, {
          'instance-id': (x) => [x.instanceId],
          'instance-state-name': (x) => [x.state],
          'instance-state-code': (x) => [String(x.stateCode)],
          'instance-type': (x) => [x.instanceType],
          'availability-zone': (x) => [x.availabilityZone],
          'vpc-id': (x) => [x.vpcId],
          'subnet-id': (x) => [x.subnetId],
          'image-id': (x) => [x.imageId],
          'private-ip-address': (x) => [x.privateIp],
          'network-interface.network-interface-id': (x) =>
            x.networkInterfaces.map((n) => n.networkInterfaceId),
          'network-interface.addresses.private-ip-address': (x) =>
            x.networkInterfaces.flatMap((n) => n.privateIps.map((p) => p.address)),
          'instance-status.status': (x) => [x.instanceStatus],
          'system-status.status': (x) => [x.systemStatus],
        }),
      );
  }

  /** AWS schedules an event for the instance (a retirement, a reboot, a stop); `undefined` clears them all. */
  scheduleEvent(instanceId: string, event: ScheduledEventView | undefined): void {
    const [rec] = this.#s.requireInstances([instanceId]);
    if (!rec) return;
    if (event === undefined) rec.scheduledEvents = [];
    else rec.scheduledEvents.push(event);
  }

  /** DescribeInstanceStatus: only running instances unless `includeAll`. */
  describeInstanceStatus(query: DescribeQuery & { includeAll?: boolean } = {}): InstanceView[] {
    this.#s.authorize('DescribeInstanceStatus');
    return this.describeInstances(query).filter((v) => query.includeAll === true || v.state === 'running');
  }

  startInstances(ids: readonly string[], dryRun = false): InstanceStateChange[] {
    this.#s.authorize('StartInstances', ids.map((id) => this.#s.arn('instance', id)));
    this.#s.ctx.scheduler.runDue();
    const records = this.#s.requireInstances(ids);
    for (const rec of records) {
      const state = rec.timeline.current.state;
      if (state === 'stopping' || state === 'terminated' || state === 'shutting-down') {
        throw ec2Error(
          'IncorrectInstanceState',
          `The instance '${rec.instanceId}' is not in a state from which it can be started.`,
        );
      }
    }
    if (dryRun) throw dryRunSucceeded();
    const at = this.#s.ctx.now();
    return records.map((rec) => {
      const snap = rec.timeline.current;
      if (snap.state !== 'stopped')
        return { instanceId: rec.instanceId, previousState: snap.state, currentState: snap.state };
      if (this.#s.ctx.faults.takeCapacityFailure(rec.instanceId, snap.instanceType)) {
        this.#s.ctx.events.record(
          at,
          'fault.injected',
          rec.instanceId,
          `no ${snap.instanceType} capacity for ${rec.instanceId}`,
          {
            op: 'ec2:StartInstances',
            code: 'InsufficientInstanceCapacity',
            kind: 'capacity',
            instanceType: snap.instanceType,
          },
        );
        // EC2 returns this as a server error (HTTP 500), which the SDK's standard retry retries.
        throw ec2Error(
          'InsufficientInstanceCapacity',
          `We currently do not have sufficient ${snap.instanceType} capacity in the Availability Zone you requested (${rec.availabilityZone}). Our system will be working on provisioning additional capacity. You can currently get ${snap.instanceType} capacity by not specifying an Availability Zone in your request or choosing another Availability Zone.`,
          500,
        );
      }
      this.#transition(rec, at, {
        state: 'pending',
        launchTime: at,
        runningSince: undefined,
        stateReason: undefined,
        stateTransitionReason: '',
      });
      const fault = this.#s.ctx.faults.instance(rec.instanceId);
      const gen = rec.gen;
      this.#s.ctx.scheduler.at(at + (fault.pendingMs ?? this.#s.ctx.timings.pendingMs), (when) => {
        if (rec.gen !== gen) return;
        this.#transition(rec, when, { state: 'running', runningSince: when });
        this.scheduleRunningTasks(rec, when);
      });
      return { instanceId: rec.instanceId, previousState: 'stopped', currentState: 'pending' };
    });
  }

  stopInstances(ids: readonly string[], dryRun = false): InstanceStateChange[] {
    this.#s.authorize('StopInstances', ids.map((id) => this.#s.arn('instance', id)));
    this.#s.ctx.scheduler.runDue();
    const records = this.#s.requireInstances(ids);
    for (const rec of records) {
      const state = rec.timeline.current.state;
      if (state === 'pending' || state === 'terminated' || state === 'shutting-down') {
        throw ec2Error(
          'IncorrectInstanceState',
          `This instance '${rec.instanceId}' is not in a state from which it can be stopped.`,
        );
      }
    }
    if (dryRun) throw dryRunSucceeded();
    const at = this.#s.ctx.now();
    return records.map((rec) => {
      const snap = rec.timeline.current;
      if (snap.state !== 'running')
        return { instanceId: rec.instanceId, previousState: snap.state, currentState: snap.state };
      this.#beginStop(rec, at, {
        stateReason: {
          code: 'Client.UserInitiatedShutdown',
          message: 'Client.UserInitiatedShutdown: User initiated shutdown',
        },
        stateTransitionReason: `User initiated (${gmt(at)})`,
      });
      return { instanceId: rec.instanceId, previousState: 'running', currentState: 'stopping' };
    });
  }

  /** The instance stops by itself (host failure): what the crash fault does, callable directly by tests. */
  crashInstance(instanceId: string): void {
    this.#s.ctx.scheduler.runDue();
    const rec = this.#s.requireInstances([instanceId])[0] as InstanceRecord;
    const at = this.#s.ctx.now();
    if (rec.timeline.current.state !== 'running') return;
    this.#crash(rec, at);
  }

  /** Terminates an instance (scenario setup: a standby that no longer exists). */
  terminateInstance(instanceId: string): void {
    this.#s.ctx.scheduler.runDue();
    const rec = this.#s.requireInstances([instanceId])[0] as InstanceRecord;
    if (rec.timeline.current.state === 'terminated') return;
    const at = this.#s.ctx.now();
    this.#transition(rec, at, {
      state: 'terminated',
      runningSince: undefined,
      stateReason: {
        code: 'Client.UserInitiatedShutdown',
        message: 'Client.UserInitiatedShutdown: User initiated shutdown',
      },
      stateTransitionReason: `User initiated (${gmt(at)})`,
    });
  }

  modifyInstanceType(instanceId: string, instanceType: string, dryRun = false): void {
    // The attribute and its new value are condition keys (ec2:Attribute/${AttributeName}).
    this.#s.authorize('ModifyInstanceAttribute', [this.#s.arn('instance', instanceId)], { 'ec2:Attribute/InstanceType': instanceType });
    this.#s.ctx.scheduler.runDue();
    const rec = this.#s.requireInstances([instanceId])[0] as InstanceRecord;
    const snap = rec.timeline.current;
    const spec = this.#s.types.get(instanceType);
    if (spec === undefined) {
      throw ec2Error('InvalidParameterValue', `The instance type '${instanceType}' does not exist`);
    }
    if (snap.state !== 'stopped') {
      throw ec2Error('IncorrectInstanceState', `The instance '${instanceId}' is not in the 'stopped' state.`);
    }
    if (rec.eniIds.length > spec.maxNetworkInterfaces) {
      throw ec2Error(
        'InvalidParameterValue',
        `The instance type '${instanceType}' supports at most ${spec.maxNetworkInterfaces} network interfaces; ${instanceId} has ${rec.eniIds.length}`,
      );
    }
    if (dryRun) throw dryRunSucceeded();
    if (snap.instanceType === instanceType) return;
    const at = this.#s.ctx.now();
    rec.timeline.set(at, { ...snap, instanceType });
    this.#s.ctx.events.record(
      at,
      'ec2.instance.type',
      instanceId,
      `${instanceId} type ${snap.instanceType} -> ${instanceType}`,
      {
        from: snap.instanceType,
        to: instanceType,
      },
    );
  }

  /** ModifyInstanceAttribute SourceDestCheck: applies to the instance's primary ENI, as in EC2. */
  modifySourceDestCheck(instanceId: string, enabled: boolean, dryRun = false): void {
    this.#s.authorize('ModifyInstanceAttribute', [this.#s.arn('instance', instanceId)]);
    const rec = this.#s.requireInstances([instanceId])[0] as InstanceRecord;
    if (dryRun) throw dryRunSucceeded();
    const eni = this.#s.enis.get(rec.eniIds[0] ?? '');
    if (eni === undefined || eni.sourceDestCheck === enabled) return;
    eni.sourceDestCheck = enabled;
    this.#s.ctx.events.record(
      this.#s.ctx.now(),
      'ec2.instance.attribute',
      instanceId,
      `${instanceId} sourceDestCheck=${enabled}`,
      {
        attribute: 'sourceDestCheck',
        value: enabled,
      },
    );
  }

  instanceIds(): string[] {
    return [...this.#s.instances.keys()];
  }

  /** The instance as it is now, or was at `at` (no lag). */
  instanceNow(instanceId: string, at: number = this.#s.ctx.now()): InstanceView {
    this.#s.ctx.scheduler.runDue();
    return instanceView(this.#s, this.#s.requireInstances([instanceId])[0] as InstanceRecord, at);
  }

  hostView(instanceId: string): FirewallHostView {
    const rec = this.#s.requireInstances([instanceId])[0] as InstanceRecord;
    return {
      instanceId,
      instanceState: () => {
        this.#s.ctx.scheduler.runDue();
        return rec.timeline.current.state;
      },
      runningSince: () => {
        this.#s.ctx.scheduler.runDue();
        const snap = rec.timeline.current;
        return snap.state === 'running' ? snap.runningSince : undefined;
      },
      heldAddresses: () => {
        this.#s.ctx.scheduler.runDue();
        const held: HeldAddress[] = [];
        for (const a of this.#s.addresses.values()) {
          const snap = a.timeline.current;
          if (snap.networkInterfaceId === undefined || snap.since === undefined) continue;
          if (rec.eniIds.includes(snap.networkInterfaceId))
            held.push({ publicIp: a.publicIp, since: snap.since });
        }
        return held;
      },
    };
  }

  #transition(
    rec: InstanceRecord,
    at: number,
    change: Partial<InstanceSnapshot> & { state: InstanceState },
  ): void {
    const before = rec.timeline.current;
    rec.gen += 1;
    rec.crashTask?.cancel();
    rec.crashTask = undefined;
    rec.timeline.set(at, { ...before, ...change });
    this.#s.ctx.events.record(
      at,
      'ec2.instance.state',
      rec.instanceId,
      `${rec.instanceId} ${before.state} -> ${change.state}`,
      {
        from: before.state,
        to: change.state,
        instanceType: before.instanceType,
        reason: change.stateReason?.code,
      },
    );
  }

  #beginStop(
    rec: InstanceRecord,
    at: number,
    why: { stateReason: StateReason; stateTransitionReason: string },
  ): void {
    this.#transition(rec, at, { state: 'stopping', runningSince: undefined, ...why });
    const fault = this.#s.ctx.faults.instance(rec.instanceId);
    const gen = rec.gen;
    this.#s.ctx.scheduler.at(at + (fault.stoppingMs ?? this.#s.ctx.timings.stoppingMs), (when) => {
      if (rec.gen !== gen) return;
      this.#transition(rec, when, { state: 'stopped' });
    });
  }

  #crash(rec: InstanceRecord, at: number): void {
    this.#beginStop(rec, at, {
      stateReason: {
        code: 'Server.InternalError',
        message: 'Server.InternalError: Internal error on the host',
      },
      stateTransitionReason: `Server initiated (${gmt(at)})`,
    });
  }

  /** Status checks turning `ok`, and the crash fault, for an instance that entered `running` at `since`. */
  scheduleRunningTasks(rec: InstanceRecord, since: number, loadedAt?: number): void {
    const gen = rec.gen;
    const fault = this.#s.ctx.faults.instance(rec.instanceId);
    const initMs = fault.statusInitMs ?? this.#s.ctx.timings.statusInitMs;
    // An instance loaded as long running passed its checks before the world began: nothing to log.
    if (loadedAt === undefined || since + initMs > loadedAt) {
      this.#scheduleStatusEvent(rec, gen, since + initMs);
    }
    this.#scheduleCrash(rec);
  }

  #scheduleStatusEvent(rec: InstanceRecord, gen: number, at: number): void {
    this.#s.ctx.scheduler.at(at, (when) => {
      if (rec.gen !== gen) return;
      const impaired = this.#s.ctx.faults.instance(rec.instanceId).impaired;
      const status = impaired === undefined || impaired === false ? 'ok' : 'impaired';
      this.#s.ctx.events.record(
        when,
        'ec2.instance.status',
        rec.instanceId,
        `${rec.instanceId} status checks ${status}`,
        {
          status,
        },
      );
    });
  }

  #scheduleCrash(rec: InstanceRecord): void {
    rec.crashTask?.cancel();
    rec.crashTask = undefined;
    const snap = rec.timeline.current;
    const after = this.#s.ctx.faults.instance(rec.instanceId).crashAfterRunningMs;
    if (after === undefined || snap.state !== 'running' || snap.runningSince === undefined) return;
    const gen = rec.gen;
    rec.crashTask = this.#s.ctx.scheduler.at(snap.runningSince + after, (when) => {
      if (rec.gen !== gen || rec.timeline.current.state !== 'running') return;
      this.#crash(rec, when);
    });
  }

  applyInstanceFaults(): void {
    const at = this.#s.ctx.now();
    for (const rec of this.#s.instances.values()) {
      this.#scheduleCrash(rec);
      const snap = rec.timeline.current;
      if (snap.state !== 'running') continue;
      const impaired = this.#s.ctx.faults.instance(rec.instanceId).impaired;
      if (impaired !== undefined && impaired !== false) {
        this.#s.ctx.events.record(
          at,
          'ec2.instance.status',
          rec.instanceId,
          `${rec.instanceId} status checks impaired`,
          {
            status: 'impaired',
            check: impaired === true ? 'both' : impaired,
          },
        );
      }
    }
  }
}
