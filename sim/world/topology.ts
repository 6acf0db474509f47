/**
 * A world described as plain, JSON-able data: what scenario files contain. `parseTopology`
 * checks shapes (zod) and then references (an ENI in a known subnet, a route to a known ENI,
 * an EIP on an address the ENI really has...), naming every problem with its path.
 */
import { z } from 'zod';
import { ConfigInvalidError, type ValidationIssue } from '#shared/errors.js';
import { formatPath } from '#shared/config/schema.js';
import { ipv4ToNumber, isIpv4, isIpv4Cidr } from '#shared/config/net.js';
import { faultSpecSchema } from './faults.js';
import { INSTANCE_TYPES } from './instance-types.js';

const tagsSchema = z.record(z.string(), z.string()).default({});
/** Epoch ms or an ISO 8601 date. */
const timeSchema = z.union([z.number(), z.iso.datetime({ offset: true })]);

const vpcSchema = z.strictObject({
  vpcId: z.string().regex(/^vpc-[0-9a-f]+$/),
  cidr: z.string().refine(isIpv4Cidr, 'must be an IPv4 CIDR'),
});

const subnetSchema = z.strictObject({
  subnetId: z.string().regex(/^subnet-[0-9a-f]+$/),
  vpcId: z.string().regex(/^vpc-[0-9a-f]+$/),
  availabilityZone: z.string().min(1),
  cidr: z.string().refine(isIpv4Cidr, 'must be an IPv4 CIDR'),
  tags: tagsSchema,
});

const eniSchema = z.strictObject({
  networkInterfaceId: z.string().regex(/^eni-[0-9a-f]+$/),
  subnetId: z.string(),
  /** Required for an ENI attached to an instance. */
  deviceIndex: z.number().int().min(0).optional(),
  /** The first is the primary private IP. */
  privateIps: z.array(z.string().refine(isIpv4, 'must be an IPv4 address')).min(1),
  sourceDestCheck: z.boolean().default(true),
  description: z.string().default(''),
  tags: tagsSchema,
});

const instanceSchema = z.strictObject({
  instanceId: z.string().regex(/^i-[0-9a-f]+$/),
  instanceType: z.string(),
  state: z.enum(['running', 'stopped', 'terminated']).default('running'),
  /** Last start; default for a running instance: a week before the world's start (long booted). */
  launchTime: timeSchema.optional(),
  imageId: z.string().default('ami-0panos00000000001'),
  tags: tagsSchema,
  networkInterfaces: z.array(eniSchema.extend({ deviceIndex: z.number().int().min(0) })).min(1),
});

const routeSchema = z
  .strictObject({
    destination: z.string().refine(isIpv4Cidr, 'must be an IPv4 CIDR'),
    networkInterfaceId: z.string().optional(),
    gatewayId: z.string().optional(),
  })
  .refine((r) => (r.networkInterfaceId === undefined) !== (r.gatewayId === undefined), {
    message: 'set exactly one of networkInterfaceId or gatewayId',
  });

const routeTableSchema = z.strictObject({
  routeTableId: z.string().regex(/^rtb-[0-9a-f]+$/),
  vpcId: z.string(),
  main: z.boolean().default(false),
  subnetAssociations: z.array(z.string()).default([]),
  tags: tagsSchema,
  routes: z.array(routeSchema).default([]),
});

const elasticIpSchema = z.strictObject({
  allocationId: z.string().regex(/^eipalloc-[0-9a-f]+$/),
  publicIp: z.string().refine(isIpv4, 'must be an IPv4 address'),
  tags: tagsSchema,
  association: z
    .strictObject({
      networkInterfaceId: z.string(),
      /** Default: the ENI's primary private IP. */
      privateIp: z.string().optional(),
      associationId: z
        .string()
        .regex(/^eipassoc-[0-9a-f]+$/)
        .optional(),
    })
    .optional(),
});

const recordSchema = z.strictObject({
  name: z.string().min(1),
  type: z.string().min(1),
  ttl: z.number().int().min(0).default(300),
  values: z.array(z.string().min(1)).min(1),
});

const hostedZoneSchema = z.strictObject({
  id: z.string().regex(/^(\/hostedzone\/)?Z[A-Z0-9]+$/),
  name: z.string().min(1),
  private: z.boolean().default(false),
  records: z.array(recordSchema).default([]),
});

const attributeValueSchema: z.ZodType<unknown> = z.lazy(() =>
  z.union([
    z.strictObject({ S: z.string() }),
    z.strictObject({ N: z.string() }),
    z.strictObject({ BOOL: z.boolean() }),
    z.strictObject({ NULL: z.literal(true) }),
    z.strictObject({ SS: z.array(z.string()) }),
    z.strictObject({ NS: z.array(z.string()) }),
    z.strictObject({ B: z.string() }),
    z.strictObject({ L: z.array(attributeValueSchema) }),
    z.strictObject({ M: z.record(z.string(), attributeValueSchema) }),
  ]),
);

