/**
 * Configuration schema: one file describes one or more firewall pairs.
 *
 * Validation happens once, at load, in two passes: the zod schema checks shapes, types and
 * unknown keys; `topologyIssues` then refuses topologies that cannot work (an EIP as a route
 * target, one ENI on both sides, an EIP mapped twice, duplicate routes...). Every issue names
 * the field path. See docs/configuration.md for the meaning of each field.
 */
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import type { ValidationIssue } from '../errors.js';
import { canonicalCidr, classifyIpv4, isIpv4, isIpv4Cidr } from './net.js';
import { drillScheduleIssue } from './drill-schedule.js';
import { ssmParameterIssue } from './ssm-parameter.js';

export const ROLES = ['primary', 'secondary'] as const;
export type Role = (typeof ROLES)[number];

export function otherRole(role: Role): Role {
  return role === 'primary' ? 'secondary' : 'primary';
}

const NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;
const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;
const ENI_ID = /^eni-[0-9a-f]{8,17}$/;
const RTB_ID = /^rtb-[0-9a-f]{8,17}$/;
const EIPALLOC_ID = /^eipalloc-[0-9a-f]{8,17}$/;
const HOSTED_ZONE_ID = /^(\/hostedzone\/)?Z[A-Z0-9]{1,31}$/;
const AZ = /^[a-z]{2}(-[a-z]+)+-\d[a-z]$/;
const SHA256_FINGERPRINT = /^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f]{64}$/;
const DNS_NAME = /^(\*\.)?([a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}\.?$/;
const HOSTNAME = /^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,251}[a-zA-Z0-9])?$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
const SECURITY_GROUP_ID = /^sg-[0-9a-f]{8,17}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

// zod/mini (not the chaining API): the Lambda bundles carry about 70 KiB less for the same checks.
// It comes without messages: load the English ones, or every range error reads "Invalid input".
z.config(en());
const seconds = (min: number, max: number) => z.int().check(z.minimum(min), z.maximum(max));
const intIn = seconds;
const matching = (re: RegExp, message: string) => z.string().check(z.regex(re, message));
const text = (min: number, max?: number) =>
  max === undefined ? z.string().check(z.minLength(min)) : z.string().check(z.minLength(min), z.maxLength(max));
const valid = (fn: (v: string) => boolean, message: string) => z.string().check(z.refine(fn, message));
const withDefault = <T extends z.ZodMiniType>(schema: T, value: z.output<T>) => z._default(schema, value as never);

const managementSchema = z.strictObject({
  /** Private IPv4 address (or DNS name) of the management interface; with mgmt-interface-swap this is eth1's address. */
  host: matching(HOSTNAME, 'must be an IPv4 address or a host name'),
  port: withDefault(intIn(1, 65535), 443),
  /** Set when the VM-Series runs with mgmt-interface-swap (eth0 = ethernet1/1, eth1 = management). */
  interfaceSwap: withDefault(z.boolean(), false),
});

const tlsSchema = z.union([
  z.strictObject({
    /** SHA-256 fingerprint of the firewall's certificate, `AB:CD:...` or 64 hex digits. */
    pinnedSha256: matching(SHA256_FINGERPRINT, 'must be a SHA-256 fingerprint (64 hex digits, colons optional)'),
  }),
  z.strictObject({
    /**
     * SHA-256 of the certificate's public key (its DER SubjectPublicKeyInfo), hex. Survives a
     * renewal that keeps the key pair (the certificate pin does not).
     */
    pinnedSpkiSha256: matching(SHA256_FINGERPRINT, 'must be a SHA-256 hash of the public key (64 hex digits, colons optional)'),
  }),
  z.strictObject({
    /** PEM file of the CA that issued the firewall's certificate. */
    caFile: text(1),
    /** Name the certificate is issued to, when it differs from `management.host`. */
    serverName: z.optional(text(1)),
  }),
]);

/**
 * A Secrets Manager secret name (the characters Secrets Manager allows: letters, digits and
 * `/_+=.@-`, at most 512) or a full secret ARN. No wildcard: the deployment turns it into the
 * one resource `GetSecretValue` is allowed on, and `*` would allow every secret in the region.
 */
export const SECRET_ID = /^(?:[A-Za-z0-9/_+=.@-]{1,512}|arn:aws(?:-[a-z]+)*:secretsmanager:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512})$/;

