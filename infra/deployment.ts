/**
 * What `serverless.yml` cannot write by itself because it depends on the configuration: one
 * least-privilege IAM role per function (scoped to the configured instances, route tables,
 * Elastic IPs, ENIs, hosted zones and secrets), the state table, the notification topic, the
 * CloudWatch alarms (EC2 status checks that start the failover flow, and the controller's own
 * health), and the dashboard. A pure function of the validated configuration, written to
 * `dist/deploy/` by `pan-failover prepare-deploy` and included by `serverless.yml`.
 *
 * Every ARN is built with CloudFormation pseudo-parameters (`${AWS::Region}`, ...): packaging needs
 * no AWS credentials.
 */
import type { Config, DeploymentConfig, PairConfig, Role } from '#shared/config/schema.js';
import { ROLES } from '#shared/config/schema.js';
import { ConfigInvalidError, type ValidationIssue } from '#shared/errors.js';
import { METRICS_NAMESPACE, SERVICE_NAME } from '#shared/observability/powertools.js';
import { stageNames } from './names.js';
import { assertDeployableSecrets } from './secret-refs.js';
import { IAM_LIMITS, packRole, roleSizes, type PackedRole, type PolicyDocument, type PolicyStatement, type RoleSizes } from './iam.js';
import { selftestResources, selftestStatements } from './selftest.js';

export interface DeploymentOptions {
  /** The Serverless service name (default `pan-failover`). */
  readonly service?: string;
  /** The Serverless stage (default `dev`). */
  readonly stage?: string;
  /**
   * The state table exists already (kept by an earlier stack that was removed): the stack uses it
   * by name instead of creating it (CloudFormation cannot create a table whose name is taken).
   */
  readonly existingTable?: boolean;
  /**
   * The account's quota of managed policies per IAM role (default 10, IAM's default; at most 20
   * after a quota increase): a deployment that would need more is refused.
   */
  readonly managedPolicyQuota?: number;
}

/** The four Lambda functions: key in `serverless.yml`, source directory, name suffix. */
export const FUNCTIONS = {
  healthProbe: { dir: 'health-probe', inVpc: true, traced: false },
  flowControl: { dir: 'flow-control', inVpc: false, traced: true },
  flowAws: { dir: 'flow-aws', inVpc: false, traced: true },
  flowFirewall: { dir: 'flow-firewall', inVpc: true, traced: true },
} as const;
export type FunctionKey = keyof typeof FUNCTIONS;

/** One value per function. */
export function perFunction<T>(f: (fn: FunctionKey) => T): Record<FunctionKey, T> {
  return Object.fromEntries((Object.keys(FUNCTIONS) as FunctionKey[]).map((fn) => [fn, f(fn)])) as Record<FunctionKey, T>;
}

/** CloudFormation logical ids (also used by serverless.yml). */
export const LOGICAL = {
  table: 'StateTable',
  topic: 'NotificationTopic',
  stateMachine: 'FailoverStateMachine',
  probeLoop: 'ProbeLoopStateMachine',
  probeLoopLogGroup: 'ProbeLoopLogGroup',
  dashboard: 'Dashboard',
  role: (fn: FunctionKey) => `${fn.charAt(0).toUpperCase()}${fn.slice(1)}Role`,
} as const;

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };
type Cfn = { [k: string]: Json };

export type Statement = PolicyStatement;

export interface Deployment {
  readonly stage: string;
  /** The region of every firewall (from their availability zones). */
  readonly region: string;
  /** Names the resources and functions get (also in the stack outputs). */
  readonly names: {
    readonly prefix: string;
    readonly functions: Record<FunctionKey, string>;
    readonly stateMachine: string;
    /** The probe loop (Express state machine) and the log group of its failed executions. */
    readonly probeLoop: string;
    readonly probeLoopLogGroup: string;
    readonly table: string;
    readonly topic: string;
    readonly dashboard: string;
    /** IAM role names (account-wide, so they carry the region). */
    readonly roles: Record<FunctionKey, string>;
  };
  /** Per function: its role's statements, from all its policies (tests read them; `resources` holds the same). */
  readonly permissions: Record<FunctionKey, readonly Statement[]>;
  /** Per function: the policies of its role (inline, then managed), and their sizes as IAM counts them. */
  readonly policies: Record<FunctionKey, { readonly inline: PolicyDocument<Statement>; readonly managed: readonly PolicyDocument<Statement>[]; readonly sizes: RoleSizes }>;
  /** VPC attachment of the functions that reach the management interfaces. */
  readonly vpc: { readonly subnetIds: readonly string[]; readonly securityGroupIds: readonly string[] };
  /** Alarms whose ALARM state starts the failover flow (EC2 status checks of each firewall). */
  readonly triggerAlarms: readonly string[];
  /**
   * Reserved concurrency: the probe's (serverless.yml), each flow function's, and the account
   * concurrency limit they need (Lambda keeps 100 unreserved).
   */
  readonly concurrency: { readonly probe: number; readonly flow: number; readonly accountLimitNeeded: number };
  /** Memory (MB) of the functions whose size depends on the configuration: the probe's grows with the pairs (`probeMemoryFor`). */
  readonly memory: { readonly probe: number };
  /** CloudFormation resources to merge into the stack. */
  readonly resources: Cfn;
  readonly outputs: Cfn;
}

const sub = (s: string): Cfn => ({ 'Fn::Sub': s });
const arn = (service: string, resource: string, global = false): Cfn =>
  sub(`arn:\${AWS::Partition}:${service}:${global ? '' : '${AWS::Region}'}:${global ? '' : '${AWS::AccountId}'}:${resource}`);

function deploymentSection(config: Config): DeploymentConfig {
  if (!config.deployment) {
    throw new ConfigInvalidError('for deployment', [
      { path: 'deployment', message: 'is required to deploy: the subnets and security groups the controller runs in (see docs/deployment.md)' },
    ]);
  }
  return config.deployment;
}

const unique = <T>(xs: Iterable<T>): T[] => [...new Set(xs)];

/** A Secrets Manager reference as IAM needs it: a name gets the random six-character suffix. */
export function secretResource(ref: string): Json {
  if (ref.startsWith('arn:')) {
    // A complete ARN ends with "-" and six characters after the name; a partial one does not.
    return /-[A-Za-z0-9]{6}$/.test(ref) ? ref : `${ref}-??????`;
  }
  return arn('secretsmanager', `secret:${ref}-??????`);
}