const tableSchema = z.strictObject({
  name: z.string().regex(/^[a-zA-Z0-9_.-]{3,255}$/),
  partitionKey: z.string().default('pk'),
  sortKey: z.string().default('sk'),
  items: z.array(z.record(z.string(), attributeValueSchema)).default([]),
});

const secretSchema = z.strictObject({
  name: z.string().min(1),
  value: z.string(),
});

/** An SSM Parameter Store parameter (API keys: SecureString). */
const parameterSchema = z.strictObject({
  name: z.string().min(1),
  value: z.string(),
  type: z.enum(['String', 'SecureString']).default('SecureString'),
});

const topicSchema = z.strictObject({ name: z.string().regex(/^[A-Za-z0-9_-]{1,256}$/) });
const stateMachineSchema = z.strictObject({ name: z.string().regex(/^[A-Za-z0-9_-]{1,80}$/) });

/** CloudWatch's comparison operators, also written as symbols. */
const COMPARISONS = {
  GreaterThanOrEqualToThreshold: 'GreaterThanOrEqualToThreshold',
  GreaterThanThreshold: 'GreaterThanThreshold',
  LessThanThreshold: 'LessThanThreshold',
  LessThanOrEqualToThreshold: 'LessThanOrEqualToThreshold',
  '>=': 'GreaterThanOrEqualToThreshold',
  '>': 'GreaterThanThreshold',
  '<': 'LessThanThreshold',
  '<=': 'LessThanOrEqualToThreshold',
} as const;
type ComparisonName = keyof typeof COMPARISONS;

const alarmSchema = z.strictObject({
  name: z.string().min(1),
  namespace: z.string().min(1),
  metric: z.string().min(1),
  dimensions: z.record(z.string(), z.string()).default({}),
  statistic: z.enum(['Sum', 'Average', 'Maximum', 'Minimum', 'SampleCount']),
  periodSeconds: z.number().int().min(1),
  evaluationPeriods: z.number().int().min(1),
  threshold: z.number(),
  /** CloudWatch's ComparisonOperator, or its symbol (`>=`, `>`, `<`, `<=`). */
  comparison: z
    .enum(Object.keys(COMPARISONS) as [ComparisonName, ...ComparisonName[]])
    .transform((c) => COMPARISONS[c]),
  treatMissingData: z.enum(['missing', 'breaching', 'notBreaching', 'ignore']).default('missing'),
  description: z.string().optional(),
});

const timingsSchema = z.strictObject({
  pendingMs: z.number().min(0).optional(),
  stoppingMs: z.number().min(0).optional(),
  statusInitMs: z.number().min(0).optional(),
  dnsSyncMs: z.number().min(0).optional(),
  statusMetricIntervalMs: z.number().min(1000).optional(),
});

export const worldTopologySchema = z.strictObject({
  region: z.string().default('us-east-1'),
  accountId: z
    .string()
    .regex(/^\d{12}$/)
    .default('123456789012'),
  timings: timingsSchema.default({}),
  vpcs: z.array(vpcSchema).default([]),
  subnets: z.array(subnetSchema).default([]),
  /** Extra instance types besides the built-in catalogue. */
  instanceTypes: z
    .array(
      z.strictObject({
        instanceType: z.string(),
        maxNetworkInterfaces: z.number().int().min(1),
        ipv4AddressesPerInterface: z.number().int().min(1),
        vcpus: z.number().int().min(1).default(2),
        memoryMiB: z.number().int().min(512).default(8192),
        networkPerformance: z.string().default('Up to 10 Gigabit'),
      }),
    )
    .default([]),
  instances: z.array(instanceSchema).default([]),
  /** ENIs attached to no instance. */
  networkInterfaces: z.array(eniSchema).default([]),
  routeTables: z.array(routeTableSchema).default([]),
  elasticIps: z.array(elasticIpSchema).default([]),
  hostedZones: z.array(hostedZoneSchema).default([]),
  secrets: z.array(secretSchema).default([]),
  parameters: z.array(parameterSchema).default([]),
  tables: z.array(tableSchema).default([]),
  topics: z.array(topicSchema).default([]),
  stateMachines: z.array(stateMachineSchema).default([]),
  alarms: z.array(alarmSchema).default([]),
  faults: faultSpecSchema.optional(),
});