const apiKeySchema = z.union([
  z.strictObject({
    /** Secrets Manager secret id or ARN holding the key (plain string, or JSON with `field`). */
    secretsManager: matching(SECRET_ID, 'must be a Secrets Manager secret name (letters, digits and /_+=.@-) or a secret ARN, without wildcards'),
    field: z.optional(text(1)),
  }),
  /**
   * SSM Parameter Store SecureString parameter (name or ARN) holding the key as a plain string,
   * encrypted with the AWS managed key `aws/ssm` (ADR 0010; shared/config/ssm-parameter.ts).
   */
  z.strictObject({
    ssmParameter: z.string().check(
      z.superRefine((v, ctx) => {
        const issue = ssmParameterIssue(v);
        if (issue !== undefined) ctx.issues.push({ code: 'custom', message: issue, input: v });
      }),
    ),
  }),
  /** A file holding the key (CLI use; never in Lambda). */
  z.strictObject({ file: text(1) }),
  /** An environment variable holding the key (CLI use). */
  z.strictObject({ env: matching(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name') }),
]);

const firewallSchema = z.strictObject({
  name: matching(NAME, 'must be lower-case letters, digits and dashes (at most 40)'),
  instanceId: matching(INSTANCE_ID, 'must be an EC2 instance id (i-...)'),
  availabilityZone: matching(AZ, 'must be an availability zone such as eu-central-1a'),
  management: managementSchema,
  tls: tlsSchema,
  apiKey: apiKeySchema,
});

const routeSchema = z.strictObject({
  routeTableId: matching(RTB_ID, 'must be a route table id (rtb-...)'),
  destination: valid(isIpv4Cidr, 'must be an IPv4 CIDR such as 0.0.0.0/0'),
  /** ENI each firewall uses as the next hop for this route. */
  targets: z.strictObject({ primary: z.string(), secondary: z.string() }),
});

const eipSideSchema = z.strictObject({
  networkInterfaceId: matching(ENI_ID, 'must be a network interface id (eni-...)'),
  privateIp: valid(isIpv4, 'must be an IPv4 address'),
});

const elasticIpSchema = z.strictObject({
  allocationId: matching(EIPALLOC_ID, 'must be an Elastic IP allocation id (eipalloc-...)'),
  publicIp: z.optional(valid(isIpv4, 'must be an IPv4 address')),
  /** Free text for people: what the address is for (GlobalProtect portal, IPsec peer...). */
  purpose: z.optional(text(0, 100)),
  primary: eipSideSchema,
  secondary: eipSideSchema,
});

const recordValues = z.array(text(1)).check(z.minLength(1));
const dnsRecordSchema = z
  .strictObject({
    hostedZoneId: matching(HOSTED_ZONE_ID, 'must be a Route 53 hosted zone id (Z...)'),
    name: matching(DNS_NAME, 'must be a fully qualified DNS name'),
    type: withDefault(z.enum(['A', 'CNAME']), 'A'),
    ttl: withDefault(seconds(1, 86_400), 60),
    /** The record's value on each side. */
    values: z.optional(z.strictObject({ primary: recordValues, secondary: recordValues })),
    /** The record always holds this managed EIP's public address (which moves with the EIP). */
    followElasticIp: z.optional(matching(EIPALLOC_ID, 'must be an Elastic IP allocation id (eipalloc-...)')),
  })
  .check(
    z.refine((r) => (r.values === undefined) !== (r.followElasticIp === undefined), 'set exactly one of values or followElasticIp'),
  );

const tunnelSchema = z.strictObject({
  /** Tunnel name as configured on the firewall (Network > IPSec Tunnels). */
  name: text(1, 63),
  /** Proxy-IDs of the tunnel; each must be up (`tunnel:proxy-id` in `show vpn flow`). */
  proxyIds: withDefault(z.array(text(1, 63)), []),
});

const canarySchema = z.strictObject({
  host: matching(HOSTNAME, 'must be an IPv4 address or a host name'),
  port: intIn(1, 65535),
});

const probeSchema = z.strictObject({
  /** Seconds between probe rounds inside one invocation (EventBridge fires once a minute). */
  intervalSeconds: withDefault(seconds(5, 60), 10),
  /** Total budget of one firewall's probe (connect + all calls). */
  timeoutSeconds: withDefault(seconds(1, 30), 4),
  /** Consecutive failed rounds of the active firewall before failover. At least 2: one failure is a blip. */
  failuresBeforeFailover: withDefault(intIn(2, 60), 3),
  /** What an expected tunnel being down on the active firewall means. */
  tunnelDown: withDefault(z.enum(['alert', 'failover']), 'alert'),
  /** Consecutive rounds with a tunnel down before `tunnelDown: failover` acts. */
  tunnelFailuresBeforeFailover: withDefault(intIn(2, 360), 18),
  /** After an instance (re)starts, API silence is "booting", not "dead", for this long. */
  bootGraceSeconds: withDefault(seconds(60, 3600), 900),
  /** After a failover, no automatic failover of the pair for this long (alert instead). */
  cooldownSeconds: withDefault(seconds(0, 86_400), 1800),
  /** Optional TCP endpoints inside the VPC that are always up; if none answers, the controller is blind. */
  canaries: withDefault(z.array(canarySchema), []),
});

const readinessSchema = z.strictObject({
  pollIntervalSeconds: withDefault(seconds(2, 60), 10),
  /** From the start request until the firewall must be ready; no cutover after it. */
  deadlineSeconds: withDefault(seconds(60, 3600), 1200),
  /** Refuse a firewall whose PAN-OS version differs (e.g. '10.2.11-h12'). */
  expectedSoftwareVersion: z.optional(text(1)),
  /** Also require the AutoCom job to be FIN/OK (or gone from history). */
  requireAutoCommit: withDefault(z.boolean(), true),
});

/**
 * Requests one readiness check sends to the starting firewall at most (system info,
 * chassis-ready, and the jobs list with `requireAutoCommit` once the chassis is ready). Once its
 * API answers, the flow waits one second per request a check sent before the next check starts
 * (2 or 3 s): at most one request per second to a booting firewall.
 */
export function readinessCallsPerCheck(readiness: { readonly requireAutoCommit: boolean }): number {
  return readiness.requireAutoCommit ? 3 : 2;
}

/** The shortest readiness poll once the target answers: system info and chassis-ready, one second each. */
export const READINESS_MIN_POLL_SECONDS = 2;
/**
 * How long after its API first answers the target is polled fast; then at the configured
 * interval again (a VM-Series is usually ready about 5 minutes after its first answer). Bounds
 * the execution history a target stuck between "answers" and "ready" can write.
 */
export const READINESS_FAST_WINDOW_SECONDS = 900;

const startSchema = z.strictObject({
  /** Attempts of StartInstances on InsufficientInstanceCapacity before giving up (per instance type). */
  maxAttempts: withDefault(intIn(1, 20), 4),
  retryIntervalSeconds: withDefault(seconds(1, 300), 15),
  /** Instance types to try, in order, when the configured one has no capacity. Checked by preflight. */
  fallbackInstanceTypes: withDefault(z.array(matching(/^[a-z0-9-]+\.[a-z0-9]+$/, 'must be an instance type')), []),
});

const cutoverSchema = z.strictObject({
  /** Concurrent mutating EC2 calls. */
  concurrency: withDefault(intIn(1, 50), 10),
  /** Client-side token bucket for ReplaceRoute and AssociateAddress (EC2's documented 50 burst / 5 per s). */
  rateBurst: withDefault(intIn(1, 1000), 50),
  ratePerSecond: withDefault(z.number().check(z.minimum(0.1), z.maximum(1000)), 5),
  /** How long Describe calls may lag before the move counts as failed. */
  verifyTimeoutSeconds: withDefault(seconds(5, 600), 60),
  /** Create a managed route that is missing instead of failing. */
  createMissingRoutes: withDefault(z.boolean(), false),
});

const failbackSchema = z.strictObject({
  mode: withDefault(z.enum(['manual', 'auto']), 'manual'),
  /** With `auto`: the primary must be healthy this long before it takes traffic back. */
  holdSeconds: withDefault(seconds(60, 86_400), 3600),
});

const postVerifySchema = z.strictObject({
  /** How long after cutover the expected tunnels may take to come up (reported, not rolled back). */
  tunnelTimeoutSeconds: withDefault(seconds(0, 3600), 300),
  pollIntervalSeconds: withDefault(seconds(2, 60), 10),
  /** How long the flow reports on a Route 53 change before calling it late (reported, never blocking). */
  dnsSyncTimeoutSeconds: withDefault(seconds(0, 3600), 600),
});

/**
 * The standby drill (`pan-failover drill`). `schedule`: an EventBridge schedule expression in UTC
 * (`cron(0 3 ? * SUN *)`, `rate(7 days)`), at most once a day; absent (the default): no
 * scheduled drill.
 */
const drillSchema = z.strictObject({
  schedule: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
});

/** A section that may be left out entirely: every field then takes its default. */
const section = <T extends z.ZodMiniType>(schema: T) => z._default(schema, () => schema.parse({}) as never);

export const pairSchema = z.strictObject({
  name: matching(NAME, 'must be lower-case letters, digits and dashes (at most 40)'),
  description: z.optional(text(0, 200)),
  /** `cold`: the standby is stopped until needed; `warm`: it runs all the time. */
  standbyMode: withDefault(z.enum(['cold', 'warm']), 'cold'),
  /** What to do with the old owner after a cutover: stop it (so it cannot come back by itself), or nothing. */
  fencing: withDefault(z.enum(['stop', 'none']), 'stop'),
  /** Repair managed objects that drifted away from the recorded owner (`report` only alerts). */
  driftRepair: withDefault(z.enum(['repair', 'report']), 'repair'),
  firewalls: z.strictObject({ primary: firewallSchema, secondary: firewallSchema }),
  routes: withDefault(z.array(routeSchema), []),
  elasticIps: withDefault(z.array(elasticIpSchema), []),
  dnsRecords: withDefault(z.array(dnsRecordSchema), []),
  tunnels: withDefault(z.array(tunnelSchema), []),
  probe: section(probeSchema),
  readiness: section(readinessSchema),
  start: section(startSchema),
  cutover: section(cutoverSchema),
  failback: section(failbackSchema),
  postVerify: section(postVerifySchema),
  drill: section(drillSchema),
});

/**
 * Where the controller itself is deployed (read by `pan-failover prepare-deploy` and
 * `serverless.yml`, ignored by the functions). The functions that reach the firewalls'
 * management interfaces run in these subnets, whose route tables must use neither firewall.
 */
const deploymentSchema = z.strictObject({
  subnetIds: z
    .array(matching(SUBNET_ID, 'must be a subnet id (subnet-...)'))
    .check(z.minLength(1, 'at least one subnet is required (two, in two AZs, is better)')),
  securityGroupIds: z
    .array(matching(SECURITY_GROUP_ID, 'must be a security group id (sg-...)'))
    .check(z.minLength(1, 'at least one security group is required')),
  /** Subscribed to the notification topic by e-mail (each address must confirm). */
  notifyEmails: withDefault(z.array(matching(EMAIL, 'must be an e-mail address')), []),
});

/** An IANA time zone name the runtime knows (`Intl`), such as Asia/Tokyo or UTC. */
function isTimeZone(v: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: v });
    return true;
  } catch {
    return false;
  }
}

