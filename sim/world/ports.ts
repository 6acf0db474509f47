/**
 * The project's ports implemented directly on the world, without HTTP: the fast fakes for unit
 * tests and benchmarks. They go through the same faults as the wire server (`world.call`) and
 * fail with the same typed errors as the SDK adapters in `shared/adapters/aws/`, because the
 * world's AWS errors are classified by the adapters' own `translateAwsError`. Their behaviour
 * (call order, idempotency rules, item layout) mirrors the adapters'; the contract tests run
 * both against the simulator.
 */
import type { ChangeStatus, DnsPort, DnsRecordValue } from '#shared/ports/dns.js';
import type {
  AddressInfo,
  Ec2Port,
  InstanceInfo,
  InstanceState,
  InstanceTypeInfo,
  NetworkInterfaceInfo,
  RouteTableInfo,
} from '#shared/ports/ec2.js';
import type {
  ExecutionStatus,
  FlowStarter,
  Notification,
  Notifier,
  SecretReader,
  StartResult,
} from '#shared/ports/messaging.js';
import type { DrillStore, LockStore, OwnerStore, PauseStore, ProbeStateStore } from '#shared/ports/store.js';
import { ManagedResourceNotFoundError, SecretUnavailableError, InputInvalidError } from '#shared/errors.js';
import { malformedResponse, translateAwsError, type AwsCallContext } from '#shared/adapters/aws/errors.js';
import { DeleteItemCommand, GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoStateStore } from '#shared/adapters/aws/dynamodb-store.js';
import { sanitiseSubject } from '#shared/adapters/aws/sns.js';
import { snsMessage, type RenderOptions } from '#shared/notify/render.js';
import { bareChangeId, bareHostedZoneId, normaliseDnsName } from '#shared/adapters/aws/route53.js';
import { parameterKey } from '#shared/adapters/aws/secrets.js';
import { SimAwsError, SimNoAnswer } from './aws-error.js';
import type { AddressView, InstanceView, RouteTableView } from './ec2.js';
import type { World } from './world.js';
import type { IamPrincipal } from './iam.js';

/** An SDK-shaped error (name = AWS code, `$metadata.httpStatusCode`) so the adapters' classifier applies unchanged. */
function sdkShaped(e: SimAwsError): Error {
  const error = new Error(e.message, { cause: e });
  error.name = e.code;
  // `extra` carries what the service returns with the error (a refused write's old item).
  return Object.assign(error, e.extra, {
    $metadata: { httpStatusCode: e.httpStatus },
    $fault: e.httpStatus >= 500 ? 'server' : 'client',
  });
}

/** Runs a world operation; an AWS error leaves as the typed error the SDK adapter would throw. */
async function viaWorld<T>(
  world: World,
  op: string,
  context: AwsCallContext,
  fn: () => T,
  options: { bucket?: string } = {},
): Promise<T> {
  try {
    return await world.call(op, fn, options);
  } catch (e) {
    if (e instanceof SimAwsError) throw translateAwsError(sdkShaped(e), context);
    if (e instanceof SimNoAnswer) throw translateAwsError(resetSocket(), context);
    throw e;
  }
}

/** What the SDK throws when the connection drops without an answer. */
function resetSocket(): Error {
  return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
}

/** The raw AWS code of a world failure, for ports that branch on one code (as the adapters do). */
async function attempt<T>(
  world: World,
  op: string,
  fn: () => T,
): Promise<{ ok: true; value: T } | { ok: false; error: SimAwsError }> {
  try {
    return { ok: true, value: await world.call(op, fn) };
  } catch (e) {
    if (e instanceof SimAwsError) return { ok: false, error: e };
    if (e instanceof SimNoAnswer) throw translateAwsError(resetSocket(), { operation: op });
    throw e;
  }
}

const unique = (ids: readonly string[]) => [...new Set(ids)];

