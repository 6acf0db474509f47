/**
 * What every part of the simulated EC2 shares: the world's context, the resources by id, and
 * the lookups and checks all of them use.
 */
import type { WorldContext } from '../context.js';
import { worldArn } from '../context.js';
import type { LagResource } from '../faults.js';
import { INSTANCE_TYPES, type InstanceTypeSpec } from '../instance-types.js';
import { ec2Error, notFound, type AddressRecord, type EniRecord, type InstanceRecord, type RouteTableRecord, type SubnetRecord } from './model.js';

/** The resources of the simulated EC2, and the lookups its parts share. */
export class Ec2State {
  readonly subnets = new Map<string, SubnetRecord>();
  readonly vpcCidrs = new Map<string, string>();
  readonly types = new Map<string, InstanceTypeSpec>(INSTANCE_TYPES);
  readonly instances = new Map<string, InstanceRecord>();
  readonly enis = new Map<string, EniRecord>();
  readonly routeTables = new Map<string, RouteTableRecord>();
  readonly addresses = new Map<string, AddressRecord>();

  constructor(readonly ctx: WorldContext) {}

  /** The IAM check of an EC2 operation (Describe* take no resource: `*`). */
  authorize(operation: string, resources: readonly string[] = ['*'], context: Readonly<Record<string, string>> = {}): void {
    this.ctx.iam.check('ec2', `ec2:${operation}`, resources, context);
  }

  /** The ARN of an EC2 resource of this world's account and region (IAM checks name it). */
  arn(type: string, id: string): string {
    return worldArn(this.ctx, 'ec2', `${type}/${id}`);
  }

  /** The time Describe calls of `resource` see: now, less the lag the world's faults add. */
  viewTime(resource: LagResource): number {
    return this.ctx.now() - this.ctx.faults.lagMs(resource);
  }

  /** A new locally administered MAC address. */
  mac(): string {
    return Array.from({ length: 6 }, (_, i) => (i === 0 ? '02' : this.ctx.ids.hex(2))).join(':');
  }

  /** The subnet, or EC2's not-found error. */
  subnet(id: string): SubnetRecord {
    const s = this.subnets.get(id);
    if (s === undefined) throw notFound('InvalidSubnetID.NotFound', 'subnet', [id]);
    return s;
  }

  /** The records named by `ids` (all when none), or EC2's malformed-id or not-found error. */
  pick<T>(
    map: ReadonlyMap<string, T>,
    ids: readonly string[] | undefined,
    code: string,
    kind: string,
    shape: RegExp,
  ): T[] {
    if (ids === undefined || ids.length === 0) return [...map.values()];
    const malformed = ids.filter((id) => !shape.test(id));
    if (malformed.length > 0) {
      const idKind = code.split('.')[0] ?? code;
      throw ec2Error(`${idKind}.Malformed`, `Invalid id: "${malformed[0] ?? ''}"`);
    }
    const missing = ids.filter((id) => !map.has(id));
    if (missing.length > 0) throw notFound(code, kind, missing);
    return [...new Set(ids)].map((id) => map.get(id) as T);
  }

  /** The instances named by `ids` (at least one), or EC2's error. */
  requireInstances(ids: readonly string[]): InstanceRecord[] {
    if (ids.length === 0)
      throw ec2Error('MissingParameter', 'The request must contain the parameter InstanceId');
    return this.pick(this.instances, ids, 'InvalidInstanceID.NotFound', 'instance', /^i-[0-9a-f]+$/);
  }

  /** The route table, or EC2's not-found error. */
  routeTable(id: string): RouteTableRecord {
    const rec = this.routeTables.get(id);
    if (rec === undefined) throw notFound('InvalidRouteTableID.NotFound', 'routeTable', [id]);
    return rec;
  }
}
