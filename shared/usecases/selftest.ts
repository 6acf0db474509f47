/**
 * `pan-failover selftest`: proves, before the day it is needed, that each deployed function may
 * do what a failover and a failback do, and reaches what it needs from where it runs, without
 * changing anything and without notifying anyone.
 *
 * - flow-aws and flow-control send every EC2 call that changes something (start, stop, instance
 *   type, routes, Elastic IPs) with the flow's exact parameters and `DryRun=true`; the calls
 *   without a dry run (Route 53 changes, DynamoDB writes, SNS, Step Functions) are evaluated by
 *   `iam:SimulatePrincipalPolicy` on the function's own role, with the real ARNs and condition
 *   keys, and each of those resources is read once (a harmless read: it exists and answers).
 * - health-probe and flow-firewall (in the VPC) read something harmless from every AWS service
 *   they use (proves the VPC endpoints, security groups and routes), read each API key, and call
 *   each running firewall's API through the pinned TLS; a stopped firewall is "not checked".
 *
 * Each function runs its own part (`selftestFunction`, from its handler) as its own role; the
 * CLI and the scheduled run invoke the four and put the rows together (`runSelftest`).
 */
import type { Config, FirewallConfig, PairConfig, Role } from '../config/schema.js';
import { ROLES } from '../config/schema.js';
import {
  AwsAccessDeniedError,
  AwsError,
  AwsThrottledError,
  AwsTransientError,
  errorMessage,
  FirewallAuthError,
  FirewallError,
  FirewallTimeoutError,
  FirewallTlsUntrustedError,
  FirewallUnreachableError,
  InstanceStateConflictError,
  ManagedResourceNotFoundError,
  SecretUnavailableError,
} from '../errors.js';
import type { Clock } from '../ports/clock.js';
import type { DnsPort } from '../ports/dns.js';
import type { Ec2Port, InstanceInfo } from '../ports/ec2.js';
import type { FirewallApiFactory } from '../ports/firewall.js';
import type { FlowStarter, SecretReader } from '../ports/messaging.js';
import { CONTROLLER_KEY, type Ec2DryRun, type Ec2Mutation, type FunctionInvoker, type PolicyCheck, type PolicySimulator, type SelftestRecord, type SelftestStore, type TopicReader } from '../ports/selftest.js';
import type { Telemetry } from '../observability/telemetry.js';
import type { LockStore } from '../ports/store.js';

export const SELFTEST_FUNCTIONS = ['health-probe', 'flow-control', 'flow-aws', 'flow-firewall'] as const;

export type SelftestFunction = (typeof SELFTEST_FUNCTIONS)[number];

/**
 * - `pass`: allowed and reached;
 * - `denied`: IAM (or EC2's dry run) refuses it, or the firewall refuses the key or its certificate changed;
 * - `unreachable`: no answer (a missing VPC endpoint, security group rule or route; the firewall's API);
 * - `missing`: the resource does not exist (a secret, a table, a topic);
 * - `not-checked`: nothing to check now (a stopped firewall), not a failure;
 * - `unknown`: the check itself could not be made (throttled, an unexpected answer).
 */
export type SelftestResult = 'pass' | 'denied' | 'unreachable' | 'missing' | 'not-checked' | 'unknown';

export interface SelftestRow {
  readonly function: SelftestFunction;
  /** What was checked: `dry run ec2:ReplaceRoute`, `simulate sns:Publish`, `read secretsmanager`, `firewall API`. */
  readonly check: string;
  /** What it was checked on (an ARN, an id, a firewall). */
  readonly resource: string;
  readonly result: SelftestResult;
  /** What was seen (AWS's answer on a failure). */
  readonly detail: string;
  /** What to change, on a failure. */
  readonly fix?: string;
}

/** The event a deployed function recognises as a self-test (no `step`, no schedule fields). */
export interface SelftestEvent {
  readonly selftest: {
    /** Who asked (`cli:<user>`, `schedule`). */
    readonly requestedBy: string;
    /** The flow's state machine, for flow-control's Step Functions checks (it has none in its environment). */
    readonly stateMachineArn?: string;
  };
}

export function isSelftestEvent(event: unknown): event is SelftestEvent {
  if (typeof event !== 'object' || event === null) return false;
  const s = (event as { selftest?: unknown }).selftest;
  return typeof s === 'object' && s !== null && typeof (s as { requestedBy?: unknown }).requestedBy === 'string';
}

/** One function's answer to a self-test event. */
export interface FunctionSelftestReport {
  readonly selftest: 1;
  readonly function: SelftestFunction;
  readonly rows: readonly SelftestRow[];
}