/** How `pan-failover report` presents times (read by the CLI only). */
const reportSchema = z.strictObject({
  /** Shown next to UTC in reports, for example Asia/Tokyo. */
  timeZone: z.optional(valid(isTimeZone, 'must be an IANA time zone such as Asia/Tokyo or Europe/Berlin')),
});

/** How notifications read for people (subjects stay English ASCII, as SNS requires). See docs/configuration.md. */
const notificationsSchema = z.strictObject({
  /** Language of the e-mail, SMS and chat text: `en` or `ja`. */
  language: withDefault(z.enum(['en', 'ja']), 'en'),
  /** Where your team reads the runbook in that language; each message links its section (`#anchor`). */
  runbookUrl: z.optional(valid((v) => /^https?:\/\/[^\s#]+$/.test(v), 'must be an http(s) URL without a #fragment')),
  /** HTTPS subscribers get the AWS Chatbot custom-notification format (for Slack or Teams) instead of the JSON. */
  chatbot: withDefault(z.boolean(), false),
});

/** Maintenance pauses (`pan-failover pause`): every pause ends by itself. */
const pauseSchema = z.strictObject({
  /** Length of a pause when `--for` is not given. */
  defaultSeconds: withDefault(seconds(60, 604_800), 7200),
  /** The longest pause anyone may ask for. */
  maxSeconds: withDefault(seconds(60, 604_800), 86_400),
});

/**
 * An EventBridge schedule expression for the self-test: `rate(N hours|days)` (`1 hour`, `1 day`
 * singular, as EventBridge wants), `cron(six fields)`, or `off`. More often than hourly is refused:
 * each run invokes the four functions and makes dozens of calls.
 */
export function isSelftestSchedule(v: string): boolean {
  if (v === 'off') return true;
  const rate = /^rate\((\d+) (hour|hours|day|days)\)$/.exec(v);
  if (rate) {
    const n = Number(rate[1]);
    return n >= 1 && (n === 1) === !rate[2]?.endsWith('s');
  }
  return /^cron\((\S+ ){5}\S+\)$/.test(v);
}

/** The scheduled self-test (`pan-failover selftest`, run by flow-control, with an alarm when it fails). */
const selftestSchema = z.strictObject({
  /** When it runs: an EventBridge schedule expression, or `off`. */
  schedule: withDefault(valid(isSelftestSchedule, 'must be rate(N hours) or rate(N days) (rate(1 day) singular), cron(six fields) in UTC, or off'), 'rate(7 days)'),
});

export const configSchema = z.strictObject({
  version: z.literal(1),
  pairs: z.array(pairSchema).check(z.minLength(1, 'at least one pair is required')),
  deployment: z.optional(deploymentSchema),
  report: z.optional(reportSchema),
  notifications: section(notificationsSchema),
  pause: section(pauseSchema),
  selftest: section(selftestSchema),
});

export type Config = z.infer<typeof configSchema>;
export type PairConfig = z.infer<typeof pairSchema>;
export type DeploymentConfig = z.infer<typeof deploymentSchema>;
export type NotificationsConfig = z.infer<typeof notificationsSchema>;
export type PausePolicy = z.infer<typeof pauseSchema>;
export type FirewallConfig = z.infer<typeof firewallSchema>;
export type RouteConfig = z.infer<typeof routeSchema>;
export type ElasticIpConfig = z.infer<typeof elasticIpSchema>;
export type DnsRecordConfig = z.infer<typeof dnsRecordSchema>;
export type TunnelConfig = z.infer<typeof tunnelSchema>;
export type ApiKeyRef = z.infer<typeof apiKeySchema>;
export type TlsConfig = z.infer<typeof tlsSchema>;
export type ProbePolicy = z.infer<typeof probeSchema>;
export type ReadinessPolicy = z.infer<typeof readinessSchema>;

/** How an API key reference is named in errors and logs (never the value). */
export function describeApiKeyRef(ref: ApiKeyRef): string {
  if ('secretsManager' in ref) return `secretsManager:${ref.secretsManager}${ref.field === undefined ? '' : `#${ref.field}`}`;
  if ('ssmParameter' in ref) return `ssmParameter:${ref.ssmParameter}`;
  if ('file' in ref) return `file:${ref.file}`;
  return `env:${ref.env}`;
}

/** Path of a field as people write it: `pairs[0].routes[2].targets.primary`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
}

/** Records one issue at a field path. */
type AddIssue = (path: PropertyKey[], message: string) => void;

/**
 * Who manages what across the whole file. Routes and Elastic IPs belong to one pair: two pairs
 * managing one object would each see the other's moves as drift and take it back, forever.
 */
interface Owners {
  readonly pairNames: Map<string, number>;
  readonly instances: Map<string, string>;
  readonly routes: Map<string, string>;
  readonly eips: Map<string, string>;
}

/**
 * Checks that span several fields: the topology must be possible. Runs on a shape-valid config.
 */
export function topologyIssues(config: Config): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const add: AddIssue = (path, message) => issues.push({ path: formatPath(path), message });
  const owners: Owners = { pairNames: new Map(), instances: new Map(), routes: new Map(), eips: new Map() };
  config.pairs.forEach((pair, p) => pairTopologyIssues(pair, p, owners, add));
  deploymentListIssues(config, add);
  if (config.pause.defaultSeconds > config.pause.maxSeconds) {
    add(['pause', 'defaultSeconds'], `${config.pause.defaultSeconds} is above pause.maxSeconds (${config.pause.maxSeconds})`);
  }
  return issues;
}

/** Every check of one pair, in the order its sections appear in the file. */
function pairTopologyIssues(pair: PairConfig, p: number, owners: Owners, add: AddIssue): void {
  const base = ['pairs', p];
  const seen = owners.pairNames.get(pair.name);
  if (seen !== undefined) add([...base, 'name'], `duplicate pair name "${pair.name}" (also pairs[${seen}])`);
  owners.pairNames.set(pair.name, p);

  firewallIssues(pair, base, owners.instances, add);
  const claimEni = eniClaims(add);
  routeIssues(pair, base, owners.routes, claimEni, add);
  elasticIpIssues(pair, base, owners.eips, claimEni, add);
  dnsRecordIssues(pair, base, add);
  tunnelIssues(pair, base, add);
  timingIssues(pair, base, add);
  if (pair.drill.schedule !== undefined) {
    const issue = drillScheduleIssue(pair.drill.schedule);
    if (issue) add([...base, 'drill', 'schedule'], issue);
  }
  if (pair.failback.mode === 'auto' && pair.probe.cooldownSeconds < MIN_AUTO_FAILBACK_COOLDOWN) {
    add(
      [...base, 'probe', 'cooldownSeconds'],
      `must be at least ${MIN_AUTO_FAILBACK_COOLDOWN} with automatic failback: a firewall failing again right after an automatic failback would otherwise be failed over at once, and back (ping-pong)`,
    );
  }
  canaryIssues(pair, base, add);
  if (pair.routes.length === 0 && pair.elasticIps.length === 0) {
    add([...base, 'routes'], 'a pair must manage at least one route or Elastic IP');
  }
}

const MIN_AUTO_FAILBACK_COOLDOWN = 600;

/** Firewalls: distinct identities, each instance in one pair, management reachable inside the VPC. */
function firewallIssues(pair: PairConfig, base: PropertyKey[], instanceOwners: Map<string, string>, add: AddIssue): void {
  const { primary, secondary } = pair.firewalls;
  if (primary.instanceId === secondary.instanceId) {
    add([...base, 'firewalls', 'secondary', 'instanceId'], `same instance as the primary (${primary.instanceId})`);
  }
  if (primary.name === secondary.name) {
    add([...base, 'firewalls', 'secondary', 'name'], `same name as the primary (${primary.name})`);
  }
  for (const role of ROLES) {
    const fw = pair.firewalls[role];
    const owner = instanceOwners.get(fw.instanceId);
    if (owner !== undefined && owner !== pair.name) {
      add([...base, 'firewalls', role, 'instanceId'], `instance ${fw.instanceId} is already managed by pair "${owner}"`);
    }
    instanceOwners.set(fw.instanceId, pair.name);
    if (isIpv4(fw.management.host) && classifyIpv4(fw.management.host) === 'public') {
      add(
        [...base, 'firewalls', role, 'management', 'host'],
        `${fw.management.host} is a public address: the controller must reach the management interface by its VPC private address, not through the path it repairs`,
      );
    }
  }
  if (
    primary.management.host === secondary.management.host &&
    primary.management.port === secondary.management.port
  ) {
    add([...base, 'firewalls', 'secondary', 'management'], 'same management address as the primary');
  }
}

/** Claims an ENI for one side of a pair; reports it when the other side has claimed it already. */
type ClaimEni = (eni: string, role: Role, path: PropertyKey[]) => void;

/** ENIs: each side owns its own; none may appear on both sides (routes and Elastic IPs alike). */
function eniClaims(add: AddIssue): ClaimEni {
  const eniSide = new Map<string, { role: Role; path: string }>();
  return (eni, role, path) => {
    const prev = eniSide.get(eni);
    if (prev && prev.role !== role) {
      add(path, `${eni} is used by both firewalls (also ${prev.path} on the ${prev.role} side)`);
    } else if (!prev) {
      eniSide.set(eni, { role, path: formatPath(path) });
    }
  };
}

/** Routes: canonical destinations, one pair and one entry each, targets that are ENIs (never EIPs or addresses). */
function routeIssues(pair: PairConfig, base: PropertyKey[], routeOwners: Map<string, string>, claimEni: ClaimEni, add: AddIssue): void {
  const routeKeys = new Map<string, number>();
  pair.routes.forEach((route, r) => {
    const rp = [...base, 'routes', r];
    const key = `${route.routeTableId} ${route.destination}`;
    const canonical = canonicalCidr(route.destination);
    if (canonical !== route.destination) {
      add([...rp, 'destination'], `${route.destination} has host bits set: EC2 keeps it as ${canonical}, so the route would never be found; write ${canonical}`);
    }
    const other = routeOwners.get(key);
    if (other !== undefined && other !== pair.name) add([...rp, 'destination'], `route ${route.destination} in ${route.routeTableId} is already managed by pair "${other}"`);
    routeOwners.set(key, pair.name);
    const dup = routeKeys.get(key);
    if (dup !== undefined) {
      add([...rp, 'destination'], `duplicate route ${route.destination} in ${route.routeTableId} (also routes[${dup}])`);
    }
    routeKeys.set(key, r);
    for (const role of ROLES) {
      const target = route.targets[role];
      const tp = [...rp, 'targets', role];
      const problem = routeTargetProblem(target, pair.elasticIps.map((e) => e.publicIp));
      if (problem) add(tp, problem);
      else claimEni(target, role, tp);
    }
    if (route.targets.primary === route.targets.secondary && ENI_ID.test(route.targets.primary)) {
      add([...rp, 'targets', 'secondary'], `same ENI as the primary target (${route.targets.primary})`);
    }
  });
}

/** What is wrong with a route's next hop, if anything: it must be an ENI. */
function routeTargetProblem(target: string, knownPublicIps: readonly (string | undefined)[]): string | undefined {
  if (ENI_ID.test(target)) return undefined;
  if (EIPALLOC_ID.test(target) || target.startsWith('eipassoc-')) {
    return `${target} is an Elastic IP: a route's next hop must be the firewall's ENI (eni-...), never an EIP`;
  }
  if (isIpv4(target)) {
    if (knownPublicIps.includes(target) || classifyIpv4(target) === 'public') {
      return `${target} is a public address (an Elastic IP?): a route's next hop must be the firewall's ENI (eni-...)`;
    }
    return `${target} is an address: VPC routes target the firewall's ENI (eni-...), not an IP`;
  }
  return `${target} must be a network interface id (eni-...)`;
}

/** Elastic IPs: each allocation (in one pair) and each public address once; one EIP per private IP per side. */
function elasticIpIssues(pair: PairConfig, base: PropertyKey[], eipOwners: Map<string, string>, claimEni: ClaimEni, add: AddIssue): void {
  const allocs = new Map<string, number>();
  const publics = new Map<string, number>();
  const privateTargets = new Map<string, string>();
  pair.elasticIps.forEach((eip, e) => {
    const ep = [...base, 'elasticIps', e];
    const otherPair = eipOwners.get(eip.allocationId);
    if (otherPair !== undefined && otherPair !== pair.name) add([...ep, 'allocationId'], `${eip.allocationId} is already managed by pair "${otherPair}"`);
    eipOwners.set(eip.allocationId, pair.name);
    const dup = allocs.get(eip.allocationId);
    if (dup !== undefined) add([...ep, 'allocationId'], `Elastic IP ${eip.allocationId} is mapped twice (also elasticIps[${dup}])`);
    allocs.set(eip.allocationId, e);
    if (eip.publicIp !== undefined) {
      const dupIp = publics.get(eip.publicIp);
      if (dupIp !== undefined) add([...ep, 'publicIp'], `${eip.publicIp} is mapped twice (also elasticIps[${dupIp}])`);
      publics.set(eip.publicIp, e);
      if (classifyIpv4(eip.publicIp) !== 'public') {
        add([...ep, 'publicIp'], `${eip.publicIp} is not a public address`);
      }
    }
    for (const role of ROLES) {
      const side = eip[role];
      const sp = [...ep, role];
      claimEni(side.networkInterfaceId, role, [...sp, 'networkInterfaceId']);
      if (classifyIpv4(side.privateIp) !== 'private') {
        add(
          [...sp, 'privateIp'],
          `${side.privateIp} is not a VPC private address: map the EIP to a private IP of the ENI (a secondary private IP for each extra EIP)`,
        );
      }
      const key = `${side.networkInterfaceId}/${side.privateIp}`;
      const prev = privateTargets.get(key);
      if (prev !== undefined) add([...sp, 'privateIp'], `${side.privateIp} on ${side.networkInterfaceId} already carries ${prev}`);
      privateTargets.set(key, eip.allocationId);
    }
    if (eip.primary.privateIp === eip.secondary.privateIp) {
      add(
        [...ep, 'secondary', 'privateIp'],
        `same private IP on both sides (${eip.primary.privateIp}); firewalls in different subnets have different addresses`,
      );
    }
  });
}

/** DNS records: unique, follow only managed EIPs (with a public address, as type A), A values are IPv4. */
function dnsRecordIssues(pair: PairConfig, base: PropertyKey[], add: AddIssue): void {
  const records = new Map<string, number>();
  pair.dnsRecords.forEach((rec, d) => {
    const dp = [...base, 'dnsRecords', d];
    const key = `${rec.hostedZoneId.replace('/hostedzone/', '')} ${rec.name.replace(/\.$/, '').toLowerCase()} ${rec.type}`;
    const dup = records.get(key);
    if (dup !== undefined) add([...dp, 'name'], `duplicate record ${rec.name} ${rec.type} (also dnsRecords[${dup}])`);
    records.set(key, d);
    if (rec.followElasticIp !== undefined) {
      const eip = pair.elasticIps.find((x) => x.allocationId === rec.followElasticIp);
      if (!eip) add([...dp, 'followElasticIp'], `${rec.followElasticIp} is not one of this pair's elasticIps`);
      else if (eip.publicIp === undefined) {
        add([...base, 'elasticIps', pair.elasticIps.indexOf(eip), 'publicIp'], 'required when a DNS record follows this Elastic IP');
      }
      if (rec.type !== 'A') add([...dp, 'type'], 'a record that follows an Elastic IP must be of type A');
    }
    if (rec.values && rec.type === 'A') {
      for (const role of ROLES) {
        rec.values[role].forEach((v, i) => {
          if (!isIpv4(v)) add([...dp, 'values', role, i], `${v} is not an IPv4 address`);
        });
      }
    }
  });
}

/** Tunnels: unique names. */
function tunnelIssues(pair: PairConfig, base: PropertyKey[], add: AddIssue): void {
  const tunnels = new Set<string>();
  pair.tunnels.forEach((t, i) => {
    if (tunnels.has(t.name)) add([...base, 'tunnels', i, 'name'], `duplicate tunnel "${t.name}"`);
    tunnels.add(t.name);
  });
}

/** `TimeoutSeconds` of the state machine, and the part of it a flow may plan to use. */
const STATE_MACHINE_TIMEOUT = 10_800;
const FLOW_BUDGET_SECONDS = STATE_MACHINE_TIMEOUT - 1800;
const MAX_HISTORY_EVENTS = 20_000;

/**
 * Timing: the policy must be able to do what it says. The whole flow must fit in the state
 * machine's timeout, and its polling loops in Step Functions' execution history (25,000 events;
 * about 4 per poll).
 */
function timingIssues(pair: PairConfig, base: PropertyKey[], add: AddIssue): void {
  if (pair.probe.timeoutSeconds >= pair.probe.intervalSeconds) {
    add([...base, 'probe', 'timeoutSeconds'], `must be shorter than probe.intervalSeconds (${pair.probe.intervalSeconds})`);
  }
  if (pair.readiness.pollIntervalSeconds * 2 > pair.readiness.deadlineSeconds) {
    add([...base, 'readiness', 'deadlineSeconds'], 'must allow at least two readiness polls');
  }
  const startBudget = pair.start.maxAttempts * pair.start.retryIntervalSeconds * (1 + pair.start.fallbackInstanceTypes.length);
  const settle = Math.max(pair.postVerify.tunnelTimeoutSeconds, pair.postVerify.dnsSyncTimeoutSeconds);
  const flowSeconds = startBudget + pair.readiness.deadlineSeconds + settle + pair.cutover.verifyTimeoutSeconds * 4;
  if (flowSeconds > FLOW_BUDGET_SECONDS) {
    add(
      [...base, 'readiness', 'deadlineSeconds'],
      `start retries (${startBudget} s), readiness deadline, settling and verification add up to ${flowSeconds} s: more than the flow's ${FLOW_BUDGET_SECONDS} s (the state machine times out at ${STATE_MACHINE_TIMEOUT} s)`,
    );
  }
  // History events per loop turn: readiness (task, choice, wait) ~9, settling (two tasks) ~14, start ~9.
  // Readiness polls every few seconds for a while once the target's API answers (usecases/flow/firewall-steps.ts).
  const fastPolls = Math.min(pair.readiness.deadlineSeconds, READINESS_FAST_WINDOW_SECONDS) / Math.min(pair.readiness.pollIntervalSeconds, READINESS_MIN_POLL_SECONDS);
  const events =
    (9 * pair.readiness.deadlineSeconds) / pair.readiness.pollIntervalSeconds +
    9 * fastPolls +
    (14 * settle) / pair.postVerify.pollIntervalSeconds +
    (9 * startBudget) / Math.max(1, Math.min(5, pair.start.retryIntervalSeconds));
  if (events > MAX_HISTORY_EVENTS) {
    add(
      [...base, 'readiness', 'pollIntervalSeconds'],
      `the polling loops would write about ${Math.round(events)} execution history events, more than the ${MAX_HISTORY_EVENTS} allowed here (Step Functions keeps at most 25,000): poll less often or shorten the windows`,
    );
  }
}

/**
 * Canaries prove the controller's own network: the pair's own firewalls and public addresses
 * tell nothing about it (they are what is being judged), nor do loopback or special addresses.
 */
function canaryIssues(pair: PairConfig, base: PropertyKey[], add: AddIssue): void {
  const ownHosts = new Map<string, string>();
  for (const role of ROLES) ownHosts.set(pair.firewalls[role].management.host, `the management address of ${pair.firewalls[role].name}`);
  for (const e of pair.elasticIps) if (e.publicIp !== undefined) ownHosts.set(e.publicIp, `Elastic IP ${e.allocationId} of this pair`);
  pair.probe.canaries.forEach((c, i) => {
    const cp = [...base, 'probe', 'canaries', i, 'host'];
    const own = ownHosts.get(c.host);
    if (own !== undefined) add(cp, `${c.host} is ${own}: a canary must be reachable without the firewalls, to tell a broken controller network from dead firewalls`);
    else if (isIpv4(c.host) && (classifyIpv4(c.host) === 'loopback' || classifyIpv4(c.host) === 'special')) {
      add(cp, `${c.host} is a ${classifyIpv4(c.host)} address: it says nothing about the controller's network`);
    }
  });
}

/** Deployment lists (subnets, security groups, e-mail addresses): no entry twice. */
function deploymentListIssues(config: Config, add: AddIssue): void {
  if (!config.deployment) return;
  for (const key of ['subnetIds', 'securityGroupIds', 'notifyEmails'] as const) {
    const seen = new Set<string>();
    config.deployment[key].forEach((v, i) => {
      if (seen.has(v)) add(['deployment', key, i], `"${v}" is listed twice`);
      seen.add(v);
    });
  }
}