/** A Parameter Store reference as IAM needs it: the parameter's ARN (`/a/b` is `...:parameter/a/b`). */
export function parameterResource(ref: string): Json {
  return ref.startsWith('arn:') ? ref : arn('ssm', `parameter${ref.startsWith('/') ? '' : '/'}${ref}`);
}

function parameterRefs(pairs: readonly PairConfig[]): string[] {
  const refs: string[] = [];
  for (const pair of pairs) {
    for (const role of ROLES) {
      const key = pair.firewalls[role].apiKey;
      if ('ssmParameter' in key) refs.push(key.ssmParameter);
    }
  }
  return unique(refs);
}

function secretRefs(pairs: readonly PairConfig[]): string[] {
  const refs: string[] = [];
  for (const pair of pairs) {
    for (const role of ROLES) {
      const key = pair.firewalls[role].apiKey;
      if ('secretsManager' in key) refs.push(key.secretsManager);
    }
  }
  return unique(refs);
}

const zoneId = (id: string) => id.replace(/^\/hostedzone\//, '');

/** EC2 calls that cannot be scoped to a resource (Describe*): the read side of every function. */
const EC2_READ = ['ec2:DescribeInstances', 'ec2:DescribeInstanceStatus', 'ec2:DescribeRouteTables', 'ec2:DescribeAddresses'];

function logStatement(functionName: string): Statement {
  return {
    Sid: 'OwnLogs',
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: arn('logs', `log-group:/aws/lambda/${functionName}:*`),
  };
}

/**
 * What Lambda needs to attach a function to the VPC. The AWS managed policy
 * (AWSLambdaVPCAccessExecutionRole, v3) grants all six actions on `*`: a function that parses
 * firewall answers could then delete or strip the secondary IPs of any ENI in the region, the
 * firewalls' included. Here only the two Describe calls (which take no resource) are on `*`;
 * creating an interface needs the deployment's own subnets and security groups as resources,
 * and creating, deleting and (un)assigning addresses are limited by `ec2:Subnet` (the ARN of
 * the interface's subnet, Service Authorization Reference) to interfaces in those subnets.
 */
function vpcAccess(section: DeploymentConfig): Statement[] {
  const subnets = section.subnetIds.map((id) => arn('ec2', `subnet/${id}`));
  const inOwnSubnets: Cfn = { ArnEquals: { 'ec2:Subnet': subnets } };
  return [
    { Sid: 'VpcDescribe', Effect: 'Allow', Action: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'], Resource: '*' },
    {
      Sid: 'VpcCreateInterfaceIn',
      Effect: 'Allow',
      Action: ['ec2:CreateNetworkInterface'],
      Resource: [...subnets, ...section.securityGroupIds.map((id) => arn('ec2', `security-group/${id}`))],
    },
    {
      Sid: 'VpcOwnInterfaces',
      Effect: 'Allow',
      Action: ['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
      Resource: arn('ec2', 'network-interface/*'),
      Condition: inOwnSubnets,
    },
  ];
}

const TRACING: Statement = {
  Sid: 'Tracing',
  Effect: 'Allow',
  Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
  Resource: '*',
};

/** The objects of some pairs that the roles name: every ARN list and condition value comes from here. */
function scopeOf(pairs: readonly PairConfig[]) {
  return {
    instances: unique(pairs.flatMap((p) => ROLES.map((r) => p.firewalls[r].instanceId))),
    routeTables: unique(pairs.flatMap((p) => p.routes.map((r) => r.routeTableId))),
    allocations: unique(pairs.flatMap((p) => p.elasticIps.map((e) => e.allocationId))),
    enis: unique(pairs.flatMap((p) => p.elasticIps.flatMap((e) => ROLES.map((r) => e[r].networkInterfaceId)))),
    zones: unique(pairs.flatMap((p) => p.dnsRecords.map((d) => zoneId(d.hostedZoneId)))),
    recordNames: unique(pairs.flatMap((p) => p.dnsRecords.map((d) => normalizedRecordName(d.name)))),
    recordTypes: unique(pairs.flatMap((p) => p.dnsRecords.map((d) => d.type))),
    secrets: secretRefs(pairs),
    parameters: parameterRefs(pairs),
    // The table holds one item set per pair: a function can only touch the listed pairs' items.
    leadingKeys: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': pairs.map((p) => `pair#${p.name}`) } } as Cfn,
  };
}

type Scope = ReturnType<typeof scopeOf>;

/** Route, Elastic IP and instance changes on the scope's objects. */
function ec2Moves(scope: Scope, pairs: readonly PairConfig[], sid: string, actions: { start: boolean }): Statement[] {
  const out: Statement[] = [];
  if (scope.routeTables.length > 0) {
    out.push({
      Sid: `${sid}Routes`,
      Effect: 'Allow',
      Action: ['ec2:ReplaceRoute', 'ec2:CreateRoute'],
      Resource: scope.routeTables.map((id) => arn('ec2', `route-table/${id}`)),
    });
  }
  const instanceArns = (ps: readonly PairConfig[]) => ps.flatMap((p) => ROLES.map((r) => arn('ec2', `instance/${p.firewalls[r].instanceId}`)));
  // One statement for the Elastic IPs and the instances: each action only ever matches its own
  // resource types (AssociateAddress: the allocation, the ENI and the instance it is attached
  // to, as the authorization reference lists them; Start/StopInstances: the instance), so this
  // allows exactly what separate statements would, and names every instance once (IAM's size
  // limits: infra/iam.ts).
  out.push({
    Sid: `${sid}AddressesAndInstances`,
    Effect: 'Allow',
    Action: [...(scope.allocations.length > 0 ? ['ec2:AssociateAddress'] : []), ...(actions.start ? ['ec2:StartInstances'] : []), 'ec2:StopInstances'],
    Resource: [
      ...scope.allocations.map((id) => arn('ec2', `elastic-ip/${id}`)),
      ...(scope.allocations.length > 0 ? scope.enis.map((id) => arn('ec2', `network-interface/${id}`)) : []),
      ...instanceArns(pairs),
    ],
  });
  if (actions.start) {
    // The fallback instance types: only pairs that list some, only the InstanceType attribute
    // (the request must set it, to one of the listed types: ec2:Attribute/${AttributeName} in the
    // Service Authorization Reference), never user data, security groups or anything else.
    const withFallback = pairs.filter((p) => p.start.fallbackInstanceTypes.length > 0);
    if (withFallback.length > 0) {
      out.push({
        Sid: `${sid}FallbackType`,
        Effect: 'Allow',
        Action: ['ec2:ModifyInstanceAttribute'],
        Resource: instanceArns(withFallback),
        Condition: { StringEquals: { 'ec2:Attribute/InstanceType': unique(withFallback.flatMap((p) => p.start.fallbackInstanceTypes)) } },
      });
    }
  }
  return out;
}

/** Route 53: read and UPSERT the scope's record names and types in its zones. */
function dnsChanges(scope: Scope, sid: string): Statement[] {
  if (scope.zones.length === 0) return [];
  const zones = scope.zones.map((z) => arn('route53', `hostedzone/${z}`, true));
  return [
    { Sid: `${sid}Read`, Effect: 'Allow', Action: ['route53:ListResourceRecordSets'], Resource: zones },
    {
      Sid: `${sid}Change`,
      Effect: 'Allow',
      Action: ['route53:ChangeResourceRecordSets'],
      Resource: zones,
      // Only UPSERTs of the configured names and types, whatever else the zone holds.
      Condition: {
        'ForAllValues:StringEquals': {
          'route53:ChangeResourceRecordSetsNormalizedRecordNames': scope.recordNames,
          'route53:ChangeResourceRecordSetsRecordTypes': scope.recordTypes,
          'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
        },
      },
    },
  ];
}

/**
 * Per function: the statements that name the objects of `pairs` (instances, route tables,
 * addresses, records, secrets, the pairs' items in the table). Called with all pairs, or with a
 * run of them for one policy (infra/iam.ts packs them).
 */
function pairStatements(pairs: readonly PairConfig[], names: Deployment['names']): Record<FunctionKey, Statement[]> {
  const scope = scopeOf(pairs);
  const table = arn('dynamodb', `table/${names.table}`);
  const item = (sid: string, actions: string[]): Statement => ({ Sid: sid, Effect: 'Allow', Action: actions, Resource: table, Condition: scope.leadingKeys });
  const readSecrets: Statement[] =
    scope.secrets.length === 0 ? [] : [{ Sid: 'ApiKeys', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: scope.secrets.map(secretResource) }];
  // SecureString parameters under the AWS managed key aws/ssm: its key policy lets Parameter
  // Store decrypt for any principal of the account allowed to read the parameter, so no
  // kms:Decrypt here (a customer-managed key is not supported: ADR 0010).
  if (scope.parameters.length > 0) readSecrets.push({ Sid: 'ApiKeyParameters', Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: scope.parameters.map(parameterResource) });
  return {
    healthProbe: [item('State', ['dynamodb:GetItem', 'dynamodb:PutItem']), ...readSecrets],
    flowControl: [
      item('LockAndOwner', ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem']),
      // Abort completes or undoes a half-done move: the same moves as the cutover, and the fence.
      ...ec2Moves(scope, pairs, 'Abort', { start: false }),
      ...dnsChanges(scope, 'AbortDns'),
    ],
    flowAws: [
      // The lock, read before every step that changes AWS.
      item('Lock', ['dynamodb:GetItem']),
      ...ec2Moves(scope, pairs, 'Cutover', { start: true }),
      ...dnsChanges(scope, 'Dns'),
    ],
    flowFirewall: [item('Owner', ['dynamodb:GetItem']), ...readSecrets],
  };
}

/** Per function: the statements that do not depend on the pairs. */
function sharedStatements(config: Config, names: Deployment['names']): Record<FunctionKey, Statement[]> {
  const topic = arn('sns', names.topic);
  const stateMachine = arn('states', `stateMachine:${names.stateMachine}`);
  const executions = arn('states', `execution:${names.stateMachine}:*`);
  const vpcAttachment = vpcAccess(deploymentSection(config));
  const ec2Read: Statement = { Sid: 'Ec2Read', Effect: 'Allow', Action: EC2_READ, Resource: '*' };
  const dnsStatus: Statement[] = config.pairs.some((p) => p.dnsRecords.length > 0)
    ? [{ Sid: 'DnsChangeStatus', Effect: 'Allow', Action: ['route53:GetChange'], Resource: arn('route53', 'change/*', true) }]
    : [];
  return {
    healthProbe: [
      logStatement(names.functions.healthProbe),
      ...vpcAttachment,
      ec2Read,
      { Sid: 'StartFlow', Effect: 'Allow', Action: ['states:StartExecution'], Resource: stateMachine },
      { Sid: 'FlowStatus', Effect: 'Allow', Action: ['states:DescribeExecution'], Resource: executions },
      { Sid: 'Notify', Effect: 'Allow', Action: ['sns:Publish'], Resource: topic },
    ],
    flowControl: [
      logStatement(names.functions.flowControl),
      TRACING,
      ec2Read,
      { Sid: 'FlowStatus', Effect: 'Allow', Action: ['states:DescribeExecution'], Resource: executions },
      { Sid: 'Notify', Effect: 'Allow', Action: ['sns:Publish'], Resource: topic },
      ...dnsStatus,
    ],
    flowAws: [logStatement(names.functions.flowAws), TRACING, { ...ec2Read, Action: [...EC2_READ, 'ec2:DescribeInstanceTypes'] }, ...dnsStatus],
    flowFirewall: [logStatement(names.functions.flowFirewall), ...vpcAttachment, TRACING, ec2Read],
  };
}

/** Each function's statements packed into its role's inline and managed policies (infra/iam.ts). */
function packPolicies(config: Config, names: Deployment['names'], region: string, managedQuota: number): Record<FunctionKey, PackedRole<Statement>> {
  // The self-test's grants (infra/selftest.ts) come on top of what each function's code calls.
  const selftestContext = { names, arn, topic: arn('sns', names.topic), table: arn('dynamodb', `table/${names.table}`) };
  const code = sharedStatements(config, names);
  const shared = perFunction((fn) => [...code[fn], ...selftestStatements(fn, selftestContext)]);
  const forPairs = (fn: FunctionKey) => (indexes: readonly number[]) => pairStatements(indexes.map((i) => config.pairs[i] as PairConfig), names)[fn];
  // Every role that does not fit is named at once.
  const issues: ValidationIssue[] = [];
  const packed = perFunction((fn) => {
    try {
      return packRole(names.roles[fn], config.pairs.length, shared[fn], forPairs(fn), region, managedQuota);
    } catch (e) {
      if (!(e instanceof ConfigInvalidError)) throw e;
      issues.push(...e.issues);
      return undefined;
    }
  });
  if (issues.length > 0) throw new ConfigInvalidError('for deployment (IAM limits)', issues);
  return packed as Record<FunctionKey, PackedRole<Statement>>;
}

function role(fn: FunctionKey, packed: PackedRole<Statement>, names: Deployment['names']): Cfn {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      // IAM names are account-wide: the region keeps two regions' controllers apart.
      RoleName: names.roles[fn],
      Description: `pan-failover ${FUNCTIONS[fn].dir}: only what this function calls`,
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      },
      Policies: [{ PolicyName: 'least-privilege', PolicyDocument: packed.inline as unknown as Json }],
    },
  };
}

/** One IAM policy document attached to a function's role, as the stack creates it (ARNs still CloudFormation intrinsics). */
export interface RolePolicy {
  readonly name: string;
  readonly document: { readonly Version?: string; readonly Statement: readonly Json[] };
}

/**
 * Every policy document attached to a function's role in the generated stack: the role's inline
 * policies, and the stack's customer-managed policies attached to it (listed in the role's
 * `ManagedPolicyArns`, or naming the role in their `Roles`). This is what IAM evaluates for the
 * function; the simulator enforces exactly this (`sim/iam/deployed-roles.ts`), so it is the one
 * reader of how the roles' permissions are laid out.
 */
export function rolePolicies(d: Pick<Deployment, 'resources' | 'names'>, fn: FunctionKey): RolePolicy[] {
  const roleId = LOGICAL.role(fn);
  const resource = (id: string) => d.resources[id] as { Type?: string; Properties?: Record<string, unknown> } | undefined;
  const props = resource(roleId)?.Properties;
  if (props === undefined) throw new Error(`the stack has no role ${roleId} for ${fn}`);
  const out: RolePolicy[] = [];
  const seen = new Set<string>();
  for (const p of (props.Policies ?? []) as { PolicyName: string; PolicyDocument: RolePolicy['document'] }[]) {
    out.push({ name: `${roleId}/${p.PolicyName}`, document: p.PolicyDocument });
  }
  const managed = (id: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    const r = resource(id);
    if (r?.Type !== 'AWS::IAM::ManagedPolicy' && r?.Type !== 'AWS::IAM::Policy') throw new Error(`${roleId} names ${id}, which is not a policy of the stack`);
    const pp = r.Properties as { ManagedPolicyName?: string; PolicyName?: string; PolicyDocument: RolePolicy['document'] };
    out.push({ name: pp.ManagedPolicyName ?? pp.PolicyName ?? id, document: pp.PolicyDocument });
  };
  for (const ref of (props.ManagedPolicyArns ?? []) as Json[]) {
    const id = typeof ref === 'object' && ref !== null && !Array.isArray(ref) && typeof ref.Ref === 'string' ? ref.Ref : undefined;
    // An AWS managed policy (an ARN string) cannot be read here: its content is AWS's.
    if (id === undefined) throw new Error(`${roleId} attaches ${JSON.stringify(ref)}: only the stack's own policies can be evaluated`);
    managed(id);
  }
  const roleName = d.names.roles[fn];
  for (const [id, r] of Object.entries(d.resources) as [string, { Type?: string; Properties?: { Roles?: Json[] } }][]) {
    if (r.Type !== 'AWS::IAM::ManagedPolicy' && r.Type !== 'AWS::IAM::Policy') continue;
    const roles = r.Properties?.Roles ?? [];
    if (roles.some((x) => x === roleName || (typeof x === 'object' && x !== null && !Array.isArray(x) && x.Ref === roleId))) managed(id);
  }
  return out;
}

/** The managed policies of a role that holds more pairs than its inline policy can (logical id -> resource). */
function managedPolicies(fn: FunctionKey, packed: PackedRole<Statement>, names: Deployment['names']): Cfn {
  const out: Cfn = {};
  packed.managed.forEach((document, i) => {
    const pairs = packed.managedPairs[i] ?? [];
    out[managedPolicyLogicalId(fn, i)] = {
      Type: 'AWS::IAM::ManagedPolicy',
      Properties: {
        ManagedPolicyName: `${names.roles[fn]}-${i + 1}`,
        Description: `pan-failover ${FUNCTIONS[fn].dir}: the objects of pairs ${(pairs[0] ?? 0) + 1} to ${(pairs.at(-1) ?? 0) + 1}`,
        Roles: [{ Ref: LOGICAL.role(fn) }],
        PolicyDocument: document as unknown as Json,
      },
    };
  });
  return out;
}

const managedPolicyLogicalId = (fn: FunctionKey, i: number) => `${LOGICAL.role(fn)}Pairs${i + 1}Policy`;

/**
 * A record name as Route 53's IAM condition keys compare it: lower case, no trailing dot, and any
 * character other than a-z, 0-9, hyphen, underscore and dot as a backslash and three octal
 * digits (`*.example.com` -> `\\052.example.com`).
 */
export function normalizedRecordName(name: string): string {
  return name
    .replace(/\.$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9_.-]/g, (c) => `\\${(c.codePointAt(0) ?? 0).toString(8).padStart(3, '0')}`);
}