function notReturned(
  operation: string,
  kind: string,
  missing: readonly string[],
): ManagedResourceNotFoundError {
  const resource = `${kind} ${missing.join(', ')}`;
  return new ManagedResourceNotFoundError(operation, `${resource} not returned by EC2`, undefined, {
    details: { resource },
  });
}

function inRequestOrder<T>(
  operation: string,
  kind: string,
  ids: readonly string[],
  found: ReadonlyMap<string, T>,
): T[] {
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length > 0) throw notReturned(operation, kind, missing);
  return ids.map((id) => found.get(id) as T);
}

// ---------------------------------------------------------------------------------------------
// EC2

function toInstanceInfo(instance: InstanceView, status: InstanceView | undefined): InstanceInfo {
  return {
    instanceId: instance.instanceId,
    state: instance.state,
    instanceType: instance.instanceType,
    availabilityZone: instance.availabilityZone,
    launchTime: instance.launchTime,
    systemStatus: status?.systemStatus,
    instanceStatus: status?.instanceStatus,
    networkInterfaces: instance.networkInterfaces
      .map((eni) => ({
        networkInterfaceId: eni.networkInterfaceId,
        deviceIndex: eni.attachment?.deviceIndex ?? 0,
        subnetId: eni.subnetId,
        privateIps: eni.privateIps.map((p) => p.address),
        sourceDestCheck: eni.sourceDestCheck,
      }))
      .sort((a, b) => a.deviceIndex - b.deviceIndex),
    scheduledEvents: (status?.scheduledEvents ?? []).map((e) => ({ code: e.code, description: e.description, notBefore: e.notBefore, notAfter: e.notAfter })),
  };
}

/** A world route table as the EC2 port returns it. */
export function routeTableInfo(t: RouteTableView): RouteTableInfo {
  return {
    routeTableId: t.routeTableId,
    vpcId: t.vpcId,
    routes: t.routes.map((r) => ({ destination: r.destination, networkInterfaceId: r.networkInterfaceId, instanceId: r.instanceId, gatewayId: r.gatewayId, state: r.state })),
  };
}

/** A world Elastic IP as the EC2 port returns it. */
export function addressInfo(a: AddressView): AddressInfo {
  return {
    allocationId: a.allocationId,
    publicIp: a.publicIp,
    associationId: a.associationId,
    networkInterfaceId: a.networkInterfaceId,
    privateIp: a.privateIp,
    instanceId: a.instanceId,
  };
}

export class WorldEc2Port implements Ec2Port {
  readonly #world: World;

  constructor(world: World) {
    this.#world = world;
  }

  async describeInstances(instanceIds: readonly string[]): Promise<InstanceInfo[]> {
    const ids = unique(instanceIds);
    if (ids.length === 0) return [];
    const resource = `instances ${ids.join(', ')}`;
    const w = this.#world;
    const [instances, statuses] = await Promise.all([
      viaWorld(w, 'ec2:DescribeInstances', { operation: 'ec2:DescribeInstances', resource }, () =>
        w.ec2.describeInstances({ ids }),
      ),
      viaWorld(w, 'ec2:DescribeInstanceStatus', { operation: 'ec2:DescribeInstanceStatus', resource }, () =>
        w.ec2.describeInstanceStatus({ ids, includeAll: true }),
      ),
    ]);
    const byId = new Map(statuses.map((s) => [s.instanceId, s]));
    const found = new Map(instances.map((i) => [i.instanceId, toInstanceInfo(i, byId.get(i.instanceId))]));
    return inRequestOrder('ec2:DescribeInstances', 'instances', ids, found);
  }

  async startInstance(instanceId: string): Promise<InstanceState> {
    const operation = 'ec2:StartInstances';
    const w = this.#world;
    const changes = await viaWorld(w, operation, { operation, resource: `instance ${instanceId}` }, () =>
      w.ec2.startInstances([instanceId]),
    );
    return currentState(operation, changes, instanceId);
  }

