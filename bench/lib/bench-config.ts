/**
 * Generated configurations for the benchmarks: pairs with as many route tables, routes and
 * Elastic IPs as a figure needs, valid under the project's own schema and topology checks
 * (`validateConfig`), with ids that cannot collide between pairs.
 */
import { validateConfig } from '#shared/config/load.js';
import type { Config } from '#shared/config/schema.js';

export interface BenchPairSpec {
  readonly name: string;
  /** Distinguishes the pair's ids and addresses from other pairs' (0..99). */
  readonly index: number;
  readonly standbyMode?: 'cold' | 'warm';
  readonly routeTables: number;
  readonly routesPerTable: number;
  readonly elasticIps: number;
  /** `cutover.concurrency` (default: the schema's). */
  readonly concurrency?: number;
  readonly tunnels?: readonly string[];
}

const hex = (prefix: string, n: number) => `${prefix}-${n.toString(16).padStart(17, '0')}`;

function firewall(spec: BenchPairSpec, role: 0 | 1) {
  const site = 10 + spec.index * 2 + role;
  const letter = role === 0 ? 'a' : 'b';
  return {
    name: `fw-${spec.index}${letter}`,
    instanceId: hex('i', spec.index * 16 + role + 1),
    availabilityZone: role === 0 ? 'us-east-1a' : 'us-east-1b',
    management: { host: `10.${site}.0.10` },
    tls: { pinnedSha256: '00'.repeat(32) },
    apiKey: { secretsManager: `bench/fw-${spec.index}${letter}/api-key` },
  };
}

/** Trust ENI (route next hop) and untrust ENI (Elastic IPs) of one side. */
function enis(spec: BenchPairSpec, role: 0 | 1) {
  const base = 0x1000 + spec.index * 16 + role * 4;
  return { trust: hex('eni', base), untrust: hex('eni', base + 1) };
}

/** Destinations 172.16.0.0/24, 172.16.1.0/24, ... (the same set in every table). */
function destination(r: number): string {
  return `172.${16 + Math.floor(r / 256)}.${r % 256}.0/24`;
}

/** 203.0.113.1, ... 203.0.113.255, 203.0.114.0, ...: distinct for up to 100 pairs of 14 addresses. */
function publicIp(n: number): string {
  return `203.0.${113 + Math.floor(n / 256)}.${n % 256}`;
}

export function benchPairRaw(spec: BenchPairSpec): Record<string, unknown> {
  if (spec.elasticIps > 14) throw new RangeError('at most 14 Elastic IPs: one untrust ENI holds 15 addresses on m5.xlarge');
  if (spec.routesPerTable > 4096) throw new RangeError('at most 4096 routes per table');
  const a = enis(spec, 0);
  const b = enis(spec, 1);
  const routes = [];
  for (let t = 0; t < spec.routeTables; t++) {
    for (let r = 0; r < spec.routesPerTable; r++) {
      routes.push({
        routeTableId: hex('rtb', spec.index * 0x10000 + t + 1),
        destination: destination(r),
        targets: { primary: a.trust, secondary: b.trust },
      });
    }
  }
  const elasticIps = Array.from({ length: spec.elasticIps }, (_, e) => ({
    allocationId: hex('eipalloc', spec.index * 0x100 + e + 1),
    publicIp: publicIp(spec.index * 16 + e + 1),
    primary: { networkInterfaceId: a.untrust, privateIp: `10.${10 + spec.index * 2}.1.${10 + e}` },
    secondary: { networkInterfaceId: b.untrust, privateIp: `10.${11 + spec.index * 2}.1.${10 + e}` },
  }));
  return {
    name: spec.name,
    standbyMode: spec.standbyMode ?? 'cold',
    firewalls: { primary: firewall(spec, 0), secondary: firewall(spec, 1) },
    routes,
    elasticIps,
    tunnels: (spec.tunnels ?? []).map((name) => ({ name })),
    ...(spec.concurrency === undefined ? {} : { cutover: { concurrency: spec.concurrency } }),
  };
}

export function benchConfig(specs: readonly BenchPairSpec[]): Config {
  return validateConfig({ version: 1, pairs: specs.map(benchPairRaw) }, 'bench configuration');
}