/** `pan-failover-<stage>-<pair>-<firewall>-status-check`: EC2's status checks of one firewall. */
export function statusCheckAlarmName(prefix: string, pair: PairConfig, role: (typeof ROLES)[number]): string {
  return `${prefix}-${pair.name}-${pair.firewalls[role].name}-status-check`;
}

export function drillAlarmName(prefix: string, pair: PairConfig): string {
  return `${prefix}-${pair.name}-drill-failed`;
}

/** What the drill schedule's rule sends the state machine (a strict flow input: `parseFlowInput` accepts it). */
export function scheduledDrillInput(pair: PairConfig): Record<string, string> {
  return { pair: pair.name, action: 'drill', source: 'drill', reason: `scheduled drill (drill.schedule ${pair.drill.schedule ?? ''})`.slice(0, 500) };
}

interface AlarmSpec {
  readonly name: string;
  readonly description: string;
  readonly namespace: string;
  readonly metric: string;
  readonly dimensions: Record<string, Json>;
  readonly statistic: 'Sum' | 'Maximum' | 'Minimum';
  readonly threshold: number;
  readonly comparison: 'GreaterThanOrEqualToThreshold' | 'LessThanThreshold';
  readonly periods: number;
  readonly missing: 'breaching' | 'notBreaching' | 'missing';
  readonly okActions: boolean;
}

