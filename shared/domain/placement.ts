/**
 * Where the managed objects point, and what it takes to move them: pure functions over what the
 * EC2 Describe calls returned. Used by the probe (owner and drift), the flow's re-check, the
 * cutover plan, its verification, `pan-failover status` and `--dry-run`.
 *
 * Only objects listed in the configuration are ever considered: a route that points at a
 * firewall ENI but is not in `routes` is not this controller's business.
 */
import type { ElasticIpConfig, PairConfig, Role, RouteConfig } from '../config/schema.js';
import { ROLES } from '../config/schema.js';
import type { AddressInfo, RouteTableInfo } from '../ports/ec2.js';

/** Which side an object points at now. */
export type Side = Role | 'elsewhere' | 'missing' | 'unassociated';

export interface RoutePlacement {
  readonly kind: 'route';
  readonly route: RouteConfig;
  readonly side: Side;
  /** ENI (or gateway/instance id) the route targets now; `undefined` when missing. */
  readonly currentTarget: string | undefined;
  readonly blackhole: boolean;
}

export interface EipPlacement {
  readonly kind: 'eip';
  readonly eip: ElasticIpConfig;
  readonly side: Side;
  readonly publicIp: string | undefined;
  readonly currentEni: string | undefined;
  readonly currentPrivateIp: string | undefined;
}

export type Placement = RoutePlacement | EipPlacement;

export interface PairPlacement {
  readonly routes: readonly RoutePlacement[];
  readonly eips: readonly EipPlacement[];
}

export function objectLabel(p: Placement): string {
  return p.kind === 'route'
    ? `route ${p.route.destination} in ${p.route.routeTableId}`
    : `EIP ${p.eip.allocationId}${p.eip.publicIp ? ` (${p.eip.publicIp})` : ''}`;
}

export function observePlacement(
  pair: PairConfig,
  routeTables: readonly RouteTableInfo[],
  addresses: readonly AddressInfo[],
): PairPlacement {
  const tables = new Map(routeTables.map((t) => [t.routeTableId, t]));
  const routes = pair.routes.map((route): RoutePlacement => {
    const found = tables.get(route.routeTableId)?.routes.find((r) => r.destination === route.destination);
    if (!found) return { kind: 'route', route, side: 'missing', currentTarget: undefined, blackhole: false };
    const target = found.networkInterfaceId ?? found.instanceId ?? found.gatewayId;
    const side = ROLES.find((role) => found.networkInterfaceId === route.targets[role]) ?? 'elsewhere';
    return { kind: 'route', route, side, currentTarget: target, blackhole: found.state === 'blackhole' };
  });
  const byAlloc = new Map(addresses.map((a) => [a.allocationId, a]));
  const eips = pair.elasticIps.map((eip): EipPlacement => {
    const found = byAlloc.get(eip.allocationId);
    if (!found) {
      return { kind: 'eip', eip, side: 'missing', publicIp: undefined, currentEni: undefined, currentPrivateIp: undefined };
    }
    const side: Side =
      found.networkInterfaceId === undefined
        ? 'unassociated'
        : (ROLES.find(
            (role) =>
              found.networkInterfaceId === eip[role].networkInterfaceId && found.privateIp === eip[role].privateIp,
          ) ?? 'elsewhere');
    return {
      kind: 'eip',
      eip,
      side,
      publicIp: found.publicIp,
      currentEni: found.networkInterfaceId,
      currentPrivateIp: found.privateIp,
    };
  });
  return { routes, eips };
}

export function allPlacements(p: PairPlacement): Placement[] {
  return [...p.routes, ...p.eips];
}

/**
 * The owner AWS shows: the one side every managed object points at; `split` when they disagree
 * or some point elsewhere; `none` when nothing is managed or nothing points at either side.
 */
export function effectiveOwner(p: PairPlacement): Role | 'split' | 'none' {
  const sides = new Set(allPlacements(p).map((x) => x.side));
  if (sides.size === 0) return 'none';
  if (sides.size === 1) {
    const [only] = sides;
    return only === 'primary' || only === 'secondary' ? only : 'none';
  }
  return 'split';
}

/** Objects not on `owner`. */
export function driftFrom(p: PairPlacement, owner: Role): Placement[] {
  return allPlacements(p).filter((x) => x.side !== owner);
}

export type Change =
  | {
      readonly kind: 'route';
      readonly routeTableId: string;
      readonly destination: string;
      readonly from: string | undefined;
      readonly to: string;
      /** The route does not exist and `createMissingRoutes` allows creating it. */
      readonly create: boolean;
    }
  | {
      readonly kind: 'eip';
      readonly allocationId: string;
      readonly publicIp: string | undefined;
      readonly fromEni: string | undefined;
      readonly fromPrivateIp: string | undefined;
      readonly toEni: string;
      readonly toPrivateIp: string;
    };

export interface CutoverPlan {
  readonly target: Role;
  readonly changes: readonly Change[];
  /** Objects already on the target. */
  readonly unchanged: number;
  /** Problems that forbid any change (reported before anything is touched). */
  readonly blockers: readonly string[];
}

export function changeLabel(c: Change): string {
  return c.kind === 'route'
    ? `${c.create ? 'create' : 'replace'} route ${c.destination} in ${c.routeTableId}: ${c.from ?? '(none)'} -> ${c.to}`
    : `associate EIP ${c.allocationId}${c.publicIp ? ` (${c.publicIp})` : ''}: ${c.fromEni ?? '(unassociated)'}/${c.fromPrivateIp ?? '-'} -> ${c.toEni}/${c.toPrivateIp}`;
}

/**
 * What must change so every managed object points at `target`. Missing routes and EIP
 * allocations are blockers (named), unless `createMissingRoutes` allows creating a route:
 * the plan is refused as a whole before anything moves.
 */
export function planCutover(pair: PairConfig, placement: PairPlacement, target: Role): CutoverPlan {
  const changes: Change[] = [];
  const blockers: string[] = [];
  let unchanged = 0;
  for (const r of placement.routes) {
    // On the target already; a blackhole there only means its instance is not running yet.
    if (r.side === target) {
      unchanged++;
      continue;
    }
    if (r.side === 'missing' && !pair.cutover.createMissingRoutes) {
      blockers.push(
        `route ${r.route.destination} in ${r.route.routeTableId} does not exist (deleted by hand?); create it or set cutover.createMissingRoutes`,
      );
      continue;
    }
    changes.push({
      kind: 'route',
      routeTableId: r.route.routeTableId,
      destination: r.route.destination,
      from: r.currentTarget,
      to: r.route.targets[target],
      create: r.side === 'missing',
    });
  }
  for (const e of placement.eips) {
    if (e.side === target) {
      unchanged++;
      continue;
    }
    if (e.side === 'missing') {
      blockers.push(`Elastic IP ${e.eip.allocationId} does not exist in this account/region`);
      continue;
    }
    changes.push({
      kind: 'eip',
      allocationId: e.eip.allocationId,
      publicIp: e.publicIp ?? e.eip.publicIp,
      fromEni: e.currentEni,
      fromPrivateIp: e.currentPrivateIp,
      toEni: e.eip[target].networkInterfaceId,
      toPrivateIp: e.eip[target].privateIp,
    });
  }
  return { target, changes, unchanged, blockers };
}