  async stopInstance(instanceId: string): Promise<InstanceState> {
    const operation = 'ec2:StopInstances';
    const w = this.#world;
    const changes = await viaWorld(w, operation, { operation, resource: `instance ${instanceId}` }, () =>
      w.ec2.stopInstances([instanceId]),
    );
    return currentState(operation, changes, instanceId);
  }

  async setInstanceType(instanceId: string, instanceType: string): Promise<void> {
    const operation = 'ec2:ModifyInstanceAttribute';
    const w = this.#world;
    await viaWorld(w, operation, { operation, resource: `instance ${instanceId}` }, () =>
      w.ec2.modifyInstanceType(instanceId, instanceType),
    );
  }

  async describeRouteTables(routeTableIds: readonly string[]): Promise<RouteTableInfo[]> {
    const operation = 'ec2:DescribeRouteTables';
    const ids = unique(routeTableIds);
    if (ids.length === 0) return [];
    const w = this.#world;
    const tables = await viaWorld(
      w,
      operation,
      { operation, resource: `route tables ${ids.join(', ')}` },
      () => w.ec2.describeRouteTables({ ids }),
    );
    const found = new Map<string, RouteTableInfo>(tables.map((t) => [t.routeTableId, routeTableInfo(t)]));
    return inRequestOrder(operation, 'route tables', ids, found);
  }

  async describeSubnetRouteTables(subnetIds: readonly string[]): Promise<{ table: RouteTableInfo; subnetIds: string[] }[]> {
    const operation = 'ec2:DescribeRouteTables';
    const ids = unique(subnetIds);
    if (ids.length === 0) return [];
    const w = this.#world;
    const tables = await viaWorld(w, operation, { operation, resource: `route tables of subnets ${ids.join(', ')}` }, () =>
      w.ec2.describeRouteTables({ filters: [{ name: 'association.subnet-id', values: ids }] }),
    );
    return tables.map((t) => ({
      table: routeTableInfo(t),
      subnetIds: t.associations.map((a) => a.subnetId).filter((s): s is string => s !== undefined && ids.includes(s)),
    }));
  }

  async replaceRoute(routeTableId: string, destination: string, networkInterfaceId: string): Promise<void> {
    const operation = 'ec2:ReplaceRoute';
    const w = this.#world;
    await viaWorld(w, operation, routeContext(operation, routeTableId, destination, networkInterfaceId), () =>
      w.ec2.replaceRoute(routeTableId, destination, { networkInterfaceId }),
    );
  }

  async createRoute(routeTableId: string, destination: string, networkInterfaceId: string): Promise<void> {
    const operation = 'ec2:CreateRoute';
    const w = this.#world;
    await viaWorld(w, operation, routeContext(operation, routeTableId, destination, networkInterfaceId), () =>
      w.ec2.createRoute(routeTableId, destination, { networkInterfaceId }),
    );
  }

  async describeAddresses(allocationIds: readonly string[]): Promise<AddressInfo[]> {
    const operation = 'ec2:DescribeAddresses';
    const ids = unique(allocationIds);
    if (ids.length === 0) return [];
    const w = this.#world;
    const addresses = await viaWorld(
      w,
      operation,
      { operation, resource: `Elastic IPs ${ids.join(', ')}` },
      () => w.ec2.describeAddresses({ ids }),
    );
    const found = new Map<string, AddressInfo>(addresses.map((a) => [a.allocationId, addressInfo(a)]));
    return inRequestOrder(operation, 'Elastic IPs', ids, found);
  }

  async associateAddress(
    allocationId: string,
    networkInterfaceId: string,
    privateIp: string,
  ): Promise<string> {
    const operation = 'ec2:AssociateAddress';
    const w = this.#world;
    return viaWorld(
      w,
      operation,
      { operation, resource: `Elastic IP ${allocationId} -> ${networkInterfaceId} (${privateIp})` },
      () => w.ec2.associateAddress({ allocationId, networkInterfaceId, privateIp, allowReassociation: true }),
    );
  }