function alarm(spec: AlarmSpec): Cfn {
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: spec.name,
      AlarmDescription: spec.description,
      Namespace: spec.namespace,
      MetricName: spec.metric,
      Dimensions: Object.entries(spec.dimensions).map(([Name, Value]) => ({ Name, Value })),
      Statistic: spec.statistic,
      Period: 60,
      EvaluationPeriods: spec.periods,
      DatapointsToAlarm: spec.periods,
      Threshold: spec.threshold,
      ComparisonOperator: spec.comparison,
      TreatMissingData: spec.missing,
      AlarmActions: [{ Ref: LOGICAL.topic }],
      OKActions: spec.okActions ? [{ Ref: LOGICAL.topic }] : [],
    },
  };
}

const logicalName = (s: string) =>
  s
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');

/**
 * Powertools adds the service name as a dimension to every metric it writes: an alarm or a chart
 * must name it too, or it looks at a metric nobody writes.
 */
export const POWERTOOLS_DIMENSIONS = { service: SERVICE_NAME } as const;

/** Every alarm of the stack: per pair, then the probe function's and the flow's; `triggers` names those that start the flow. */
function alarms(config: Config, names: Deployment['names']): { resources: Cfn; triggers: string[] } {
  const resources: Cfn = {};
  const triggers: string[] = [];
  config.pairs.forEach((pair, p) => {
    for (const role of ROLES) {
      const name = statusCheckAlarmName(names.prefix, pair, role);
      triggers.push(name);
      resources[`StatusCheckPair${p + 1}${logicalName(role)}Alarm`] = statusCheckAlarm(name, pair, role);
    }
    Object.assign(resources, pairProbeAlarms(names, pair, `Pair${p + 1}`));
  });
  Object.assign(resources, functionAndFlowAlarms(names));
  return { resources, triggers };
}

