/**
 * What one simulated VM-Series is: identity and versions (`show system info`), boot timings,
 * running configuration (interfaces, static routes, IPsec tunnels) and a few behaviour
 * switches. Validated once at start; unknown keys are refused so a typo in a scenario cannot
 * silently fall back to a default.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { InputInvalidError } from '#shared/errors.js';
import { formatPath } from '#shared/config/schema.js';
import { isIpv4, isIpv4Cidr } from '#shared/config/net.js';

const ipv4 = z.string().refine(isIpv4, 'must be an IPv4 address');
const cidr = z.string().refine(isIpv4Cidr, 'must be an IPv4 CIDR such as 10.0.1.10/24');
const ms = z.number().finite().min(0);

/** Boot timeline of a stopped, bootstrapped VM-Series, in simulated ms from `runningSince`. */
const timingsSchema = z.strictObject({
  /** Management plane not up yet: TCP connections are reset. */
  refuseMs: ms.default(60_000),
  /** Then the web server answers but the auth daemon does not: 403 even with the right key. */
  authDownMs: ms.default(45_000),
  /** Chassis ready and AutoCom FIN/OK at this time after `runningSince` (absolute, not a duration). */
  readyMs: ms.default(360_000),
  /** IKE + IPsec negotiation once the firewall is ready and holds the EIP the peer dials. */
  negotiationMs: ms.default(20_000),
});

const interfaceSchema = z.strictObject({
  name: z.string().regex(/^ethernet1\/\d{1,2}$/, 'must be a dataplane interface such as ethernet1/1'),
  /** Address the interface has (static, or the lease when `dhcp`). */
  address: cidr,
  /** Configured as `layer3/dhcp-client` instead of a static `layer3/ip/entry`. */
  dhcp: z.boolean().default(false),
  /** With `dhcp`: the `create-default-route` setting. */
  createDefaultRoute: z.boolean().default(false),
  /** Further static addresses (`layer3/ip/entry`), e.g. the secondary private IP of a second EIP. */
  secondaryAddresses: z.array(cidr).default([]),
});

const natRuleSchema = z.strictObject({
  name: z.string().min(1).max(63),
  from: z.array(z.string().min(1)).default(['trust']),
  to: z.array(z.string().min(1)).default(['untrust']),
  source: z.array(z.string().min(1)).default(['any']),
  destination: z.array(z.string().min(1)).default(['any']),
  /** Source NAT to the interface's address (`interface-address`), optionally naming the address. */
  sourceInterface: z.string().min(1).optional(),
  sourceInterfaceIp: cidr.optional(),
  /** Source NAT to these addresses (`dynamic-ip-and-port/translated-address`). */
  translatedSource: z.array(z.string().min(1)).default([]),
  /** Destination NAT (`destination-translation/translated-address`). */
  translatedDestination: z.string().min(1).optional(),
  disabled: z.boolean().default(false),
});

const securityRuleSchema = z.strictObject({
  name: z.string().min(1).max(63),
  from: z.array(z.string().min(1)).default(['trust']),
  to: z.array(z.string().min(1)).default(['untrust']),
  source: z.array(z.string().min(1)).default(['any']),
  destination: z.array(z.string().min(1)).default(['any']),
  application: z.array(z.string().min(1)).default(['any']),
  service: z.array(z.string().min(1)).default(['application-default']),
  action: z.enum(['allow', 'deny', 'drop']).default('allow'),
});

const zoneSchema = z.strictObject({ name: z.string().min(1).max(31), interfaces: z.array(z.string().min(1)).default([]) });

const globalProtectSchema = z.strictObject({
  kind: z.enum(['portal', 'gateway']),
  name: z.string().min(1).max(31),
  interface: z.string().min(1),
  /** Empty: the interface's first address. */
  ip: cidr.optional(),
});

