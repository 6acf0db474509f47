/**
 * EC2's ec2Query protocol: form-encoded `Action=...&Version=2016-11-15` requests, XML answers
 * whose lists are `<xxxSet><item>`, errors as `<Response><Errors><Error>` (HTTP 400, 503 for
 * throttling, 500 for capacity), which the SDK turns into `error.name` = the code.
 */
import { SimAwsError } from '#sim/world/aws-error.js';
import type { AddressView, InstanceView, NetworkInterfaceView, RouteTableView } from '#sim/world/ec2.js';
import type { InstanceTypeSpec } from '#sim/world/instance-types.js';
import type { World } from '#sim/world/world.js';
import { boolParam, filterParams, listParam, type HandlerContext, type WireResponse } from './protocol.js';
import { XML_DECLARATION, el, escapeXml, isoTime, node, set } from './xml.js';

const NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/';

type Params = ReadonlyMap<string, string>;
type Action = (p: Params, world: World) => { run: () => string; bucket?: string };

function required(p: Params, key: string): string {
  const v = p.get(key);
  if (v === undefined || v === '')
    throw new SimAwsError('ec2', 'MissingParameter', `The request must contain the parameter ${key}`);
  return v;
}

function tags(t: Readonly<Record<string, string>>): string {
  return set(
    'tagSet',
    Object.entries(t).map(([k, v]) => el('key', k) + el('value', v)),
  );
}

function state(name: string, code: number): string {
  return el('code', code) + el('name', name);
}

function eniXml(e: NetworkInterfaceView, forInstance: boolean, world: World): string {
  const primary = e.privateIps.find((p) => p.primary);
  const association = (a: NonNullable<NetworkInterfaceView['privateIps'][number]['association']>) =>
    node(
      'association',
      el('publicIp', a.publicIp) +
        el('publicDnsName', `ec2-${a.publicIp.replace(/\./g, '-')}.compute-1.amazonaws.com`) +
        el('ipOwnerId', 'amazon') +
        (forInstance ? '' : el('allocationId', a.allocationId) + el('associationId', a.associationId)),
    );
  const attachment =
    e.attachment === undefined
      ? ''
      : node(
          'attachment',
          el('attachmentId', e.attachment.attachmentId) +
            (forInstance
              ? ''
              : el('instanceId', e.attachment.instanceId) + el('instanceOwnerId', world.accountId)) +
            el('deviceIndex', e.attachment.deviceIndex) +
            el('status', 'attached') +
            el('attachTime', isoTime(e.attachment.attachTime)) +
            el('deleteOnTermination', e.attachment.deviceIndex === 0) +
            el('networkCardIndex', 0),
        );
  return (
    el('networkInterfaceId', e.networkInterfaceId) +
    el('subnetId', e.subnetId) +
    el('vpcId', e.vpcId) +
    (forInstance ? '' : el('availabilityZone', e.availabilityZone)) +
    el('description', e.description) +
    el('ownerId', world.accountId) +
    (forInstance ? '' : el('requesterManaged', false)) +
    el('status', e.status) +
    el('macAddress', e.macAddress) +
    el('privateIpAddress', primary?.address) +
    el('sourceDestCheck', e.sourceDestCheck) +
    el('interfaceType', 'interface') +
    set('groupSet', []) +
    attachment +
    (primary?.association === undefined ? '' : association(primary.association)) +
    (forInstance ? '' : tags(e.tags)) +
    set(
      'privateIpAddressesSet',
      e.privateIps.map(
        (ip) =>
          el('privateIpAddress', ip.address) +
          el('primary', ip.primary) +
          (ip.association === undefined ? '' : association(ip.association)),
      ),
    )
  );
}

function instanceXml(i: InstanceView, world: World): string {
  return (
    el('instanceId', i.instanceId) +
    el('imageId', i.imageId) +
    node('instanceState', state(i.state, i.stateCode)) +
    el(
      'privateDnsName',
      i.privateIp === undefined ? '' : `ip-${i.privateIp.replace(/\./g, '-')}.ec2.internal`,
    ) +
    el('reason', i.stateTransitionReason) +
    el('amiLaunchIndex', 0) +
    el('instanceType', i.instanceType) +
    el('launchTime', i.launchTime === undefined ? undefined : isoTime(i.launchTime)) +
    node('placement', el('availabilityZone', i.availabilityZone) + el('tenancy', 'default')) +
    node('monitoring', el('state', 'disabled')) +
    el('subnetId', i.subnetId) +
    el('vpcId', i.vpcId) +
    el('privateIpAddress', i.privateIp) +
    el('sourceDestCheck', i.sourceDestCheck) +
    set('groupSet', []) +
    (i.stateReason === undefined
      ? ''
      : node('stateReason', el('code', i.stateReason.code) + el('message', i.stateReason.message))) +
    el('architecture', 'x86_64') +
    el('rootDeviceType', 'ebs') +
    el('rootDeviceName', '/dev/xvda') +
    el('virtualizationType', 'hvm') +
    tags(i.tags) +
    set(
      'networkInterfaceSet',
      i.networkInterfaces.map((e) => eniXml(e, true, world)),
    )
  );
}