/** A firewall's EC2 status checks failed for two minutes: the alarm that starts the failover flow. */
function statusCheckAlarm(name: string, pair: PairConfig, role: Role): Cfn {
  const fw = pair.firewalls[role];
  // Two failed minutes in a row (not one blip); a stopped standby has no data: not breaching.
  return alarm({
    name,
    description: `EC2 status checks of ${fw.name} (${pair.name}, ${role}) failed for 2 minutes: starts the failover flow, which re-checks both firewalls before it moves anything`,
    namespace: 'AWS/EC2',
    metric: 'StatusCheckFailed',
    dimensions: { InstanceId: fw.instanceId },
    statistic: 'Maximum',
    threshold: 1,
    comparison: 'GreaterThanOrEqualToThreshold',
    periods: 2,
    missing: 'notBreaching',
    okActions: false,
  });
}

/** A pair's alarms on the probe's and the drill's metrics: drill failed, probe silent, controller blind. */
function pairProbeAlarms(names: Deployment['names'], pair: PairConfig, id: string): Cfn {
  const { prefix } = names;
  const resources: Cfn = {};
  if (pair.drill.schedule !== undefined) {
    // One data point per scheduled drill (DrillFinish): 1 if it failed. No OK message: the
    // next minute has no data, and the next drill's notification says how it went.
    resources[`DrillFailed${id}Alarm`] = alarm({
      name: drillAlarmName(prefix, pair),
      description: `The scheduled standby drill of ${pair.name} failed: its standby could not be started, never became ready, or could not be stopped again. Until a drill succeeds, a failover would likely fail the same way (docs/runbook.md#drill-failed)`,
      namespace: METRICS_NAMESPACE,
      metric: 'ScheduledDrillFailed',
      dimensions: { Pair: pair.name, ...POWERTOOLS_DIMENSIONS },
      statistic: 'Maximum',
      threshold: 1,
      comparison: 'GreaterThanOrEqualToThreshold',
      periods: 1,
      missing: 'notBreaching',
      okActions: false,
    });
  }
  resources[`ProbeSilent${id}Alarm`] = alarm({
    name: `${prefix}-${pair.name}-probe-silent`,
    description: `No probe round of ${pair.name} for 3 minutes: the health probe or its loop (${names.probeLoop}, its failed executions logged in ${names.probeLoopLogGroup}) is not running, or the probe cannot read the pair's state; failures are not being detected`,
    namespace: METRICS_NAMESPACE,
    metric: 'ProbeRound',
    dimensions: { Pair: pair.name, ...POWERTOOLS_DIMENSIONS },
    statistic: 'Sum',
    threshold: 1,
    comparison: 'LessThanThreshold',
    periods: 3,
    missing: 'breaching',
    okActions: true,
  });
  resources[`ControllerBlind${id}Alarm`] = alarm({
    name: `${prefix}-${pair.name}-controller-blind`,
    description: `For 2 minutes the probe could not observe ${pair.name}: it reached neither firewall nor the EC2 API (check the controller's subnets, endpoints, security group), or it cannot read the active firewall's API key (check Secrets Manager and its endpoint). It will not fail over while blind`,
    namespace: METRICS_NAMESPACE,
    metric: 'ControllerBlind',
    dimensions: { Pair: pair.name, ...POWERTOOLS_DIMENSIONS },
    statistic: 'Maximum',
    threshold: 1,
    comparison: 'GreaterThanOrEqualToThreshold',
    periods: 2,
    missing: 'notBreaching',
    okActions: true,
  });
  return resources;
}

/** The controller's own alarms: the probe function failing, a flow execution failed or timed out. */
function functionAndFlowAlarms(names: Deployment['names']): Cfn {
  const resources: Cfn = {};
  resources.ProbeErrorsAlarm = alarm({
    name: `${names.prefix}-probe-errors`,
    description: 'The health-probe function failed 3 minutes in a row (see its log)',
    namespace: 'AWS/Lambda',
    metric: 'Errors',
    dimensions: { FunctionName: names.functions.healthProbe },
    statistic: 'Sum',
    threshold: 1,
    comparison: 'GreaterThanOrEqualToThreshold',
    periods: 3,
    missing: 'notBreaching',
    okActions: true,
  });
  for (const [metric, what] of [
    ['ExecutionsFailed', 'failed'],
    ['ExecutionsTimedOut', 'timed out'],
  ] as const) {
    resources[`Flow${metric}Alarm`] = alarm({
      name: `${names.prefix}-flow-${metric === 'ExecutionsFailed' ? 'failed' : 'timed-out'}`,
      description: `A failover flow execution ${what}: read its notification and history, then docs/runbook.md`,
      namespace: 'AWS/States',
      metric,
      dimensions: { StateMachineArn: arn('states', `stateMachine:${names.stateMachine}`) },
      statistic: 'Sum',
      threshold: 1,
      comparison: 'GreaterThanOrEqualToThreshold',
      periods: 1,
      missing: 'notBreaching',
      okActions: false,
    });
  }
  return resources;
}