// ---- the checks every function shares ------------------------------------------------------------

/** The function's identity, for IAM's simulation and the ARNs (from its environment). */
export interface SelftestIdentity {
  /** `arn:aws:iam::<account>:role/<name>`; undefined when the deployment does not say (old stack). */
  readonly roleArn: string | undefined;
  readonly region: string;
  readonly tableName: string;
  readonly topicArn: string | undefined;
  /** `pan-failover-<stage>`: the deployed functions' names start with it (flow-control's scheduled run invokes them). */
  readonly functionPrefix?: string;
}

const accountOf = (roleArn: string | undefined): string | undefined => /^arn:[^:]+:iam::(\d{12}):role\//.exec(roleArn ?? '')?.[1];
const partitionOf = (roleArn: string | undefined): string => /^arn:([^:]+):/.exec(roleArn ?? '')?.[1] ?? 'aws';
const roleNameOf = (roleArn: string | undefined): string => roleArn?.replace(/^.*:role\/(.*\/)?/, '') ?? 'the function\'s role';

/** Route 53's normalized record name for IAM conditions: lower case, no final dot, unusual characters in octal. */
export function iamRecordName(name: string): string {
  return name
    .replace(/\.$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9_.-]/g, (c) => `\\${(c.codePointAt(0) ?? 0).toString(8).padStart(3, '0')}`);
}

const REDEPLOY = 'redeploy the current package (`npm run package`, then `npx osls deploy --package .serverless`): the generated role grants it; if it already does, an SCP or a permissions boundary denies it';

/** What an in-VPC function's failure to reach a service means. */
function endpointFix(service: string, fn: SelftestFunction): string {
  const endpoint =
    service === 'dynamodb'
      ? 'a gateway endpoint for DynamoDB on the route tables of the controller subnets'
      : `an interface VPC endpoint for ${service} (com.amazonaws.<region>.${service}) with private DNS, in the controller subnets`;
  return `${fn} runs in the VPC (deployment.subnetIds): add ${endpoint}, and let its security group accept HTTPS (443) from the functions' security group`;
}

/** The row of a failed AWS call, by what the error means. */
/** A denial of GetSecretValue on the bare name (no `-XXXXXX` suffix): no secret of that name exists. */
function deniedAsAbsentSecret(message: string, secretName: string): boolean {
  const resource = /on resource: (\S+)/.exec(message)?.[1];
  if (resource === undefined) return false;
  const name = resource.replace(/^arn:[^:]+:secretsmanager:[^:]*:\d*:secret:/, '');
  return name === secretName.replace(/^arn:[^:]+:secretsmanager:[^:]*:\d*:secret:/, '');
}

function awsFailure(fn: SelftestFunction, check: string, resource: string, e: unknown, options: { service: string; inVpc: boolean; missingFix?: string; secretName?: string }): SelftestRow {
  const detail = errorMessage(e);
  const inner = e instanceof SecretUnavailableError && e.cause instanceof AwsError ? e.cause : e;
  if (inner instanceof AwsAccessDeniedError && options.secretName !== undefined && deniedAsAbsentSecret(inner.message, options.secretName)) {
    // The role may read `<name>-??????` (a secret's ARN ends with a random suffix): a secret that
    // does not exist has no such ARN, so Secrets Manager answers AccessDenied, not NotFound.
    return { function: fn, check, resource, result: 'missing', detail: `${detail} (Secrets Manager answers so for a secret that does not exist)`, fix: options.missingFix ?? `create the secret ${options.secretName}` };
  }
  if (inner instanceof AwsAccessDeniedError) return { function: fn, check, resource, result: 'denied', detail, fix: REDEPLOY };
  if (inner instanceof ManagedResourceNotFoundError || (inner instanceof AwsError && /NotFound|NoSuch|does not exist/i.test(`${inner.awsCode ?? ''} ${inner.message}`))) {
    return { function: fn, check, resource, result: 'missing', detail, fix: options.missingFix ?? `create ${resource}, or correct the configuration that names it` };
  }
  if (inner instanceof AwsTransientError) {
    return {
      function: fn,
      check,
      resource,
      result: 'unreachable',
      detail,
      fix: options.inVpc ? endpointFix(options.service, fn) : `${options.service} did not answer: run selftest again; if it persists, check the AWS Health Dashboard`,
    };
  }
  if (inner instanceof AwsThrottledError) return { function: fn, check, resource, result: 'unknown', detail, fix: 'throttled: run selftest again in a minute' };
  return { function: fn, check, resource, result: 'unknown', detail, fix: 'an answer the self-test did not expect: read the detail' };
}