  async describeNetworkInterfaces(networkInterfaceIds: readonly string[]): Promise<NetworkInterfaceInfo[]> {
    const operation = 'ec2:DescribeNetworkInterfaces';
    const ids = unique(networkInterfaceIds);
    if (ids.length === 0) return [];
    const w = this.#world;
    const enis = await viaWorld(
      w,
      operation,
      { operation, resource: `network interfaces ${ids.join(', ')}` },
      () => w.ec2.describeNetworkInterfaces({ ids }),
    );
    const found = new Map<string, NetworkInterfaceInfo>(
      enis.map((e) => [
        e.networkInterfaceId,
        {
          networkInterfaceId: e.networkInterfaceId,
          subnetId: e.subnetId,
          availabilityZone: e.availabilityZone,
          vpcId: e.vpcId,
          attachedInstanceId: e.attachment?.instanceId,
          deviceIndex: e.attachment?.deviceIndex,
          sourceDestCheck: e.sourceDestCheck,
          privateIps: e.privateIps.map((p) => ({
            address: p.address,
            primary: p.primary,
            associatedPublicIp: p.association?.publicIp,
          })),
        },
      ]),
    );
    return inRequestOrder(operation, 'network interfaces', ids, found);
  }

  async describeInstanceTypes(instanceTypes: readonly string[]): Promise<InstanceTypeInfo[]> {
    const operation = 'ec2:DescribeInstanceTypes';
    const types = unique(instanceTypes);
    if (types.length === 0) return [];
    const w = this.#world;
    const specs = await viaWorld(w, operation, { operation }, () => w.ec2.describeInstanceTypes(types));
    return specs.map((s) => ({
      instanceType: s.instanceType,
      maxNetworkInterfaces: s.maxNetworkInterfaces,
      ipv4AddressesPerInterface: s.ipv4AddressesPerInterface,
    }));
  }
}

function routeContext(
  operation: string,
  routeTableId: string,
  destination: string,
  eni: string,
): AwsCallContext {
  return { operation, resource: `route ${destination} in ${routeTableId} (target ${eni})` };
}

function currentState(
  operation: string,
  changes: readonly { instanceId: string; currentState: InstanceState }[],
  instanceId: string,
): InstanceState {
  const change = changes.find((c) => c.instanceId === instanceId);
  if (change === undefined) throw malformedResponse(operation, `missing a known state for ${instanceId}`);
  return change.currentState;
}

// ---------------------------------------------------------------------------------------------
// Route 53

const MAX_COMMENT = 256;

export class WorldDnsPort implements DnsPort {
  readonly #world: World;

  constructor(world: World) {
    this.#world = world;
  }

  async getRecord(
    hostedZoneId: string,
    name: string,
    type: 'A' | 'CNAME',
  ): Promise<DnsRecordValue | undefined> {
    const zone = bareHostedZoneId(hostedZoneId);
    const operation = 'route53:ListResourceRecordSets';
    const w = this.#world;
    const out = await viaWorld(w, operation, { operation, resource: `hosted zone ${zone}` }, () =>
      w.route53.listRecords(zone, { startName: name, startType: type, maxItems: 1 }),
    );
    const set = out.records[0];
    if (set === undefined || set.type !== type || normaliseDnsName(set.name) !== normaliseDnsName(name))
      return undefined;
    return { name, type, ttl: set.ttl, values: [...set.values] };
  }

  async upsertRecord(
    hostedZoneId: string,
    record: DnsRecordValue,
    comment: string,
  ): Promise<{ changeId: string; status: ChangeStatus }> {
    const zone = bareHostedZoneId(hostedZoneId);
    const operation = 'route53:ChangeResourceRecordSets';
    const w = this.#world;
    const info = await viaWorld(w, operation, { operation, resource: `hosted zone ${zone}` }, () =>
      w.route53.changeRecords(zone, [{ action: 'UPSERT', record }], comment.slice(0, MAX_COMMENT)),
    );
    return { changeId: info.id, status: info.status };
  }