function statusXml(i: InstanceView): string {
  const check = (status: string) => {
    const detail =
      status === 'ok'
        ? 'passed'
        : status === 'impaired'
          ? 'failed'
          : status === 'initializing'
            ? 'initializing'
            : 'insufficient-data';
    return (
      el('status', status) +
      set('details', status === 'not-applicable' ? [] : [el('name', 'reachability') + el('status', detail)])
    );
  };
  return (
    el('instanceId', i.instanceId) +
    el('availabilityZone', i.availabilityZone) +
    set(
      'eventsSet',
      i.scheduledEvents.map(
        (e) => el('code', e.code) + el('description', e.description) + el('notBefore', isoTime(e.notBefore)) + (e.notAfter === undefined ? '' : el('notAfter', isoTime(e.notAfter))),
      ),
    ) +
    node('instanceState', state(i.state, i.stateCode)) +
    node('systemStatus', check(i.systemStatus)) +
    node('instanceStatus', check(i.instanceStatus))
  );
}

function routeTableXml(t: RouteTableView, world: World): string {
  return (
    el('routeTableId', t.routeTableId) +
    el('vpcId', t.vpcId) +
    el('ownerId', world.accountId) +
    set(
      'routeSet',
      t.routes.map(
        (r) =>
          el('destinationCidrBlock', r.destination) +
          el('gatewayId', r.gatewayId) +
          el('instanceId', r.instanceId) +
          el('instanceOwnerId', r.instanceId === undefined ? undefined : world.accountId) +
          el('networkInterfaceId', r.networkInterfaceId) +
          el('state', r.state) +
          el('origin', r.origin),
      ),
    ) +
    set(
      'associationSet',
      t.associations.map(
        (a) =>
          el('routeTableAssociationId', a.routeTableAssociationId) +
          el('routeTableId', t.routeTableId) +
          el('subnetId', a.subnetId) +
          el('main', a.main) +
          node('associationState', el('state', 'associated')),
      ),
    ) +
    set('propagatingVgwSet', []) +
    tags(t.tags)
  );
}

function addressXml(a: AddressView, world: World): string {
  return (
    el('publicIp', a.publicIp) +
    el('allocationId', a.allocationId) +
    el('domain', 'vpc') +
    el('instanceId', a.instanceId) +
    el('associationId', a.associationId) +
    el('networkInterfaceId', a.networkInterfaceId) +
    el('networkInterfaceOwnerId', a.networkInterfaceId === undefined ? undefined : world.accountId) +
    el('privateIpAddress', a.privateIp) +
    el('publicIpv4Pool', 'amazon') +
    el('networkBorderGroup', world.region) +
    tags(a.tags)
  );
}

function instanceTypeXml(t: InstanceTypeSpec): string {
  return (
    el('instanceType', t.instanceType) +
    el('currentGeneration', true) +
    node('vCpuInfo', el('defaultVCpus', t.vcpus)) +
    node('memoryInfo', el('sizeInMiB', t.memoryMiB)) +
    node(
      'networkInfo',
      el('networkPerformance', t.networkPerformance) +
        el('maximumNetworkInterfaces', t.maxNetworkInterfaces) +
        el('maximumNetworkCards', 1) +
        el('defaultNetworkCardIndex', 0) +
        el('ipv4AddressesPerInterface', t.ipv4AddressesPerInterface) +
        el('ipv6AddressesPerInterface', t.ipv4AddressesPerInterface) +
        el('ipv6Supported', true) +
        el('enaSupport', 'required'),
    )
  );
}

/** Calls with neither filter nor pagination nor ids draw from EC2's separate, smaller bucket. */
function unfilteredBucket(op: string, p: Params, idKey: string): string | undefined {
  const filtered =
    filterParams(p).length > 0 || p.has('MaxResults') || p.has('NextToken') || listParam(p, idKey).length > 0;
  return filtered ? undefined : `${op}#unfiltered`;
}

const dryRun = (p: Params) => boolParam(p, 'DryRun') === true;