/**
 * The state table: kept when the stack is deleted or the resource replaced (it holds the owner
 * records and locks), and protected against deletion by anyone (DeletionProtectionEnabled).
 */
function stateTable(names: Deployment['names']): Cfn {
  return {
    Type: 'AWS::DynamoDB::Table',
    DeletionPolicy: 'Retain',
    UpdateReplacePolicy: 'Retain',
    Properties: {
      TableName: names.table,
      BillingMode: 'PAY_PER_REQUEST',
      DeletionProtectionEnabled: true,
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    },
  };
}

/** The probe's reserved concurrency in serverless.yml (two invocations may overlap at the minute). */
export const PROBE_CONCURRENCY = 2;
/** Concurrency Lambda keeps unreserved in every account. */
export const LAMBDA_UNRESERVED_MINIMUM = 100;

/**
 * Each flow function runs at most one task per running flow, one flow per pair; a trigger that
 * loses the race for a pair's lock (probe, alarm and a person at once) runs briefly beside it.
 */
export function concurrencyFor(config: Config): Deployment['concurrency'] {
  const flow = config.pairs.length + 2;
  return { probe: PROBE_CONCURRENCY, flow, accountLimitNeeded: LAMBDA_UNRESERVED_MINIMUM + PROBE_CONCURRENCY + 3 * flow };
}

/**
 * The probe's memory for one pair: 1.5 x the built bundle's peak resident set measured with
 * Lambda's V8 limits for this size (`npm run bench -- --only cost`: about 91-98 MiB). It idles
 * most of each minute, so every MB is paid for some 50 s a minute.
 */
export const PROBE_BASE_MEMORY_MB = 160;
/**
 * CPU of one probe round per pair on one full core (ms; a warm pair, both firewalls answering,
 * tunnels checked, every call a fresh TLS connection): 22-36 ms measured on a shared x86 core at
 * 50 pairs (`npm run bench -- --only scale`), rounded up for Lambda's slower arm64 cores.
 */
export const PROBE_ROUND_CPU_MS_PER_PAIR = 40;
/** The probe's peak resident set with one pair (MiB; the highest the bench has measured), and what each further pair adds (125-128 MiB at 50 pairs). */
export const PROBE_PEAK_MIB_ONE_PAIR = 98;
export const PROBE_PEAK_MIB_PER_PAIR = 0.8;
/** Memory deployed over the measured peak. */
export const PROBE_MEMORY_HEADROOM = 1.5;
/** Lambda gives a function one full vCPU at 1,769 MB, and CPU in proportion to memory below that. */
export const LAMBDA_MB_PER_VCPU = 1769;
const LAMBDA_MAX_MEMORY_MB = 10_240;

/**
 * The probe's memory for `config`, at least the one-pair size: the larger of what its memory
 * needs (1.5 x the peak, which grows with the pairs) and what its CPU needs, since Lambda's CPU follows memory: a
 * healthy round's own CPU must take at most half the shortest probe timeout, or a round of many
 * pairs would overrun its timeouts and interval at the small size that suits one pair. Rounded
 * up to 64 MB.
 */
export function probeMemoryFor(config: Config): number {
  const pairs = config.pairs.length;
  const timeoutMs = Math.min(...config.pairs.map((p) => p.probe.timeoutSeconds * 1000));
  const forMemory = PROBE_MEMORY_HEADROOM * (PROBE_PEAK_MIB_ONE_PAIR + PROBE_PEAK_MIB_PER_PAIR * Math.max(0, pairs - 1));
  const forCpu = (LAMBDA_MB_PER_VCPU * pairs * PROBE_ROUND_CPU_MS_PER_PAIR) / (timeoutMs / 2);
  const needed = Math.max(forMemory, forCpu);
  return needed <= PROBE_BASE_MEMORY_MB ? PROBE_BASE_MEMORY_MB : Math.min(LAMBDA_MAX_MEMORY_MB, Math.ceil(needed / 64) * 64);
}

/** Resources a CloudFormation stack may hold. */
export const CFN_RESOURCE_LIMIT = 500;
/** What serverless.yml adds to `resources` (functions, versions, log groups, schedule, state machine, bucket: 18 measured, and a margin). */
const OSLS_RESOURCES = 24;

/** EventBridge's limit on an event pattern (characters, default quota). */
export const EVENT_PATTERN_LIMIT = 2048;

/**
 * Which alarm state changes start the flow: the status-check alarms by name while their list fits
 * in an event pattern, else every EC2 `StatusCheckFailed` alarm whose name starts with the
 * deployment's prefix (the flow accepts only an alarm on a configured instance).
 */
export function triggerPattern(names: Deployment['names'], triggers: readonly string[]): Cfn {
  const base = { source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'] };
  const exact = { ...base, detail: { alarmName: [...triggers], state: { value: ['ALARM'] } } };
  if (JSON.stringify(exact).length <= EVENT_PATTERN_LIMIT) return exact;
  return {
    ...base,
    detail: {
      alarmName: [{ prefix: `${names.prefix}-` }],
      state: { value: ['ALARM'] },
      configuration: { metrics: { metricStat: { metric: { namespace: ['AWS/EC2'], name: ['StatusCheckFailed'] } } } },
    },
  };
}

/**
 * EC2 status-check alarms start the flow (EventBridge picks the execution name; the flow's lock
 * and re-check make a repeated or stale trigger a no-op). The rule's role may be assumed by
 * EventBridge for this rule of this account only, and may only start this state machine.
 */
function alarmTrigger(names: Deployment['names'], triggers: readonly string[]): Cfn {
  const ruleName = `${names.prefix}-alarm-trigger`;
  return {
    AlarmTriggerRole: {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sts:AssumeRole',
              // The rule's ARN is built from its name: a reference to the rule would be circular.
              Condition: { ArnEquals: { 'aws:SourceArn': arn('events', `rule/${ruleName}`) }, StringEquals: { 'aws:SourceAccount': sub('${AWS::AccountId}') } },
            },
          ],
        },
        Policies: [
          {
            PolicyName: 'start-failover-flow',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [{ Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: LOGICAL.stateMachine } }],
            },
          },
        ],
      },
    },
    AlarmTriggerRule: {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: ruleName,
        Description: 'EC2 status-check alarm of a managed firewall in ALARM -> failover flow',
        EventPattern: triggerPattern(names, triggers),
        Targets: [{ Id: 'failover-flow', Arn: { Ref: LOGICAL.stateMachine }, RoleArn: { 'Fn::GetAtt': ['AlarmTriggerRole', 'Arn'] } }],
      },
    },
  };
}

