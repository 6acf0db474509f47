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
import type {
  LockResult,
  LockStore,
  OwnerRecord,
  OwnerStore,
  ProbeStateStore,
  Versioned,
} from '#shared/ports/store.js';
import { ROLES } from '#shared/config/schema.js';
import {
  ManagedResourceNotFoundError,
  SecretUnavailableError,
  StateConflictError,
  InputInvalidError,
} from '#shared/errors.js';
import { malformedResponse, translateAwsError, type AwsCallContext } from '#shared/adapters/aws/errors.js';
import {
  ITEM_KINDS,
  LOCK_ACQUIRE_CONDITION,
  LOCK_TAKEOVER_CONDITION,
  LOCK_RELEASE_CONDITION,
  PROBE_CREATE_CONDITION,
  PROBE_UPDATE_CONDITION,
  pairKey,
} from '#shared/adapters/aws/dynamodb-store.js';
import { notificationMessage, sanitiseSubject } from '#shared/adapters/aws/sns.js';
import { bareChangeId, bareHostedZoneId, normaliseDnsName } from '#shared/adapters/aws/route53.js';
import { SimAwsError } from './aws-error.js';
import type { AttributeValue, Item } from './dynamodb-expressions.js';
import type { InstanceView } from './ec2.js';
import type { World } from './world.js';