  async getChangeStatus(changeId: string): Promise<ChangeStatus> {
    const id = bareChangeId(changeId);
    const operation = 'route53:GetChange';
    const w = this.#world;
    const info = await viaWorld(w, operation, { operation, resource: `change ${id}` }, () =>
      w.route53.getChange(id),
    );
    return info.status;
  }
}

// ---------------------------------------------------------------------------------------------
// DynamoDB state store: the real adapter (`DynamoStateStore`) over a client that hands its
// commands to the world instead of HTTP. Same items, same conditions, same error translation.

/**
 * Each command class the adapter sends, with the world's method and the IAM action. By class,
 * not by `constructor.name`: the prebuilt CLI is minified, and its class names are not these.
 */
const DYNAMODB_OPERATIONS: readonly (readonly [new (...args: never[]) => unknown, 'getItem' | 'putItem' | 'deleteItem', string])[] = [
  [GetItemCommand, 'getItem', 'dynamodb:GetItem'],
  [PutItemCommand, 'putItem', 'dynamodb:PutItem'],
  [DeleteItemCommand, 'deleteItem', 'dynamodb:DeleteItem'],
];

/** The part of `DynamoDBClient` the adapter uses, answered by the world (faults included). */
export function worldDynamoDbClient(world: World): DynamoDBClient {
  const send = async (command: { input: unknown }): Promise<unknown> => {
    const known = DYNAMODB_OPERATIONS.find(([type]) => command instanceof type);
    if (known === undefined) throw new Error(`the world's DynamoDB client does not know ${String((command as object).constructor.name)}`);
    const [, method, op] = known;
    try {
      return await world.call(op, () => (world.dynamodb[method] as (input: unknown) => unknown)(command.input));
    } catch (e) {
      // Shaped like the SDK's service exceptions, so the adapter's own translation applies.
      if (e instanceof SimAwsError) throw sdkShaped(e);
      if (e instanceof SimNoAnswer) throw resetSocket();
      throw e;
    }
  };
  return { send } as unknown as DynamoDBClient;
}

export class WorldStateStore<T = unknown> extends DynamoStateStore<T> {
  constructor(world: World, tableName: string) {
    super({ client: worldDynamoDbClient(world), tableName });
  }
}

// ---------------------------------------------------------------------------------------------
// SNS, Secrets Manager, Step Functions

export class WorldNotifier implements Notifier {
  readonly #world: World;
  readonly #topicArn: string;
  readonly #render: RenderOptions;

  constructor(world: World, topicArn: string, render: RenderOptions = {}) {
    this.#world = world;
    this.#topicArn = topicArn;
    this.#render = render;
  }