/** The dashboard: per pair, the firewalls' status, API latency, tunnels, the probe's decisions and the maintenance pause; the flow and the functions. */
export function dashboardBody(config: Config, names: Deployment['names']): Record<string, unknown> {
  const widgets: Record<string, unknown>[] = [];
  const region = '${AWS::Region}';
  const metricWidget = (title: string, metrics: unknown[][], y: number, x: number, extra: Record<string, unknown> = {}) =>
    widgets.push({
      type: 'metric',
      x,
      y,
      width: 8,
      height: 6,
      properties: { title, region, view: 'timeSeries', stacked: false, period: 60, metrics, ...extra },
    });
  let y = 0;
  for (const pair of config.pairs) {
    widgets.push({
      type: 'text',
      x: 0,
      y,
      width: 24,
      height: 1,
      properties: { markdown: `## ${pair.name}: ${pair.firewalls.primary.name} (primary) / ${pair.firewalls.secondary.name} (secondary, ${pair.standbyMode})` },
    });
    y += 1;
    const perFirewall = (metric: string, stat: string) =>
      ROLES.map((r) => [METRICS_NAMESPACE, metric, 'Pair', pair.name, 'Firewall', pair.firewalls[r].name, 'service', SERVICE_NAME, { stat, label: pair.firewalls[r].name }]);
    metricWidget('Firewall status (0 healthy, 1 degraded, 2 booting, 3 stopped, 4 auth, 5 untrusted, 6 unreachable; no line: a cold standby, stopped)', perFirewall('FirewallStatusCode', 'Maximum'), y, 0, {
      yAxis: { left: { min: 0, max: 6 } },
    });
    metricWidget('API latency (ms)', perFirewall('ApiLatency', 'Maximum'), y, 8);
    metricWidget('IPsec tunnels up', perFirewall('TunnelsUp', 'Minimum'), y, 16);
    y += 6;
    const perPair = (metric: string) => [METRICS_NAMESPACE, metric, 'Pair', pair.name, 'service', SERVICE_NAME, { stat: 'Sum', label: metric }];
    metricWidget('Probe rounds, errors, blind rounds', [perPair('ProbeRound'), perPair('ProbeError'), perPair('ControllerBlind')], y, 0);
    metricWidget(
      'Decisions, drift, maintenance pause (1 = paused)',
      [
        perPair('FailoverDecision'),
        perPair('ProbeAlert'),
        [METRICS_NAMESPACE, 'DriftedObjects', 'Pair', pair.name, 'service', SERVICE_NAME, { stat: 'Maximum' }],
        [METRICS_NAMESPACE, 'Paused', 'Pair', pair.name, 'service', SERVICE_NAME, { stat: 'Maximum', label: 'Paused' }],
      ],
      y,
      8,
    );
    metricWidget(
      'Flows by action and outcome',
      [[{ expression: `SEARCH('{${METRICS_NAMESPACE},Action,Outcome,Pair,service} MetricName="FlowResult" Pair="${pair.name}"', 'Sum', 300)`, id: 'flows' }]],
      y,
      16,
      { period: 300 },
    );
    y += 6;
  }
  const sm = `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:${names.stateMachine}`;
  metricWidget(
    'Failover flow executions',
    ['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted'].map((m) => ['AWS/States', m, 'StateMachineArn', sm, { stat: 'Sum' }]),
    y,
    0,
    { period: 300 },
  );
  const fns = Object.keys(FUNCTIONS) as FunctionKey[];
  const loop = `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:${names.probeLoop}`;
  metricWidget(
    'Function errors and failed probe loops',
    [
      ...fns.map((f) => ['AWS/Lambda', 'Errors', 'FunctionName', names.functions[f], { stat: 'Sum', label: FUNCTIONS[f].dir }]),
      ['AWS/States', 'ExecutionsFailed', 'StateMachineArn', loop, { stat: 'Sum', label: 'probe loop failed' }],
    ],
    y,
    8,
  );
  metricWidget('Function duration (max, ms)', fns.map((f) => ['AWS/Lambda', 'Duration', 'FunctionName', names.functions[f], { stat: 'Maximum', label: FUNCTIONS[f].dir }]), y, 16);
  return { widgets };
}

/** The stack's part that depends on the configuration: names, roles and their policies, alarms, dashboard, table, topic. */
export function deployment(config: Config, options: DeploymentOptions = {}): Deployment {
  const section = deploymentSection(config);
  assertDeployableSecrets(config);
  const { stage, region, names } = deploymentNames(config, options);
  const packed = packPolicies(config, names, region, managedPolicyQuota(options));
  const policies: Deployment['policies'] = perFunction((fn) => ({ inline: packed[fn].inline, managed: packed[fn].managed, sizes: roleSizes(packed[fn], region) }));
  const perms = perFunction((fn) => [packed[fn].inline, ...packed[fn].managed].flatMap((doc) => doc.Statement));
  const { resources: alarmResources, triggers } = alarms(config, names);

  const resources: Cfn = {
    ...(options.existingTable ? {} : { [LOGICAL.table]: stateTable(names) }),
    [LOGICAL.topic]: {
      Type: 'AWS::SNS::Topic',
      // Not encrypted with the AWS managed SNS key: CloudWatch alarms cannot publish to a topic
      // under that key (its policy cannot be changed); the messages carry no secrets.
      Properties: { TopicName: names.topic, DisplayName: 'pan-failover' },
    },
    [LOGICAL.dashboard]: {
      Type: 'AWS::CloudWatch::Dashboard',
      Properties: { DashboardName: names.dashboard, DashboardBody: sub(JSON.stringify(dashboardBody(config, names))) },
    },
    // The probe loop's failed executions only (level ERROR): an Express workflow keeps no history.
    [LOGICAL.probeLoopLogGroup]: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: names.probeLoopLogGroup, RetentionInDays: 30 } },
    ...alarmResources,
    ...selftestResources(config, { prefix: names.prefix, stateMachineRef: LOGICAL.stateMachine, topicRef: LOGICAL.topic, namespace: METRICS_NAMESPACE, dimensions: POWERTOOLS_DIMENSIONS }),
  };
  Object.assign(resources, alarmTrigger(names, triggers));
  Object.assign(resources, drillScheduleRules(config));
  resources.NotificationTopicPolicy = notificationTopicPolicy();
  section.notifyEmails.forEach((email, i) => {
    resources[`NotifyEmail${i + 1}Subscription`] = {
      Type: 'AWS::SNS::Subscription',
      Properties: { TopicArn: { Ref: LOGICAL.topic }, Protocol: 'email', Endpoint: email },
    };
  });
  for (const fn of Object.keys(FUNCTIONS) as FunctionKey[]) {
    resources[LOGICAL.role(fn)] = role(fn, packed[fn], names);
    Object.assign(resources, managedPolicies(fn, packed[fn], names));
  }
  assertWithinResourceLimit(config, resources);
  const outputs: Cfn = {
    StateTableName: { Value: names.table },
    NotificationTopicArn: { Value: { Ref: LOGICAL.topic } },
    DashboardName: { Value: names.dashboard },
    ProbeLoopName: { Value: names.probeLoop },
  };
  return { stage, region, names, permissions: perms, policies, concurrency: concurrencyFor(config), memory: { probe: probeMemoryFor(config) }, vpc: { subnetIds: section.subnetIds, securityGroupIds: section.securityGroupIds }, triggerAlarms: triggers, resources, outputs };
}

