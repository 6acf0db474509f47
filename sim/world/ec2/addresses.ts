/**
 * Elastic IPs of the simulated EC2: Describe, AssociateAddress (idempotent for the same target,
 * moving only with reassociation allowed) and DisassociateAddress.
 */
import {
  dryRunSucceeded,
  ec2Error,
  matches,
  notFound,
  type AddressRecord,
  type AddressView,
  type AssociateAddressInput,
  type DescribeQuery,
  type InstanceRecord,
} from './model.js';
import type { Ec2State } from './state.js';
import { addressView } from './views.js';

/** The Elastic IPs. */
export class Ec2Addresses {
  readonly #s: Ec2State;

  constructor(state: Ec2State) {
    this.#s = state;
  }

  describeAddresses(query: DescribeQuery & { publicIps?: readonly string[] } = {}): AddressView[] {
    this.#s.authorize('DescribeAddresses');
    this.#s.ctx.scheduler.runDue();
    const t = query.current === true ? this.#s.ctx.now() : this.#s.viewTime('addresses');
    let records = this.#s.pick(
      this.#s.addresses,
      query.ids,
      'InvalidAllocationID.NotFound',
      'allocation',
      /^eipalloc-[0-9a-f]+$/,
    );
    if (query.publicIps !== undefined && query.publicIps.length > 0) {
      const known = new Set([...this.#s.addresses.values()].map((a) => a.publicIp));
      const missing = query.publicIps.filter((ip) => !known.has(ip));
      if (missing.length > 0) {
        throw ec2Error('InvalidAddress.NotFound', `Address '${missing.join(', ')}' not found.`);
      }
      records = records.filter((r) => query.publicIps?.includes(r.publicIp));
    }
    return records
      .map((rec) => addressView(this.#s, rec, t))
      .filter((v) =>
        matches(v, query.filters, {
          'allocation-id': (x) => [x.allocationId],
          'public-ip': (x) => [x.publicIp],
          'association-id': (x) => [x.associationId],
          'network-interface-id': (x) => [x.networkInterfaceId],
          'private-ip-address': (x) => [x.privateIp],
          'instance-id': (x) => [x.instanceId],
          domain: () => ['vpc'],
        }),
      );
  }

  /**
   * AssociateAddress. Same target again: success with the current association id (EC2 calls
   * the operation idempotent). Associated elsewhere: moves only with `allowReassociation`,
   * else `Resource.AlreadyAssociated`. An EIP already on the target private IP is displaced
   * under the same rule.
   */
  associateAddress(input: AssociateAddressInput): string {
    // Every resource of the request: the address, the ENI, and the instance (given, or the one
    // the ENI is attached to), as the authorization reference lists for AssociateAddress.
    const eniInstance = input.networkInterfaceId === undefined ? undefined : this.#s.enis.get(input.networkInterfaceId)?.instanceId;
    this.#s.authorize('AssociateAddress', [
      this.#s.arn('elastic-ip', input.allocationId),
      ...(input.networkInterfaceId === undefined ? [] : [this.#s.arn('network-interface', input.networkInterfaceId)]),
      ...[...new Set([input.instanceId, eniInstance])].flatMap((id) => (id === undefined ? [] : [this.#s.arn('instance', id)])),
    ]);
    this.#s.ctx.scheduler.runDue();
    const rec = this.#s.addresses.get(input.allocationId);
    if (rec === undefined) throw notFound('InvalidAllocationID.NotFound', 'allocation', [input.allocationId]);
    let eniId = input.networkInterfaceId;
    if (eniId === undefined) {
      if (input.instanceId === undefined) {
        throw ec2Error(
          'MissingParameter',
          'Either an instance ID or a network interface ID must be specified.',
        );
      }
      const inst = this.#s.requireInstances([input.instanceId])[0] as InstanceRecord;
      if (inst.eniIds.length > 1) {
        throw ec2Error(
          'InvalidInstanceID',
          `There are multiple interfaces attached to instance '${inst.instanceId}'. Please specify an interface ID for the operation instead.`,
        );
      }
      eniId = inst.eniIds[0];
    }
    const eni = this.#s.enis.get(eniId ?? '');
    if (eni === undefined || eniId === undefined) {
      throw notFound('InvalidNetworkInterfaceID.NotFound', 'networkInterface', [eniId ?? '']);
    }
    const privateIp = input.privateIp ?? eni.privateIps[0];
    if (privateIp === undefined || !eni.privateIps.includes(privateIp)) {
      throw ec2Error(
        'InvalidParameterValue',
        `The specified private IP address ${input.privateIp ?? ''} is not assigned to network interface ${eniId}`,
      );
    }
    const current = rec.timeline.current;
    if (
      current.networkInterfaceId === eniId &&
      current.privateIp === privateIp &&
      current.associationId !== undefined
    ) {
      if (input.dryRun === true) throw dryRunSucceeded();
      return current.associationId;
    }
    const allow = input.allowReassociation === true;
    if (current.associationId !== undefined && !allow) {
      throw ec2Error(
        'Resource.AlreadyAssociated',
        `resource ${input.allocationId} is already associated with associate-id ${current.associationId}`,
      );
    }
    const occupant = [...this.#s.addresses.values()].find(
      (a) =>
        a !== rec &&
        a.timeline.current.networkInterfaceId === eniId &&
        a.timeline.current.privateIp === privateIp,
    );
    if (occupant !== undefined && !allow) {
      throw ec2Error(
        'Resource.AlreadyAssociated',
        `resource ${eniId} private IP ${privateIp} is already associated with ${occupant.allocationId}`,
      );
    }
    if (input.dryRun === true) throw dryRunSucceeded();
    const at = this.#s.ctx.now();
    if (occupant !== undefined) this.#disassociate(occupant, at, `displaced by ${input.allocationId}`);
    const previousInstance =
      current.networkInterfaceId === undefined
        ? undefined
        : this.#s.enis.get(current.networkInterfaceId)?.instanceId;
    const associationId = `eipassoc-${this.#s.ctx.ids.hex(17)}`;
    const since = previousInstance !== undefined && previousInstance === eni.instanceId ? current.since : at;
    rec.timeline.set(at, { associationId, networkInterfaceId: eniId, privateIp, since });
    const from =
      current.networkInterfaceId === undefined
        ? 'unassociated'
        : `${current.networkInterfaceId}/${current.privateIp ?? ''}`;
    this.#s.ctx.events.record(
      at,
      'ec2.eip.associated',
      input.allocationId,
      `${rec.publicIp} (${input.allocationId}): ${from} -> ${eniId}/${privateIp}`,
      {
        allocationId: input.allocationId,
        publicIp: rec.publicIp,
        associationId,
        networkInterfaceId: eniId,
        privateIp,
        instanceId: eni.instanceId,
        previousNetworkInterfaceId: current.networkInterfaceId,
        previousInstanceId: previousInstance,
      },
    );
    return associationId;
  }

  disassociateAddress(associationId: string, dryRun = false): void {
    this.#s.ctx.scheduler.runDue();
    const rec = [...this.#s.addresses.values()].find((a) => a.timeline.current.associationId === associationId);
    this.#s.authorize('DisassociateAddress', rec === undefined ? [] : [this.#s.arn('elastic-ip', rec.allocationId)]);
    if (rec === undefined) {
      throw ec2Error('InvalidAssociationID.NotFound', `The association ID '${associationId}' does not exist`);
    }
    if (dryRun) throw dryRunSucceeded();
    this.#disassociate(rec, this.#s.ctx.now(), 'DisassociateAddress');
  }

  #disassociate(rec: AddressRecord, at: number, reason: string): void {
    const current = rec.timeline.current;
    if (current.associationId === undefined) return;
    rec.timeline.set(at, {
      associationId: undefined,
      networkInterfaceId: undefined,
      privateIp: undefined,
      since: undefined,
    });
    this.#s.ctx.events.record(
      at,
      'ec2.eip.disassociated',
      rec.allocationId,
      `${rec.publicIp} (${rec.allocationId}) released from ${current.networkInterfaceId ?? ''} (${reason})`,
      {
        allocationId: rec.allocationId,
        publicIp: rec.publicIp,
        networkInterfaceId: current.networkInterfaceId,
        reason,
      },
    );
  }
}