  async publish(notification: Notification): Promise<void> {
    const w = this.#world;
    const subject = sanitiseSubject(notification.subject);
    const { Message, MessageStructure } = snsMessage(subject, notification, this.#render);
    await viaWorld(w, 'sns:Publish', { operation: 'sns:Publish' }, () =>
      w.sns.publish({ topicArn: this.#topicArn, subject, message: Message, ...(MessageStructure ? { messageStructure: MessageStructure } : {}) }),
    );
  }
}

export class WorldSecretReader implements SecretReader {
  readonly #world: World;

  constructor(world: World) {
    this.#world = world;
  }

  async getSecretString(secretId: string): Promise<string> {
    const w = this.#world;
    let value: string;
    try {
      value = await viaWorld(
        w,
        'secretsmanager:GetSecretValue',
        { operation: 'secretsmanager:GetSecretValue' },
        () => w.secrets.get(secretId).secretString,
      );
    } catch (e) {
      const retryable = typeof e === 'object' && e !== null && 'retryable' in e && e.retryable === true;
      throw new SecretUnavailableError(secretId, e instanceof Error ? e.message : String(e), {
        cause: e,
        retryable,
      });
    }
    if (value === '') throw new SecretUnavailableError(secretId, 'the secret is empty');
    return value;
  }

  /** Same rules as the SDK reader (shared/adapters/aws/secrets.ts): SecureString only, decrypted. */
  async getParameterString(name: string): Promise<string> {
    const w = this.#world;
    let parameter;
    try {
      parameter = await viaWorld(w, 'ssm:GetParameter', { operation: 'ssm:GetParameter' }, () => w.parameters.getParameter({ Name: name, WithDecryption: true }));
    } catch (e) {
      const retryable = typeof e === 'object' && e !== null && 'retryable' in e && e.retryable === true;
      throw new SecretUnavailableError(name, e instanceof Error ? e.message : String(e), { cause: e, retryable });
    }
    return parameterKey(name, parameter.type, parameter.value);
  }
}

const VALID_EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

export class WorldFlowStarter implements FlowStarter {
  readonly #world: World;
  readonly #stateMachineArn: string;

  constructor(world: World, stateMachineArn: string) {
    this.#world = world;
    this.#stateMachineArn = stateMachineArn;
  }

  /** As the adapter: `alreadyExisted` only when Step Functions refuses the name (`ExecutionAlreadyExists`). */
  async start(executionName: string, input: Readonly<Record<string, unknown>>): Promise<StartResult> {
    checkName(executionName);
    const w = this.#world;
    const result = await attempt(w, 'sfn:StartExecution', () =>
      w.sfn.startExecution({
        stateMachineArn: this.#stateMachineArn,
        name: executionName,
        input: JSON.stringify(input),
      }),
    );
    if (result.ok) return { executionArn: result.value.executionArn, alreadyExisted: false };
    if (result.error.code === 'ExecutionAlreadyExists') {
      return { executionArn: w.sfn.executionArn(this.#stateMachineArn, executionName), alreadyExisted: true };
    }
    throw translateAwsError(sdkShaped(result.error), { operation: 'states:StartExecution' });
  }

  async status(executionName: string): Promise<ExecutionStatus | undefined> {
    checkName(executionName);
    const w = this.#world;
    const arn = w.sfn.executionArn(this.#stateMachineArn, executionName);
    const result = await attempt(w, 'sfn:DescribeExecution', () => w.sfn.describeExecution(arn));
    if (result.ok) return result.value.status;
    if (result.error.code === 'ExecutionDoesNotExist') return undefined;
    throw translateAwsError(sdkShaped(result.error), { operation: 'states:DescribeExecution' });
  }
}

function checkName(name: string): void {
  if (!VALID_EXECUTION_NAME.test(name)) {
    throw new InputInvalidError('execution name', [
      { path: '', message: `"${name}" must be 1-80 characters of A-Z a-z 0-9 - _ (use executionName())` },
    ]);
  }
}

export interface DirectPortsOptions {
  /** DynamoDB table of the state store. */
  readonly tableName: string;
  readonly topicArn: string;
  readonly stateMachineArn: string;
  /** Who calls (a simulated function's role, evaluated by `world.iam`); the administrator when absent. */
  readonly principal?: IamPrincipal;
  /** How notifications are laid out per protocol (the configuration's `notifications.chatbot`). */
  readonly render?: RenderOptions;
}

export interface DirectPorts<T = unknown> {
  readonly ec2: Ec2Port;
  readonly dns: DnsPort;
  readonly store: LockStore & OwnerStore & ProbeStateStore<T> & PauseStore & DrillStore;
  readonly notifier: Notifier;
  readonly secrets: SecretReader;
  readonly flow: FlowStarter;
}

/** Every port on one world. */
export function createDirectPorts<T = unknown>(on: World, options: DirectPortsOptions): DirectPorts<T> {
  const world = on.actingAs(options.principal);
  return {
    ec2: new WorldEc2Port(world),
    dns: new WorldDnsPort(world),
    store: new WorldStateStore<T>(world, options.tableName),
    notifier: new WorldNotifier(world, options.topicArn, options.render),
    secrets: new WorldSecretReader(world),
    flow: new WorldFlowStarter(world, options.stateMachineArn),
  };
}