/** The stage (checked), the one region of every firewall, and the names of the resources (roles and dashboards carry the region: they are account-wide). */
function deploymentNames(config: Config, options: DeploymentOptions): Pick<Deployment, 'stage' | 'region' | 'names'> {
  const service = options.service ?? 'pan-failover';
  const stage = options.stage ?? 'dev';
  if (!/^[a-z0-9-]{1,16}$/.test(stage)) {
    throw new ConfigInvalidError('for deployment', [{ path: 'stage', message: `"${stage}" must be 1 to 16 lower-case letters, digits or dashes` }]);
  }
  const { prefix, stateMachine, probeLoop, table, topic } = stageNames(stage, service);
  const regions = unique(config.pairs.flatMap((p) => ROLES.map((r) => p.firewalls[r].availabilityZone.slice(0, -1))));
  if (regions.length !== 1) {
    throw new ConfigInvalidError('for deployment', [
      { path: 'pairs', message: `the firewalls are in several regions (${regions.join(', ')}): deploy one controller per region, each with its own configuration` },
    ]);
  }
  const region = regions[0] ?? '';
  const functions = Object.fromEntries((Object.keys(FUNCTIONS) as FunctionKey[]).map((k) => [k, `${prefix}-${FUNCTIONS[k].dir}`])) as Record<FunctionKey, string>;
  const roles = Object.fromEntries((Object.keys(FUNCTIONS) as FunctionKey[]).map((k) => [k, `${prefix}-${FUNCTIONS[k].dir}-${region}`.slice(0, 64)])) as Record<FunctionKey, string>;
  // Dashboards are account-wide too.
  // Step Functions delivers logs to groups under /aws/vendedlogs/ without a resource policy per group.
  const probeLoopLogGroup = `/aws/vendedlogs/states/${probeLoop}`;
  return { stage, region, names: { prefix, functions, stateMachine, probeLoop, probeLoopLogGroup, table, topic, dashboard: `${prefix}-${region}`, roles } };
}

/** The account's quota of managed policies per role (checked), IAM's default when not given. */
function managedPolicyQuota(options: DeploymentOptions): number {
  const quota = options.managedPolicyQuota ?? IAM_LIMITS.managedPerRoleDefault;
  if (!Number.isInteger(quota) || quota < 0 || quota > IAM_LIMITS.managedPerRoleMax) {
    throw new ConfigInvalidError('for deployment', [
      { path: 'managedPolicyQuota', message: `${quota} must be a whole number from 0 to ${IAM_LIMITS.managedPerRoleMax} (IAM's highest quota of managed policies per role)` },
    ]);
  }
  return quota;
}

/** The drill schedule of each pair that has one (off by default): the alarm trigger's role starts the drill. */
function drillScheduleRules(config: Config): Cfn {
  const resources: Cfn = {};
  config.pairs.forEach((pair, p) => {
    if (pair.drill.schedule === undefined) return;
    resources[`DrillSchedulePair${p + 1}Rule`] = {
      Type: 'AWS::Events::Rule',
      Properties: {
        Description: `Standby drill of ${pair.name} (drill.schedule, UTC)`,
        ScheduleExpression: pair.drill.schedule,
        State: 'ENABLED',
        Targets: [{ Id: 'standby-drill', Arn: { Ref: LOGICAL.stateMachine }, RoleArn: { 'Fn::GetAtt': ['AlarmTriggerRole', 'Arn'] }, Input: JSON.stringify(scheduledDrillInput(pair)) }],
      },
    };
  });
  return resources;
}

/** The notification topic's policy: CloudWatch alarms of this account may publish to it. */
function notificationTopicPolicy(): Cfn {
  return {
    Type: 'AWS::SNS::TopicPolicy',
    Properties: {
      Topics: [{ Ref: LOGICAL.topic }],
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'CloudWatchAlarms',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: { Ref: LOGICAL.topic },
            Condition: { ArnLike: { 'aws:SourceArn': arn('cloudwatch', 'alarm:*') }, StringEquals: { 'aws:SourceAccount': sub('${AWS::AccountId}') } },
          },
        ],
      },
    },
  };
}

/** Refuses a stack larger than CloudFormation allows (with what serverless.yml adds). */
function assertWithinResourceLimit(config: Config, resources: Cfn): void {
  const total = Object.keys(resources).length + OSLS_RESOURCES;
  if (total > CFN_RESOURCE_LIMIT) {
    throw new ConfigInvalidError('for deployment (CloudFormation limits)', [
      {
        path: 'pairs',
        message: `${config.pairs.length} pairs make a stack of about ${total} resources (4 alarms per pair, the roles' policies, and ${OSLS_RESOURCES} from serverless.yml); a CloudFormation stack holds at most ${CFN_RESOURCE_LIMIT}: split the pairs over two deployments (two stages)`,
      },
    ]);
  }
}

export { IAM_LIMITS };