const licenseSchema = z.strictObject({
  feature: z.string().min(1),
  description: z.string().min(1).optional(),
  /** `YYYY-MM-DD`, or `never`. */
  expires: z.union([z.literal('never'), z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD or never')]).default('never'),
});

/** An EC2-like licence set of a VM-300 with subscriptions, valid well past the simulated dates. */
const DEFAULT_LICENSES = [
  { feature: 'PA-VM', description: 'Standard VM-300', expires: 'never' as const },
  { feature: 'Threat Prevention', description: 'Threat Prevention', expires: '2029-06-30' },
  { feature: 'GlobalProtect Gateway', description: 'GlobalProtect Gateway License', expires: '2029-06-30' },
];

const staticRouteSchema = z.strictObject({
  name: z.string().min(1).max(63),
  destination: cidr,
  /** Next-hop address; absent means `discard`. */
  nexthop: ipv4.optional(),
  interface: z.string().min(1).optional(),
  metric: z.number().int().min(1).max(65535).default(10),
});

const tunnelSchema = z.strictObject({
  /** IPsec tunnel name (Network > IPSec Tunnels). */
  name: z.string().min(1).max(63),
  /** IKE gateway name. */
  gateway: z.string().min(1).max(63),
  /** Head office (peer) public address. */
  peerIp: ipv4,
  /** The Elastic IP the peer dials: the tunnel can only come up on the firewall holding it. */
  dialsPublicIp: ipv4,
  proxyIds: z.array(z.string().min(1).max(63)).default([]),
  /** Tunnel monitor on: `mon` is `up`/`down` instead of `off`. */
  monitor: z.boolean().default(false),
  /** IKE gateway `local-address`: the interface (default: the first one) and its address (default: empty, the interface's first). */
  localInterface: z.string().min(1).optional(),
  localIp: cidr.optional(),
});

const managementSchema = z.strictObject({
  ip: ipv4.default('10.0.0.10'),
  netmask: ipv4.default('255.255.255.0'),
  defaultGateway: ipv4.default('10.0.0.1'),
  /** The management interface takes its address by DHCP (the AWS default). */
  dhcp: z.boolean().default(true),
});

export const MISSING_CONFIG_NODE_STYLES = ['code7', 'no-such-node'] as const;
export type MissingConfigNodeStyle = (typeof MISSING_CONFIG_NODE_STYLES)[number];

const profileSchema = z.strictObject({
  hostname: z.string().min(1).max(63).optional(),
  serial: z.string().min(1).optional(),
  model: z.string().min(1).default('PA-VM'),
  swVersion: z.string().min(1).default('10.2.11-h12'),
  appVersion: z.string().min(1).default('8971-9419'),
  threatVersion: z.string().min(1).default('8971-9419'),
  avVersion: z.string().min(1).default('5169-5689'),
  wildfireVersion: z.string().min(1).default('955464-959418'),
  urlFilteringVersion: z.string().min(1).default('20250430.20332'),
  /** `none` while unlicensed (then `serial` should be `unknown`). */
  vmLicense: z.string().min(1).default('VM-300'),
  vmMode: z.string().min(1).default('AWS'),
  operationalMode: z.string().min(1).default('normal'),
  /** 10.2+: static routes live under `logical-router` instead of `virtual-router`. */
  advancedRouting: z.boolean().default(false),
  management: managementSchema.default(() => managementSchema.parse({})),
  interfaces: z.array(interfaceSchema).default(() => [
    { name: 'ethernet1/1', address: '10.0.1.10/24', dhcp: false, createDefaultRoute: false, secondaryAddresses: [] },
    { name: 'ethernet1/2', address: '10.0.2.10/24', dhcp: false, createDefaultRoute: false, secondaryAddresses: [] },
  ]),
  staticRoutes: z.array(staticRouteSchema).default(() => [
    { name: 'default', destination: '0.0.0.0/0', nexthop: '10.0.1.1', interface: 'ethernet1/1', metric: 10 },
    { name: 'vpc', destination: '10.0.0.0/16', nexthop: '10.0.2.1', interface: 'ethernet1/2', metric: 10 },
  ]),
  tunnels: z.array(tunnelSchema).default([]),
  zones: z.array(zoneSchema).default(() => [
    { name: 'untrust', interfaces: ['ethernet1/1'] },
    { name: 'trust', interfaces: ['ethernet1/2'] },
  ]),
  natRules: z.array(natRuleSchema).default([]),
  securityRules: z.array(securityRuleSchema).default([]),
  globalProtect: z.array(globalProtectSchema).default([]),
  /** Address objects of vsys1: name -> `ip-netmask`. */
  addressObjects: z.record(z.string().min(1).max(63), z.string().min(1)).default({}),
  licenses: z.array(licenseSchema).default(() => DEFAULT_LICENSES),
  timings: timingsSchema.default(() => timingsSchema.parse({})),
  /**
   * Answer of `type=config&action=show` for a missing node. The brief and the port expect
   * `code7` (`status="success" code="7"`, empty result); pango's fixtures say a real `show`
   * answers `status="error"` "No such node" (and `action=get` answers code 7).
   */
  missingConfigNode: z.enum(MISSING_CONFIG_NODE_STYLES).default('code7'),
  /** The AutoCom job leaves `show jobs all` this long after it finished (`undefined`: never). */
  autoComRetentionMs: ms.optional(),
  /** Add a `Failed-Job` entry (no id, status, result) to the job history, as real boxes do. */
  failedJobInHistory: z.boolean().default(false),
});

export type FirewallProfileInput = z.input<typeof profileSchema>;
export type ResolvedProfile = z.output<typeof profileSchema>;
export type FirewallProfile = ResolvedProfile & { readonly hostname: string; readonly serial: string };
export type BootTimings = z.output<typeof timingsSchema>;
export type SimTunnel = z.output<typeof tunnelSchema>;
export type SimInterface = z.output<typeof interfaceSchema>;
export type SimStaticRoute = z.output<typeof staticRouteSchema>;
export type SimNatRule = z.output<typeof natRuleSchema>;
export type SimSecurityRule = z.output<typeof securityRuleSchema>;
export type SimLicense = z.output<typeof licenseSchema>;

/** Stable per-name digits, so two simulated firewalls never share a serial or a MAC. */
export function nameDigest(name: string): Buffer {
  return createHash('sha256').update(name).digest();
}

function defaultSerial(name: string): string {
  const digits = [...nameDigest(name).subarray(0, 6)].map((b) => String(b % 10)).join('');
  return `007951000${digits}`;
}

/** Validates a profile and fills in defaults; throws `InputInvalidError` naming each bad field. */
export function resolveProfile(name: string, input: FirewallProfileInput = {}): FirewallProfile {
  const parsed = profileSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
    throw new InputInvalidError(`simulated firewall profile for ${name}`, issues);
  }
  const p = parsed.data;
  const issues = consistencyIssues(p);
  if (issues.length > 0) throw new InputInvalidError(`simulated firewall profile for ${name}`, issues);
  return { ...p, hostname: p.hostname ?? name, serial: p.serial ?? defaultSerial(name) };
}

function consistencyIssues(p: ResolvedProfile): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  const seen = new Set<string>();
  p.tunnels.forEach((t, i) => {
    if (seen.has(t.name)) issues.push({ path: `tunnels[${i}].name`, message: `duplicate tunnel "${t.name}"` });
    seen.add(t.name);
  });
  const ifNames = new Set<string>();
  p.interfaces.forEach((x, i) => {
    if (ifNames.has(x.name)) issues.push({ path: `interfaces[${i}].name`, message: `duplicate interface ${x.name}` });
    ifNames.add(x.name);
  });
  if (p.tunnels.length > 0 && p.interfaces.length === 0) {
    issues.push({ path: 'interfaces', message: 'tunnels need an outer interface' });
  }
  return issues;
}