async function attempt(fn: SelftestFunction, check: string, resource: string, call: () => Promise<string | undefined>, failure: (e: unknown) => SelftestRow): Promise<SelftestRow> {
  try {
    const detail = await call();
    return { function: fn, check, resource, result: 'pass', detail: detail ?? 'ok' };
  } catch (e) {
    return failure(e);
  }
}

// ---- EC2 dry runs (flow-aws, flow-control) -------------------------------------------------------

export interface PlannedMutation {
  readonly call: Ec2Mutation;
  /** Why the flow makes it (`failover fw-a -> fw-b`). */
  readonly why: string;
}

function mutationResource(call: Ec2Mutation): string {
  switch (call.action) {
    case 'StartInstances':
    case 'StopInstances':
      return call.instanceId;
    case 'ModifyInstanceAttribute':
      return `${call.instanceId} InstanceType=${call.instanceType}`;
    case 'ReplaceRoute':
    case 'CreateRoute':
      return `${call.routeTableId} ${call.destination} -> ${call.networkInterfaceId}`;
    case 'AssociateAddress':
      return `${call.allocationId} -> ${call.networkInterfaceId} (${call.privateIp})`;
  }
}

function key(call: Ec2Mutation): string {
  return JSON.stringify(call);
}

/** The moves toward `target`: every managed route and Elastic IP, as the cutover sends them. */
function moves(pair: PairConfig, target: Role, existingRoutes: ReadonlySet<string>): Ec2Mutation[] {
  return [
    ...pair.routes.map((r): Ec2Mutation => ({
      action: existingRoutes.has(`${r.routeTableId} ${r.destination}`) ? 'ReplaceRoute' : 'CreateRoute',
      routeTableId: r.routeTableId,
      destination: r.destination,
      networkInterfaceId: r.targets[target],
    })),
    ...pair.elasticIps.map((e): Ec2Mutation => ({ action: 'AssociateAddress', allocationId: e.allocationId, networkInterfaceId: e[target].networkInterfaceId, privateIp: e[target].privateIp })),
  ];
}

const other = (role: Role): Role => (role === 'primary' ? 'secondary' : 'primary');

/**
 * Every EC2 call that changes something in a failover and in a failback of `pair` (flow-aws), or
 * that Abort may make (flow-control: the moves in both directions and the fence).
 * `existingRoutes`: `rtb dest` of the managed routes that exist now (ReplaceRoute; else CreateRoute).
 */
export function plannedMutations(fn: 'flow-aws' | 'flow-control', pair: PairConfig, existingRoutes: ReadonlySet<string>): PlannedMutation[] {
  const out = new Map<string, PlannedMutation>();
  const add = (call: Ec2Mutation, why: string) => {
    if (!out.has(key(call))) out.set(key(call), { call, why });
  };
  for (const target of ROLES) {
    const from = other(target);
    const action = target === 'secondary' ? 'failover' : 'failback';
    const why = `${action} ${pair.firewalls[from].name} -> ${pair.firewalls[target].name}`;
    if (fn === 'flow-aws') {
      add({ action: 'StartInstances', instanceId: pair.firewalls[target].instanceId }, why);
      const fallback = pair.start.fallbackInstanceTypes[0];
      if (fallback !== undefined) add({ action: 'ModifyInstanceAttribute', instanceId: pair.firewalls[target].instanceId, instanceType: fallback }, `${why}, no capacity`);
    }
    for (const m of moves(pair, target, existingRoutes)) add(m, fn === 'flow-aws' ? why : `abort of a ${why}`);
    const fences = pair.fencing !== 'none' && (action === 'failover' || pair.standbyMode !== 'warm');
    if (fences) add({ action: 'StopInstances', instanceId: pair.firewalls[from].instanceId }, fn === 'flow-aws' ? `${why}, fencing` : `abort of a ${why}, fencing`);
  }
  return [...out.values()];
}