const ACTIONS: Readonly<Record<string, Action>> = {
  DescribeInstances: (p, w) => ({
    bucket: unfilteredBucket('ec2:DescribeInstances', p, 'InstanceId'),
    run: () => {
      const views = w.ec2.describeInstances({ ids: listParam(p, 'InstanceId'), filters: filterParams(p) });
      return set(
        'reservationSet',
        views.map(
          (v) =>
            el('reservationId', `r-${v.instanceId.slice(2)}`) +
            el('ownerId', w.accountId) +
            set('groupSet', []) +
            set('instancesSet', [instanceXml(v, w)]),
        ),
      );
    },
  }),
  DescribeInstanceStatus: (p, w) => ({
    bucket: unfilteredBucket('ec2:DescribeInstanceStatus', p, 'InstanceId'),
    run: () =>
      set(
        'instanceStatusSet',
        w.ec2
          .describeInstanceStatus({
            ids: listParam(p, 'InstanceId'),
            filters: filterParams(p),
            includeAll: boolParam(p, 'IncludeAllInstances') === true,
          })
          .map(statusXml),
      ),
  }),
  StartInstances: (p, w) => ({
    run: () =>
      set(
        'instancesSet',
        w.ec2
          .startInstances(listParam(p, 'InstanceId'), dryRun(p))
          .map(
            (c) =>
              el('instanceId', c.instanceId) +
              node('currentState', state(c.currentState, codeOf(c.currentState))) +
              node('previousState', state(c.previousState, codeOf(c.previousState))),
          ),
      ),
  }),
  StopInstances: (p, w) => ({
    run: () =>
      set(
        'instancesSet',
        w.ec2
          .stopInstances(listParam(p, 'InstanceId'), dryRun(p))
          .map(
            (c) =>
              el('instanceId', c.instanceId) +
              node('currentState', state(c.currentState, codeOf(c.currentState))) +
              node('previousState', state(c.previousState, codeOf(c.previousState))),
          ),
      ),
  }),
  ModifyInstanceAttribute: (p, w) => ({
    run: () => {
      const instanceId = required(p, 'InstanceId');
      const attribute = p.get('Attribute');
      const type = p.get('InstanceType.Value') ?? (attribute === 'instanceType' ? p.get('Value') : undefined);
      const sdc =
        p.get('SourceDestCheck.Value') ?? (attribute === 'sourceDestCheck' ? p.get('Value') : undefined);
      if (type !== undefined) w.ec2.modifyInstanceType(instanceId, type, dryRun(p));
      else if (sdc !== undefined)
        w.ec2.modifySourceDestCheck(instanceId, sdc.toLowerCase() === 'true', dryRun(p));
      else {
        throw new SimAwsError(
          'ec2',
          'InvalidParameterCombination',
          'The simulator supports ModifyInstanceAttribute for InstanceType and SourceDestCheck only',
        );
      }
      return el('return', true);
    },
  }),
  DescribeRouteTables: (p, w) => ({
    run: () =>
      set(
        'routeTableSet',
        w.ec2
          .describeRouteTables({ ids: listParam(p, 'RouteTableId'), filters: filterParams(p) })
          .map((t) => routeTableXml(t, w)),
      ),
  }),
  ReplaceRoute: (p, w) => ({
    run: () => {
      w.ec2.replaceRoute(required(p, 'RouteTableId'), destination(p), target(p), dryRun(p));
      return el('return', true);
    },
  }),
  CreateRoute: (p, w) => ({
    run: () => {
      w.ec2.createRoute(required(p, 'RouteTableId'), destination(p), target(p), dryRun(p));
      return el('return', true);
    },
  }),
  DescribeAddresses: (p, w) => ({
    run: () =>
      set(
        'addressesSet',
        w.ec2
          .describeAddresses({
            ids: listParam(p, 'AllocationId'),
            publicIps: listParam(p, 'PublicIp'),
            filters: filterParams(p),
          })
          .map((a) => addressXml(a, w)),
      ),
  }),
  AssociateAddress: (p, w) => ({
    run: () => {
      const associationId = w.ec2.associateAddress({
        allocationId: required(p, 'AllocationId'),
        networkInterfaceId: p.get('NetworkInterfaceId'),
        instanceId: p.get('InstanceId'),
        privateIp: p.get('PrivateIpAddress'),
        allowReassociation: boolParam(p, 'AllowReassociation'),
        dryRun: dryRun(p),
      });
      return el('return', true) + el('associationId', associationId);
    },
  }),
  DisassociateAddress: (p, w) => ({
    run: () => {
      w.ec2.disassociateAddress(required(p, 'AssociationId'), dryRun(p));
      return el('return', true);
    },
  }),
  DescribeNetworkInterfaces: (p, w) => ({
    bucket: unfilteredBucket('ec2:DescribeNetworkInterfaces', p, 'NetworkInterfaceId'),
    run: () =>
      set(
        'networkInterfaceSet',
        w.ec2
          .describeNetworkInterfaces({ ids: listParam(p, 'NetworkInterfaceId'), filters: filterParams(p) })
          .map((e) => eniXml(e, false, w)),
      ),
  }),
  DescribeInstanceTypes: (p, w) => ({
    run: () => {
      const filters = filterParams(p);
      let types = w.ec2.describeInstanceTypes(listParam(p, 'InstanceType'));
      for (const f of filters) {
        if (f.name !== 'instance-type') {
          throw new SimAwsError('ec2', 'InvalidParameterValue', `The filter '${f.name}' is invalid`);
        }
        types = types.filter((t) => f.values.includes(t.instanceType));
      }
      return set('instanceTypeSet', types.map(instanceTypeXml));
    },
  }),
  DescribeSubnets: (p, w) => ({
    run: () =>
      set(
        'subnetSet',
        w.ec2
          .describeSubnets({ ids: listParam(p, 'SubnetId'), filters: filterParams(p) })
          .map(
            (s) =>
              el('subnetId', s.subnetId) +
              el('subnetArn', `arn:aws:ec2:${w.region}:${w.accountId}:subnet/${s.subnetId}`) +
              el('state', 'available') +
              el('ownerId', w.accountId) +
              el('vpcId', s.vpcId) +
              el('cidrBlock', s.cidr) +
              el('availableIpAddressCount', s.availableIpAddressCount) +
              el('availabilityZone', s.availabilityZone) +
              el('defaultForAz', false) +
              el('mapPublicIpOnLaunch', false) +
              tags(s.tags),
          ),
      ),
  }),
};

