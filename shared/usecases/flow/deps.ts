/** What the flow's steps need; each Lambda gets only the part its steps use. */
import type { Config } from '../../config/schema.js';
import type { Clock } from '../../ports/clock.js';
import type { DnsPort } from '../../ports/dns.js';
import type { Ec2Port } from '../../ports/ec2.js';
import type { FirewallApiFactory } from '../../ports/firewall.js';
import type { FlowStarter, Notifier } from '../../ports/messaging.js';
import type { DrillStore, LockStore, OwnerStore, PauseStore } from '../../ports/store.js';
import type { Telemetry } from '../../observability/telemetry.js';

export interface FlowDeps {
  readonly config: Config;
  readonly clock: Clock;
  readonly telemetry: Telemetry;
  readonly ec2: Ec2Port;
  readonly dns: DnsPort;
  /** The pair's pause is read by Validate only; the drill history is written by DrillFinish. */
  readonly store: LockStore & OwnerStore & PauseStore & DrillStore;
  readonly notifier: Notifier;
  readonly firewalls: FirewallApiFactory;
  /**
   * Execution status lookups on a state machine (the one running this flow, from the context
   * object), to recognise a lock left by an execution that has ended. Optional.
   */
  readonly executions?: (stateMachineArn: string) => Pick<FlowStarter, 'status'>;
  /** Lease of the pair's lock; default `leaseMs(pair)`. A CLI `--local` run takes a short one and renews it. */
  readonly lockLeaseMs?: number;
  /** The flow runs in a CLI process (`--local`): its notifications link no Step Functions execution. */
  readonly local?: boolean;
}

/**
 * flow-control: validate, lock, record, notify, finish, abort (DynamoDB, SNS; EC2 and Route 53
 * for abort, which makes AWS consistent after a failure). Outside the VPC.
 */
export type ControlDeps = Pick<
  FlowDeps,
  'config' | 'clock' | 'telemetry' | 'store' | 'notifier' | 'ec2' | 'dns' | 'executions' | 'lockLeaseMs' | 'local'
>;
/** flow-aws: plan, start, cutover, fence, DNS (EC2, Route 53); outside the VPC. */
export type AwsStepDeps = Pick<FlowDeps, 'config' | 'clock' | 'telemetry' | 'ec2' | 'dns'> & {
  /** The lock, read before every step that changes AWS (see `assertLockHeld`). */
  readonly store: Pick<LockStore, 'get'>;
};
/**
 * flow-firewall: re-check, readiness, post-verify (PAN-OS API in the VPC; EC2 reads, the owner
 * record, and the lock: the readiness check is the last gate before the cutover).
 */
export type FirewallStepDeps = Pick<FlowDeps, 'config' | 'clock' | 'telemetry' | 'ec2' | 'firewalls'> & {
  readonly store: OwnerStore & Pick<LockStore, 'get'>;
};