async function dryRunRows(fn: 'flow-aws' | 'flow-control', deps: { config: Config; ec2: Ec2Port & Ec2DryRun }): Promise<SelftestRow[]> {
  const rows: SelftestRow[] = [];
  for (const pair of deps.config.pairs) {
    let existing: Set<string>;
    try {
      const tables = await deps.ec2.describeRouteTables([...new Set(pair.routes.map((r) => r.routeTableId))]);
      existing = new Set(tables.flatMap((t) => t.routes.map((r) => `${t.routeTableId} ${r.destination}`)));
    } catch (e) {
      rows.push(awsFailure(fn, 'read ec2:DescribeRouteTables', `route tables of ${pair.name}`, e, { service: 'ec2', inVpc: false }));
      existing = new Set(pair.routes.map((r) => `${r.routeTableId} ${r.destination}`));
    }
    for (const { call, why } of plannedMutations(fn, pair, existing)) {
      const check = `dry run ec2:${call.action}`;
      const resource = mutationResource(call);
      try {
        const answer = await deps.ec2.dryRun(call);
        rows.push(
          answer.allowed
            ? { function: fn, check, resource, result: 'pass', detail: `DryRunOperation (${why})` }
            : { function: fn, check, resource, result: 'denied', detail: `UnauthorizedOperation: ${answer.message}`, fix: REDEPLOY },
        );
      } catch (e) {
        // EC2 checks the permission before the state: a state conflict means the call was allowed
        // (an instance type is only changed on a stopped instance, and this one runs now).
        if (e instanceof InstanceStateConflictError) {
          rows.push({ function: fn, check, resource, result: 'pass', detail: `allowed; EC2 would refuse it in the instance's current state (${errorMessage(e)}), as the flow expects (${why})` });
        } else rows.push(awsFailure(fn, check, resource, e, { service: 'ec2', inVpc: false, missingFix: `the configuration names ${resource}, which does not exist: correct it (\`pan-failover preflight\`)` }));
      }
    }
  }
  return rows;
}

// ---- IAM simulation and harmless reads (flow-aws, flow-control) ------------------------------------

export interface FlowSideDeps {
  readonly config: Config;
  readonly ec2: Ec2Port & Ec2DryRun;
  readonly dns: DnsPort;
  readonly store: Pick<LockStore, 'get'>;
  readonly iam: PolicySimulator;
  readonly identity: SelftestIdentity;
  /** flow-control: the notification topic. */
  readonly topic?: TopicReader;
  /** flow-control: Step Functions lookups on the flow's state machine. */
  readonly executions?: (stateMachineArn: string) => Pick<FlowStarter, 'status'>;
}

const SELFTEST_EXECUTION = 'pan-failover-selftest-no-such-execution';

function dnsChecks(config: Config, partition: string): PolicyCheck[] {
  return config.pairs.flatMap((pair) =>
    pair.dnsRecords.map((rec) => ({
      action: 'route53:ChangeResourceRecordSets',
      resource: `arn:${partition}:route53:::hostedzone/${rec.hostedZoneId.replace(/^\/hostedzone\//, '')}`,
      context: {
        'route53:ChangeResourceRecordSetsNormalizedRecordNames': [iamRecordName(rec.name)],
        'route53:ChangeResourceRecordSetsRecordTypes': [rec.type],
        'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
      },
    })),
  );
}