function codeOf(stateName: InstanceView['state']): number {
  return { pending: 0, running: 16, 'shutting-down': 32, terminated: 48, stopping: 64, stopped: 80 }[
    stateName
  ];
}

function destination(p: Params): string {
  const d = p.get('DestinationCidrBlock');
  if (d === undefined) {
    throw new SimAwsError(
      'ec2',
      'MissingParameter',
      'The request must contain the parameter destinationCidrBlock',
    );
  }
  return d;
}

function target(p: Params): { networkInterfaceId?: string; gatewayId?: string } {
  const eni = p.get('NetworkInterfaceId');
  const gateway = p.get('GatewayId');
  const others = [
    'InstanceId',
    'NatGatewayId',
    'TransitGatewayId',
    'VpcPeeringConnectionId',
    'EgressOnlyInternetGatewayId',
  ].filter((k) => p.has(k));
  if (others.length > 0) {
    throw new SimAwsError(
      'ec2',
      'InvalidParameterCombination',
      `The simulator routes to ENIs and gateways only, not ${others.join(', ')}`,
    );
  }
  return {
    ...(eni === undefined ? {} : { networkInterfaceId: eni }),
    ...(gateway === undefined ? {} : { gatewayId: gateway }),
  };
}

export function ec2ErrorResponse(e: SimAwsError, requestId: string): WireResponse {
  return {
    status: e.httpStatus,
    headers: { 'content-type': 'text/xml;charset=UTF-8' },
    body: `${XML_DECLARATION}<Response><Errors><Error><Code>${escapeXml(e.code)}</Code><Message>${escapeXml(e.message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
  };
}

export async function handleEc2(params: Params, ctx: HandlerContext): Promise<WireResponse> {
  const actionName = params.get('Action') ?? '';
  ctx.count(`ec2:${actionName}`);
  const action = ACTIONS[actionName];
  try {
    if (action === undefined) {
      throw new SimAwsError(
        'ec2',
        'InvalidAction',
        `The action ${actionName} is not valid for this web service.`,
      );
    }
    const { run, bucket } = action(params, ctx.world);
    const body = await ctx.world.call(`ec2:${actionName}`, run, bucket === undefined ? {} : { bucket });
    return {
      status: 200,
      headers: { 'content-type': 'text/xml;charset=UTF-8' },
      body: `${XML_DECLARATION}<${actionName}Response xmlns="${NAMESPACE}">${el('requestId', ctx.requestId)}${body}</${actionName}Response>`,
    };
  } catch (e) {
    if (e instanceof SimAwsError) return ec2ErrorResponse(e, ctx.requestId);
    throw e;
  }
}