/** An SDK-shaped error (name = AWS code, `$metadata.httpStatusCode`) so the adapters' classifier applies unchanged. */
function sdkShaped(e: SimAwsError): Error {
  const error = new Error(e.message, { cause: e });
  error.name = e.code;
  return Object.assign(error, {
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
    throw e;
  }
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
    const found = new Map<string, RouteTableInfo>(
      tables.map((t) => [
        t.routeTableId,
        {
          routeTableId: t.routeTableId,
          vpcId: t.vpcId,
          routes: t.routes.map((r) => ({
            destination: r.destination,
            networkInterfaceId: r.networkInterfaceId,
            instanceId: r.instanceId,
            gatewayId: r.gatewayId,
            state: r.state,
          })),
        },
      ]),
    );
    return inRequestOrder(operation, 'route tables', ids, found);
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
    const found = new Map<string, AddressInfo>(
      addresses.map((a) => [
        a.allocationId,
        {
          allocationId: a.allocationId,
          publicIp: a.publicIp,
          associationId: a.associationId,
          networkInterfaceId: a.networkInterfaceId,
          privateIp: a.privateIp,
          instanceId: a.instanceId,
        },
      ]),
    );
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
// DynamoDB state store (same items and conditions as DynamoStateStore)

const ACQUIRE_ATTEMPTS = 3;
const LOCK_TTL_GRACE_SECONDS = 86_400;
const n = (value: number): AttributeValue => ({ N: String(value) });
const s = (value: string): AttributeValue => ({ S: value });
type ItemKind = (typeof ITEM_KINDS)[keyof typeof ITEM_KINDS];
const key = (pair: string, kind: ItemKind): Item => ({ pk: s(pairKey(pair)), sk: s(kind) });

export class WorldStateStore<T = unknown> implements LockStore, OwnerStore, ProbeStateStore<T> {
  readonly #world: World;
  readonly #table: string;

  constructor(world: World, tableName: string) {
    this.#world = world;
    this.#table = tableName;
  }

  async acquire(pair: string, holder: string, nowMs: number, leaseMs: number): Promise<LockResult> {
    const expiresAt = nowMs + leaseMs;
    for (let i = 1; i <= ACQUIRE_ATTEMPTS; i++) {
      if (await this.#putLock(pair, holder, nowMs, expiresAt)) return { acquired: true, expiresAt };
      const current = await this.get(pair);
      if (current !== undefined && current.holder !== holder && current.expiresAt >= nowMs) {
        return { acquired: false, heldBy: current.holder, expiresAt: current.expiresAt };
      }
    }
    throw new StateConflictError(
      `lock of pair ${pair} kept changing during acquire (${ACQUIRE_ATTEMPTS} attempts)`,
      {
        details: { pair, holder },
      },
    );
  }

  async takeOver(pair: string, holder: string, staleHolder: string, nowMs: number, leaseMs: number): Promise<LockResult> {
    const expiresAt = nowMs + leaseMs;
    if (await this.#putLock(pair, holder, nowMs, expiresAt, LOCK_TAKEOVER_CONDITION, { ':stale': s(staleHolder) })) {
      return { acquired: true, expiresAt };
    }
    const current = await this.get(pair);
    return { acquired: false, heldBy: current?.holder ?? '(released)', expiresAt: current?.expiresAt ?? nowMs };
  }

  async #putLock(
    pair: string,
    holder: string,
    nowMs: number,
    expiresAt: number,
    condition: string = LOCK_ACQUIRE_CONDITION,
    values: Record<string, AttributeValue> = { ':now': n(nowMs), ':holder': s(holder) },
  ): Promise<boolean> {
    const w = this.#world;
    const result = await attempt(w, 'dynamodb:PutItem', () =>
      w.dynamodb.putItem({
        TableName: this.#table,
        Item: {
          ...key(pair, ITEM_KINDS.lock),
          holder: s(holder),
          acquiredAt: n(nowMs),
          expiresAt: n(expiresAt),
          ttl: n(Math.ceil(expiresAt / 1000) + LOCK_TTL_GRACE_SECONDS),
        },
        ConditionExpression: condition,
        ExpressionAttributeValues: values,
      }),
    );
    if (result.ok) return true;
    if (result.error.code === 'ConditionalCheckFailedException') return false;
    throw translateAwsError(sdkShaped(result.error), { operation: 'dynamodb:PutItem' });
  }

  async release(pair: string, holder: string): Promise<boolean> {
    const w = this.#world;
    const result = await attempt(w, 'dynamodb:DeleteItem', () =>
      w.dynamodb.deleteItem({
        TableName: this.#table,
        Key: key(pair, ITEM_KINDS.lock),
        ConditionExpression: LOCK_RELEASE_CONDITION,
        ExpressionAttributeValues: { ':holder': s(holder) },
      }),
    );
    if (result.ok) return true;
    if (result.error.code === 'ConditionalCheckFailedException') return false;
    throw translateAwsError(sdkShaped(result.error), { operation: 'dynamodb:DeleteItem' });
  }

  async get(pair: string): Promise<{ holder: string; expiresAt: number } | undefined> {
    const item = await this.#read(pair, ITEM_KINDS.lock);
    if (item === undefined) return undefined;
    const where = `${pairKey(pair)}/lock`;
    return { holder: str(item, 'holder', where), expiresAt: num(item, 'expiresAt', where) };
  }

  async getOwner(pair: string): Promise<OwnerRecord | undefined> {
    const item = await this.#read(pair, ITEM_KINDS.owner);
    if (item === undefined) return undefined;
    const where = `${pairKey(pair)}/owner`;
    const owner = str(item, 'owner', where);
    const role = ROLES.find((r) => r === owner);
    if (role === undefined)
      throw malformedResponse('dynamodb:GetItem', `${where} owner is ${owner}, not a role`);
    return {
      owner: role,
      since: num(item, 'since', where),
      changedBy: str(item, 'changedBy', where),
      reason: str(item, 'reason', where),
    };
  }

  async putOwner(pair: string, record: OwnerRecord): Promise<void> {
    const w = this.#world;
    await viaWorld(w, 'dynamodb:PutItem', { operation: 'dynamodb:PutItem' }, () =>
      w.dynamodb.putItem({
        TableName: this.#table,
        Item: {
          ...key(pair, ITEM_KINDS.owner),
          owner: s(record.owner),
          since: n(record.since),
          changedBy: s(record.changedBy),
          reason: s(record.reason),
        },
      }),
    );
  }

  async loadProbeState(pair: string): Promise<Versioned<T | undefined>> {
    const item = await this.#read(pair, ITEM_KINDS.probe);
    if (item === undefined) return { value: undefined, version: undefined };
    const where = `${pairKey(pair)}/probe`;
    const text = str(item, 'state', where);
    let value: T;
    try {
      value = JSON.parse(text) as T;
    } catch (error) {
      throw malformedResponse('dynamodb:GetItem', `${where} state is not JSON (${(error as Error).message})`);
    }
    return { value, version: num(item, 'version', where) };
  }

  async saveProbeState(pair: string, value: T, expectedVersion: number | undefined): Promise<void> {
    const state = JSON.stringify(value) as string | undefined;
    if (state === undefined) {
      throw new InputInvalidError('probe state', [
        { path: '', message: 'is not JSON-serialisable (undefined or a function)' },
      ]);
    }
    const conditional =
      expectedVersion === undefined
        ? { ConditionExpression: PROBE_CREATE_CONDITION }
        : {
            ConditionExpression: PROBE_UPDATE_CONDITION,
            ExpressionAttributeValues: { ':expected': n(expectedVersion) },
          };
    const w = this.#world;
    const result = await attempt(w, 'dynamodb:PutItem', () =>
      w.dynamodb.putItem({
        TableName: this.#table,
        Item: { ...key(pair, ITEM_KINDS.probe), state: s(state), version: n((expectedVersion ?? 0) + 1) },
        ...conditional,
      }),
    );
    if (result.ok) return;
    if (result.error.code === 'ConditionalCheckFailedException') {
      throw new StateConflictError(
        `probe state of pair ${pair} changed since version ${expectedVersion ?? '(none)'} was read`,
        {
          cause: sdkShaped(result.error),
          details: { pair, expectedVersion },
        },
      );
    }
    throw translateAwsError(sdkShaped(result.error), { operation: 'dynamodb:PutItem' });
  }

  async #read(pair: string, kind: ItemKind): Promise<Item | undefined> {
    const w = this.#world;
    const out = await viaWorld(w, 'dynamodb:GetItem', { operation: 'dynamodb:GetItem' }, () =>
      w.dynamodb.getItem({ TableName: this.#table, Key: key(pair, kind), ConsistentRead: true }),
    );
    return out.Item;
  }
}

function str(item: Item, name: string, where: string): string {
  const v = item[name];
  if (v === undefined || !('S' in v))
    throw malformedResponse('dynamodb:GetItem', `${where} lacks string attribute ${name}`);
  return v.S;
}

function num(item: Item, name: string, where: string): number {
  const v = item[name];
  const value = v !== undefined && 'N' in v ? Number(v.N) : Number.NaN;
  if (!Number.isFinite(value))
    throw malformedResponse('dynamodb:GetItem', `${where} lacks number attribute ${name}`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// SNS, Secrets Manager, Step Functions

export class WorldNotifier implements Notifier {
  readonly #world: World;
  readonly #topicArn: string;

  constructor(world: World, topicArn: string) {
    this.#world = world;
    this.#topicArn = topicArn;
  }

  async publish(notification: Notification): Promise<void> {
    const w = this.#world;
    await viaWorld(w, 'sns:Publish', { operation: 'sns:Publish' }, () =>
      w.sns.publish({
        topicArn: this.#topicArn,
        subject: sanitiseSubject(notification.subject),
        message: notificationMessage(notification),
      }),
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
}

export interface DirectPorts<T = unknown> {
  readonly ec2: Ec2Port;
  readonly dns: DnsPort;
  readonly store: LockStore & OwnerStore & ProbeStateStore<T>;
  readonly notifier: Notifier;
  readonly secrets: SecretReader;
  readonly flow: FlowStarter;
}

/** Every port on one world. */
export function createDirectPorts<T = unknown>(world: World, options: DirectPortsOptions): DirectPorts<T> {
  return {
    ec2: new WorldEc2Port(world),
    dns: new WorldDnsPort(world),
    store: new WorldStateStore<T>(world, options.tableName),
    notifier: new WorldNotifier(world, options.topicArn),
    secrets: new WorldSecretReader(world),
    flow: new WorldFlowStarter(world, options.stateMachineArn),
  };
}