/** The calls without a dry run that `fn` makes, with their real ARNs and condition keys. */
export function policyChecks(fn: 'flow-aws' | 'flow-control', config: Config, identity: SelftestIdentity, stateMachineArn: string | undefined): PolicyCheck[] {
  const account = accountOf(identity.roleArn) ?? '';
  const partition = partitionOf(identity.roleArn);
  const table = `arn:${partition}:dynamodb:${identity.region}:${account}:table/${identity.tableName}`;
  const tableActions = fn === 'flow-aws' ? ['dynamodb:GetItem'] : ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'];
  const out: PolicyCheck[] = [];
  for (const pair of config.pairs) {
    for (const action of tableActions) out.push({ action, resource: table, context: { 'dynamodb:LeadingKeys': [`pair#${pair.name}`] } });
  }
  out.push(...dnsChecks(config, partition));
  if (config.pairs.some((p) => p.dnsRecords.length > 0)) out.push({ action: 'route53:GetChange', resource: `arn:${partition}:route53:::change/C0SELFTEST`, context: {} });
  if (fn === 'flow-control') {
    if (identity.topicArn) out.push({ action: 'sns:Publish', resource: identity.topicArn, context: {} });
    // The scheduled self-test: flow-control invokes the four functions and stores the result.
    out.push({ action: 'dynamodb:PutItem', resource: table, context: { 'dynamodb:LeadingKeys': [CONTROLLER_KEY] } });
    if (identity.functionPrefix) {
      for (const f of SELFTEST_FUNCTIONS) out.push({ action: 'lambda:InvokeFunction', resource: `arn:${partition}:lambda:${identity.region}:${account}:function:${identity.functionPrefix}-${f}`, context: {} });
    }
    if (stateMachineArn) {
      out.push({ action: 'states:DescribeExecution', resource: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${SELFTEST_EXECUTION}`, context: {} });
    }
  }
  return out;
}

function checkResource(c: PolicyCheck): string {
  const keys = Object.entries(c.context).map(([k, v]) => `${k.replace(/^.*:/, '')}=${v.join(',')}`);
  return keys.length === 0 ? c.resource : `${c.resource} (${keys.join('; ')})`;
}

async function flowSide(fn: 'flow-aws' | 'flow-control', deps: FlowSideDeps, event: SelftestEvent): Promise<SelftestRow[]> {
  const rows = await dryRunRows(fn, deps);
  const { identity } = deps;
  const stateMachineArn = event.selftest.stateMachineArn;
  if (identity.roleArn === undefined || accountOf(identity.roleArn) === undefined) {
    rows.push({
      function: fn,
      check: 'simulate (Route 53, DynamoDB, SNS, Step Functions)',
      resource: 'the function\'s role',
      result: 'unknown',
      detail: 'the function does not know its role (PAN_FAILOVER_ROLE_ARN is not set)',
      fix: 'redeploy the current package: it sets PAN_FAILOVER_ROLE_ARN',
    });
  } else {
    for (const c of policyChecks(fn, deps.config, identity, stateMachineArn)) {
      const check = `simulate ${c.action}`;
      const resource = checkResource(c);
      try {
        const d = await deps.iam.simulate(identity.roleArn, c);
        rows.push(
          d.allowed
            ? { function: fn, check, resource, result: 'pass', detail: `${d.decision} (iam:SimulatePrincipalPolicy on ${roleNameOf(identity.roleArn)})` }
            : { function: fn, check, resource, result: 'denied', detail: `${d.decision}: ${roleNameOf(identity.roleArn)} may not ${c.action} on ${c.resource}`, fix: REDEPLOY },
        );
      } catch (e) {
        const row = awsFailure(fn, check, resource, e, { service: 'iam', inVpc: false });
        if (row.result === 'denied') {
          // The role may not simulate its own policy: one row says so, the other checks cannot be made.
          rows.push({ ...row, check: 'simulate (iam:SimulatePrincipalPolicy)', resource: identity.roleArn, detail: `${row.detail} (the role may not simulate its own policy: the calls without a dry run are not checked)`, fix: `${REDEPLOY} (iam:SimulatePrincipalPolicy on the role itself)` });
          break;
        }
        rows.push(row);
      }
    }
  }
  if (fn === 'flow-control' && stateMachineArn === undefined) {
    rows.push({ function: fn, check: 'simulate states:DescribeExecution', resource: 'the flow\'s state machine', result: 'unknown', detail: 'the self-test event names no state machine', fix: 'name the deployment (`--stage`, or `--state-machine-arn`)' });
  }
  // Harmless reads: each resource exists and answers.
  const table = `table ${identity.tableName}`;
  for (const pair of deps.config.pairs) {
    rows.push(await attempt(fn, 'read dynamodb:GetItem', `${table} (pair#${pair.name} lock)`, async () => {
      await deps.store.get(pair.name);
      return 'answered';
    }, (e) => awsFailure(fn, 'read dynamodb:GetItem', `${table} (pair#${pair.name} lock)`, e, { service: 'dynamodb', inVpc: false, missingFix: 'the state table does not exist: deploy the stack (it creates it)' })));
    for (const rec of pair.dnsRecords) {
      const resource = `${rec.name} ${rec.type} in ${rec.hostedZoneId}`;
      rows.push(await attempt(fn, 'read route53:ListResourceRecordSets', resource, async () => {
        const have = await deps.dns.getRecord(rec.hostedZoneId, rec.name, rec.type);
        return have ? `now ${have.values.join(',')}` : 'absent (the flow creates it)';
      }, (e) => awsFailure(fn, 'read route53:ListResourceRecordSets', resource, e, { service: 'route53', inVpc: false, missingFix: `hosted zone ${rec.hostedZoneId} does not exist in this account: correct dnsRecords in the configuration` })));
    }
  }
  if (fn === 'flow-control') {
    if (deps.topic && identity.topicArn) {
      const topic = deps.topic;
      const arn = identity.topicArn;
      rows.push(await attempt(fn, 'read sns:GetTopicAttributes', arn, async () => {
        await topic.readTopic(arn);
        return 'answered (nothing published)';
      }, (e) => awsFailure(fn, 'read sns:GetTopicAttributes', arn, e, { service: 'sns', inVpc: false, missingFix: 'the notification topic does not exist: deploy the stack (it creates it)' })));
    }
    if (deps.executions && stateMachineArn) {
      const lookups = deps.executions(stateMachineArn);
      rows.push(await attempt(fn, 'read states:DescribeExecution', stateMachineArn, async () => {
        await lookups.status(SELFTEST_EXECUTION);
        return 'answered';
      }, (e) => awsFailure(fn, 'read states:DescribeExecution', stateMachineArn, e, { service: 'states', inVpc: false })));
    }
  }
  return rows;
}

export const selftestFlowAws = (deps: FlowSideDeps, event: SelftestEvent) => flowSide('flow-aws', deps, event);
export const selftestFlowControl = (deps: FlowSideDeps, event: SelftestEvent) => flowSide('flow-control', deps, event);

// ---- the functions in the VPC (health-probe, flow-firewall) ----------------------------------------

export interface VpcSideDeps {
  readonly config: Config;
  readonly ec2: Ec2Port;
  readonly store: Pick<LockStore, 'get'>;
  /** A reader without a cache: a key read earlier must not hide an unreachable Secrets Manager. */
  readonly secrets: SecretReader;
  readonly firewalls: FirewallApiFactory;
  readonly identity: SelftestIdentity;
  /** health-probe: the state machine it starts flows on. */
  readonly flows?: Pick<FlowStarter, 'status'>;
  readonly stateMachineArn?: string;
  /** health-probe: the notification topic. */
  readonly topic?: TopicReader;
}

function firewallFailure(fn: SelftestFunction, fw: FirewallConfig, e: unknown): SelftestRow {
  const check = 'firewall API (show system info)';
  const resource = `${fw.name} ${fw.management.host}:${fw.management.port}`;
  const detail = errorMessage(e);
  if (e instanceof FirewallTlsUntrustedError) return { function: fn, check, resource, result: 'denied', detail, fix: `the certificate is not the one configured: check it, then update ${fw.name}'s tls.pinnedSha256 (or tls.caFile) in the configuration and redeploy` };
  if (e instanceof FirewallAuthError) return { function: fn, check, resource, result: 'denied', detail, fix: `the firewall refuses the API key: put ${fw.name}'s current key in its secret` };
  if (e instanceof FirewallTimeoutError || e instanceof FirewallUnreachableError) {
    return { function: fn, check, resource, result: 'unreachable', detail, fix: `let ${fw.name}'s management interface accept HTTPS (${fw.management.port}) from the functions' security group, and route the controller subnets to ${fw.management.host}` };
  }
  if (e instanceof FirewallError) return { function: fn, check, resource, result: 'unknown', detail, fix: 'the firewall answered with an error: read the detail' };
  return awsFailure(fn, check, resource, e, { service: 'secretsmanager', inVpc: true });
}

async function vpcSide(fn: 'health-probe' | 'flow-firewall', deps: VpcSideDeps): Promise<SelftestRow[]> {
  const rows: SelftestRow[] = [];
  const vpc = { inVpc: true };
  const timeoutMs = Math.min(...deps.config.pairs.map((p) => p.probe.timeoutSeconds * 1000));
  for (const pair of deps.config.pairs) {
    const ids = ROLES.map((r) => pair.firewalls[r].instanceId);
    let instances: Map<string, InstanceInfo> | undefined;
    rows.push(await attempt(fn, 'read ec2:DescribeInstances', ids.join(', '), async () => {
      const found = await deps.ec2.describeInstances(ids);
      instances = new Map(found.map((i) => [i.instanceId, i]));
      return found.map((i) => `${i.instanceId} ${i.state}`).join(', ');
    }, (e) => awsFailure(fn, 'read ec2:DescribeInstances', ids.join(', '), e, { ...vpc, service: 'ec2', missingFix: 'an instance of the configuration does not exist: correct it (`pan-failover preflight`)' })));
    const table = `table ${deps.identity.tableName} (pair#${pair.name})`;
    rows.push(await attempt(fn, 'read dynamodb:GetItem', table, async () => {
      await deps.store.get(pair.name);
      return 'answered';
    }, (e) => awsFailure(fn, 'read dynamodb:GetItem', table, e, { ...vpc, service: 'dynamodb', missingFix: 'the state table does not exist: deploy the stack (it creates it)' })));
    for (const role of ROLES) {
      const fw = pair.firewalls[role];
      const ref = fw.apiKey;
      let keyOk = true;
      if ('secretsManager' in ref) {
        const secretRow = await attempt(fn, 'read secretsmanager:GetSecretValue', `${ref.secretsManager} (${fw.name}'s API key)`, async () => {
          await deps.secrets.getSecretString(ref.secretsManager);
          return 'read (value not shown)';
        }, (e) => awsFailure(fn, 'read secretsmanager:GetSecretValue', `${ref.secretsManager} (${fw.name}'s API key)`, e, {
          ...vpc,
          service: 'secretsmanager',
          secretName: ref.secretsManager,
          missingFix: `create the secret ${ref.secretsManager} with ${fw.name}'s API key (a string), or correct pairs[].firewalls.${role}.apiKey.secretsManager`,
        }));
        keyOk = secretRow.result === 'pass';
        rows.push(secretRow);
      } else if ('ssmParameter' in ref) {
        const resource = `${ref.ssmParameter} (${fw.name}'s API key)`;
        const check = 'read ssm:GetParameter';
        const read = deps.secrets.getParameterString?.bind(deps.secrets);
        const parameterRow = await attempt(fn, check, resource, async () => {
          if (read === undefined) throw new SecretUnavailableError(ref.ssmParameter, 'this function has no Parameter Store reader');
          await read(ref.ssmParameter);
          return 'read and decrypted (value not shown)';
        }, (e) =>
          // Read but refused by the controller: a String parameter (plaintext) or an empty one.
          // The probe would refuse it too, so the run fails (exit 1), as for a denied read.
          e instanceof SecretUnavailableError && !(e.cause instanceof AwsError)
            ? { function: fn, check, resource, result: 'denied', detail: errorMessage(e), fix: `store ${fw.name}'s API key as a SecureString: aws ssm put-parameter --name ${ref.ssmParameter} --type SecureString --overwrite --value file://<key file>` }
            : awsFailure(fn, check, resource, e, {
                ...vpc,
                service: 'ssm',
                missingFix: `create the SecureString parameter ${ref.ssmParameter} with ${fw.name}'s API key (aws ssm put-parameter --type SecureString), or correct pairs[].firewalls.${role}.apiKey.ssmParameter`,
              }),
        );
        keyOk = parameterRow.result === 'pass';
        rows.push(parameterRow);
      }
      const resource = `${fw.name} ${fw.management.host}:${fw.management.port}`;
      const state = instances?.get(fw.instanceId)?.state;
      if (state !== 'running') {
        rows.push({ function: fn, check: 'firewall API (show system info)', resource, result: 'not-checked', detail: state === undefined ? 'not checked (instance state unknown)' : `not checked (${state})` });
        continue;
      }
      if (!keyOk) {
        rows.push({ function: fn, check: 'firewall API (show system info)', resource, result: 'not-checked', detail: 'not checked (no API key: see the row above)' });
        continue;
      }
      rows.push(await attempt(fn, 'firewall API (show system info)', resource, async () => {
        const api = await deps.firewalls.forFirewall(fw, { timeoutMs });
        const info = await api.systemInfo();
        return `answered through the pinned TLS (${info.hostname ?? '?'}, PAN-OS ${info.swVersion ?? '?'})`;
      }, (e) => firewallFailure(fn, fw, e)));
    }
  }
  if (deps.flows && deps.stateMachineArn) {
    const flows = deps.flows;
    rows.push(await attempt(fn, 'read states:DescribeExecution', deps.stateMachineArn, async () => {
      await flows.status(SELFTEST_EXECUTION);
      return 'answered';
    }, (e) => awsFailure(fn, 'read states:DescribeExecution', deps.stateMachineArn ?? '', e, { ...vpc, service: 'states' })));
  }
  if (deps.topic && deps.identity.topicArn) {
    const topic = deps.topic;
    const arn = deps.identity.topicArn;
    rows.push(await attempt(fn, 'read sns:GetTopicAttributes', arn, async () => {
      await topic.readTopic(arn);
      return 'answered (nothing published)';
    }, (e) => awsFailure(fn, 'read sns:GetTopicAttributes', arn, e, { ...vpc, service: 'sns', missingFix: 'the notification topic does not exist: deploy the stack (it creates it)' })));
  }
  return rows;
}

export const selftestHealthProbe = (deps: VpcSideDeps) => vpcSide('health-probe', deps);
export const selftestFlowFirewall = (deps: VpcSideDeps) => vpcSide('flow-firewall', deps);

export function functionReport(fn: SelftestFunction, rows: readonly SelftestRow[]): FunctionSelftestReport {
  return { selftest: 1, function: fn, rows };
}

// ---- the whole self-test (CLI, schedule) -----------------------------------------------------------

export type SelftestVerdict = 'ok' | 'failed' | 'incomplete';

export interface SelftestSummary {
  readonly verdict: SelftestVerdict;
  readonly at: number;
  readonly requestedBy: string;
  readonly rows: readonly SelftestRow[];
  readonly counts: Readonly<Record<SelftestResult, number>>;
}

const FAILURES: readonly SelftestResult[] = ['denied', 'unreachable', 'missing'];

export function verdictOf(rows: readonly SelftestRow[]): SelftestVerdict {
  if (rows.some((r) => FAILURES.includes(r.result))) return 'failed';
  if (rows.some((r) => r.result === 'unknown')) return 'incomplete';
  return 'ok';
}

export interface RunSelftestDeps {
  readonly invoker: FunctionInvoker;
  readonly clock: Clock;
  /** Deployed name of each function (`pan-failover-<stage>-<function>`). */
  readonly functionNames: Readonly<Record<SelftestFunction, string>>;
}

function isReport(value: unknown, fn: SelftestFunction): value is FunctionSelftestReport {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<FunctionSelftestReport>;
  return v.selftest === 1 && v.function === fn && Array.isArray(v.rows);
}

/** Invokes the four functions with a self-test event (concurrently) and puts their rows together. */
export async function runSelftest(deps: RunSelftestDeps, event: SelftestEvent): Promise<SelftestSummary> {
  const at = deps.clock.now();
  const parts = await Promise.all(
    SELFTEST_FUNCTIONS.map(async (fn): Promise<SelftestRow[]> => {
      const name = deps.functionNames[fn];
      try {
        const answer = await deps.invoker.invoke(name, event);
        if (!isReport(answer, fn)) {
          return [{ function: fn, check: 'invoke', resource: name, result: 'unknown', detail: 'the function did not answer with a self-test report (an older deployment?)', fix: 'deploy the current package, then run selftest again' }];
        }
        return [...answer.rows];
      } catch (e) {
        // The function was not checked at all: "could not check", whatever the reason.
        const row = awsFailure(fn, 'invoke', name, e, { service: 'lambda', inVpc: false, missingFix: `no function ${name} here: name the deployment with --stage (and check --region and --profile)` });
        const fix = row.result === 'denied' ? `the credentials in use may not call lambda:InvokeFunction on ${name}: use a role that may` : row.fix;
        return [{ ...row, result: 'unknown', ...(fix === undefined ? {} : { fix }) }];
      }
    }),
  );
  const rows = parts.flat();
  const counts = Object.fromEntries((['pass', 'denied', 'unreachable', 'missing', 'not-checked', 'unknown'] as const).map((r) => [r, rows.filter((x) => x.result === r).length])) as Record<SelftestResult, number>;
  return { verdict: verdictOf(rows), at, requestedBy: event.selftest.requestedBy, rows, counts };
}

/** The functions' deployed names for a deployment prefix (`pan-failover-<stage>`). */
export function functionNamesFor(prefix: string): Record<SelftestFunction, string> {
  return Object.fromEntries(SELFTEST_FUNCTIONS.map((fn) => [fn, `${prefix}-${fn}`])) as Record<SelftestFunction, string>;
}

/** What the state table keeps of a run (`status` shows it). */
export function selftestRecord(summary: SelftestSummary): SelftestRecord {
  return {
    at: summary.at,
    verdict: summary.verdict,
    requestedBy: summary.requestedBy,
    counts: summary.counts,
    problems: summary.rows.filter((r) => r.result !== 'pass' && r.result !== 'not-checked').map((r) => `${r.function}: ${r.check} ${r.resource}: ${r.result}`),
  };
}

/** The scheduled run's event (EventBridge -> flow-control): the whole self-test, stored, with its metric. */
export interface ScheduledSelftestEvent {
  readonly selftestAll: { readonly requestedBy: string; readonly stateMachineArn?: string };
}

export function isScheduledSelftestEvent(event: unknown): event is ScheduledSelftestEvent {
  if (typeof event !== 'object' || event === null) return false;
  const s = (event as { selftestAll?: unknown }).selftestAll;
  return typeof s === 'object' && s !== null && typeof (s as { requestedBy?: unknown }).requestedBy === 'string';
}

export interface ScheduledSelftestDeps extends RunSelftestDeps {
  readonly store: SelftestStore;
  readonly telemetry: Telemetry;
}

/**
 * The scheduled run: the whole self-test, its result stored, and the metric `SelftestFailed`
 * (1 when something failed or could not be checked, else 0) that the `selftest-failed` alarm
 * watches. Nobody is notified by the run itself: the alarm does that.
 */
export async function scheduledSelftest(deps: ScheduledSelftestDeps, event: ScheduledSelftestEvent): Promise<SelftestSummary> {
  const summary = await runSelftest(deps, { selftest: event.selftestAll });
  deps.telemetry.metrics.add('SelftestFailed', 'Count', summary.verdict === 'ok' ? 0 : 1, {});
  deps.telemetry.log[summary.verdict === 'ok' ? 'info' : 'error']('selftest', { verdict: summary.verdict, counts: summary.counts, problems: selftestRecord(summary).problems });
  await deps.store.putLastSelftest(selftestRecord(summary));
  return summary;
}