/** What a scenario file writes (defaults optional). */
export type WorldTopologyInput = z.input<typeof worldTopologySchema>;
/** After validation, with defaults filled in. */
export type WorldTopology = z.infer<typeof worldTopologySchema>;
export type TopologyInstance = WorldTopology['instances'][number];
export type TopologyEni = WorldTopology['networkInterfaces'][number];
export type AlarmDefinitionInput = z.input<typeof alarmSchema>;
export type AlarmDefinition = z.infer<typeof alarmSchema>;
export { alarmSchema };

export function parseTopology(input: unknown, source = 'world topology'): WorldTopology {
  const parsed = worldTopologySchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigInvalidError(
      source,
      parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
    );
  }
  const issues = referenceIssues(parsed.data);
  if (issues.length > 0) throw new ConfigInvalidError(source, issues);
  return parsed.data;
}

function inCidr(ip: string, cidr: string): boolean {
  const [base = '', len = '32'] = cidr.split('/');
  const size = 2 ** (32 - Number(len));
  const start = Math.floor(ipv4ToNumber(base) / size) * size;
  const n = ipv4ToNumber(ip);
  return n >= start && n < start + size;
}

/** Cross-references a valid shape cannot express. */
export function referenceIssues(t: WorldTopology): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const add = (path: PropertyKey[], message: string) => issues.push({ path: formatPath(path), message });
  const unique = (kind: string, ids: { id: string; path: PropertyKey[] }[]) => {
    const seen = new Map<string, string>();
    for (const { id, path } of ids) {
      const prev = seen.get(id);
      if (prev !== undefined) add(path, `duplicate ${kind} ${id} (also ${prev})`);
      else seen.set(id, formatPath(path));
    }
  };

  const vpcIds = new Set([...t.vpcs.map((v) => v.vpcId), ...t.subnets.map((s) => s.vpcId)]);
  const subnets = new Map(t.subnets.map((s) => [s.subnetId, s]));
  unique(
    'subnet',
    t.subnets.map((s, i) => ({ id: s.subnetId, path: ['subnets', i, 'subnetId'] })),
  );
  unique(
    'instance',
    t.instances.map((x, i) => ({ id: x.instanceId, path: ['instances', i, 'instanceId'] })),
  );

  const types = new Set([...INSTANCE_TYPES.keys(), ...t.instanceTypes.map((x) => x.instanceType)]);
  const enis = new Map<string, { subnetId: string; privateIps: readonly string[] }>();
  const eniPaths: { id: string; path: PropertyKey[] }[] = [];
  const usedIps = new Map<string, string>();
  const checkEni = (eni: TopologyEni, path: PropertyKey[]) => {
    eniPaths.push({ id: eni.networkInterfaceId, path: [...path, 'networkInterfaceId'] });
    enis.set(eni.networkInterfaceId, eni);
    const subnet = subnets.get(eni.subnetId);
    if (subnet === undefined) {
      add([...path, 'subnetId'], `unknown subnet ${eni.subnetId}`);
      return;
    }
    eni.privateIps.forEach((ip, k) => {
      if (!inCidr(ip, subnet.cidr))
        add([...path, 'privateIps', k], `${ip} is outside ${eni.subnetId} (${subnet.cidr})`);
      const key = `${subnet.vpcId}/${ip}`;
      const prev = usedIps.get(key);
      if (prev !== undefined) add([...path, 'privateIps', k], `${ip} is already used by ${prev}`);
      else usedIps.set(key, eni.networkInterfaceId);
    });
  };

  t.instances.forEach((inst, i) => {
    const base = ['instances', i];
    const type = types.has(inst.instanceType)
      ? (INSTANCE_TYPES.get(inst.instanceType) ??
        t.instanceTypes.find((x) => x.instanceType === inst.instanceType))
      : undefined;
    if (type === undefined) add([...base, 'instanceType'], `unknown instance type ${inst.instanceType}`);
    if (!inst.networkInterfaces.some((n) => n.deviceIndex === 0)) {
      add([...base, 'networkInterfaces'], 'an instance needs an ENI with deviceIndex 0');
    }
    const indexes = new Set<number>();
    const azs = new Set<string>();
    inst.networkInterfaces.forEach((eni, k) => {
      const path = [...base, 'networkInterfaces', k];
      checkEni(eni, path);
      if (indexes.has(eni.deviceIndex))
        add([...path, 'deviceIndex'], `device index ${eni.deviceIndex} used twice`);
      indexes.add(eni.deviceIndex);
      const subnet = subnets.get(eni.subnetId);
      if (subnet !== undefined) azs.add(subnet.availabilityZone);
      if (type !== undefined && eni.privateIps.length > type.ipv4AddressesPerInterface) {
        add(
          [...path, 'privateIps'],
          `${inst.instanceType} allows ${type.ipv4AddressesPerInterface} addresses per ENI`,
        );
      }
    });
    if (azs.size > 1)
      add([...base, 'networkInterfaces'], 'all ENIs of an instance must be in one availability zone');
    if (type !== undefined && inst.networkInterfaces.length > type.maxNetworkInterfaces) {
      add([...base, 'networkInterfaces'], `${inst.instanceType} allows ${type.maxNetworkInterfaces} ENIs`);
    }
  });
  t.networkInterfaces.forEach((eni, k) => checkEni(eni, ['networkInterfaces', k]));
  unique('network interface', eniPaths);

  unique(
    'route table',
    t.routeTables.map((r, i) => ({ id: r.routeTableId, path: ['routeTables', i, 'routeTableId'] })),
  );
  t.routeTables.forEach((rt, i) => {
    const base = ['routeTables', i];
    if (!vpcIds.has(rt.vpcId)) add([...base, 'vpcId'], `unknown VPC ${rt.vpcId}`);
    rt.subnetAssociations.forEach((s, k) => {
      if (!subnets.has(s)) add([...base, 'subnetAssociations', k], `unknown subnet ${s}`);
    });
    const dests = new Set<string>();
    rt.routes.forEach((route, k) => {
      const path = [...base, 'routes', k];
      if (dests.has(route.destination)) add([...path, 'destination'], `duplicate route ${route.destination}`);
      dests.add(route.destination);
      if (route.networkInterfaceId !== undefined) {
        const eni = enis.get(route.networkInterfaceId);
        if (eni === undefined)
          add([...path, 'networkInterfaceId'], `unknown ENI ${route.networkInterfaceId}`);
        else if (subnets.get(eni.subnetId)?.vpcId !== rt.vpcId) {
          add([...path, 'networkInterfaceId'], `${route.networkInterfaceId} is in another VPC`);
        }
      }
    });
  });

  unique(
    'Elastic IP',
    t.elasticIps.map((e, i) => ({ id: e.allocationId, path: ['elasticIps', i, 'allocationId'] })),
  );
  unique(
    'public IP',
    t.elasticIps.map((e, i) => ({ id: e.publicIp, path: ['elasticIps', i, 'publicIp'] })),
  );
  const carried = new Map<string, string>();
  t.elasticIps.forEach((eip, i) => {
    const a = eip.association;
    if (a === undefined) return;
    const path = ['elasticIps', i, 'association'];
    const eni = enis.get(a.networkInterfaceId);
    if (eni === undefined) {
      add([...path, 'networkInterfaceId'], `unknown ENI ${a.networkInterfaceId}`);
      return;
    }
    const ip = a.privateIp ?? eni.privateIps[0] ?? '';
    if (!eni.privateIps.includes(ip))
      add([...path, 'privateIp'], `${ip} is not a private IP of ${a.networkInterfaceId}`);
    const key = `${a.networkInterfaceId}/${ip}`;
    const prev = carried.get(key);
    if (prev !== undefined)
      add([...path, 'privateIp'], `${ip} on ${a.networkInterfaceId} already carries ${prev}`);
    carried.set(key, eip.allocationId);
  });

  unique(
    'hosted zone',
    t.hostedZones.map((z, i) => ({ id: z.id.replace('/hostedzone/', ''), path: ['hostedZones', i, 'id'] })),
  );
  unique(
    'secret',
    t.secrets.map((s, i) => ({ id: s.name, path: ['secrets', i, 'name'] })),
  );
  unique(
    'parameter',
    t.parameters.map((p, i) => ({ id: p.name, path: ['parameters', i, 'name'] })),
  );
  unique(
    'table',
    t.tables.map((x, i) => ({ id: x.name, path: ['tables', i, 'name'] })),
  );
  t.tables.forEach((table, i) =>
    table.items.forEach((item, k) => {
      const keys = [table.partitionKey, table.sortKey];
      for (const key of keys) {
        const v = item[key];
        if (typeof v !== 'object' || v === null || !('S' in v)) {
          add(['tables', i, 'items', k, key], `key attribute ${key} must be a string ({ S: ... })`);
        }
      }
    }),
  );
  unique(
    'topic',
    t.topics.map((x, i) => ({ id: x.name, path: ['topics', i, 'name'] })),
  );
  unique(
    'state machine',
    t.stateMachines.map((x, i) => ({ id: x.name, path: ['stateMachines', i, 'name'] })),
  );
  unique(
    'alarm',
    t.alarms.map((x, i) => ({ id: x.name, path: ['alarms', i, 'name'] })),
  );
  return issues;
}
