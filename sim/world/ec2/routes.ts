/**
 * Route tables of the simulated EC2: Describe (with each route's state: a route to a stopped
 * firewall's ENI is a blackhole), ReplaceRoute and CreateRoute.
 */
import { dryRunSucceeded, ec2Error, matches, notFound, type DescribeQuery, type RouteEntry, type RouteTableRecord, type RouteTableView, type RouteTarget } from './model.js';
import type { Ec2State } from './state.js';
import { routeTableView } from './views.js';

/** The route tables. */
export class Ec2Routes {
  readonly #s: Ec2State;

  constructor(state: Ec2State) {
    this.#s = state;
  }

  describeRouteTables(query: DescribeQuery = {}): RouteTableView[] {
    this.#s.authorize('DescribeRouteTables');
    this.#s.ctx.scheduler.runDue();
    const t = query.current === true ? this.#s.ctx.now() : this.#s.viewTime('routes');
    const records = this.#s.pick(
      this.#s.routeTables,
      query.ids,
      'InvalidRouteTableID.NotFound',
      'routeTable',
      /^rtb-[0-9a-f]+$/,
    );
    return records
      .map((rec) => routeTableView(this.#s, rec, t))
      .filter((v) =>
        matches(v, query.filters, {
          'route-table-id': (x) => [x.routeTableId],
          'vpc-id': (x) => [x.vpcId],
          'association.subnet-id': (x) => x.associations.map((a) => a.subnetId),
          'association.main': (x) => [String(x.associations.some((a) => a.main))],
          'route.destination-cidr-block': (x) => x.routes.map((r) => r.destination),
          'route.network-interface-id': (x) => x.routes.map((r) => r.networkInterfaceId),
          'route.instance-id': (x) => x.routes.map((r) => r.instanceId),
          'route.gateway-id': (x) => x.routes.map((r) => r.gatewayId),
          'route.state': (x) => x.routes.map((r) => r.state),
        }),
      );
  }

  replaceRoute(routeTableId: string, destination: string, target: RouteTarget, dryRun = false): void {
    this.#s.authorize('ReplaceRoute', [this.#s.arn('route-table', routeTableId)]);
    this.#s.ctx.scheduler.runDue();
    const rec = this.#s.routeTable(routeTableId);
    this.#checkTarget(rec, target);
    const routes = rec.timeline.current;
    const index = routes.findIndex((r) => r.destination === destination);
    const existing = routes[index];
    if (existing === undefined) {
      throw ec2Error(
        'InvalidRoute.NotFound',
        `There is no route defined for '${destination}' in the route table. Use CreateRoute instead.`,
      );
    }
    if (existing.gatewayId === 'local') {
      throw ec2Error('InvalidParameterValue', `cannot replace local route ${destination} in ${routeTableId}`);
    }
    if (dryRun) throw dryRunSucceeded();
    const at = this.#s.ctx.now();
    const next: RouteEntry = {
      destination,
      networkInterfaceId: target.networkInterfaceId,
      gatewayId: target.gatewayId,
      origin: existing.origin,
    };
    const changed =
      existing.networkInterfaceId !== next.networkInterfaceId || existing.gatewayId !== next.gatewayId;
    if (changed)
      rec.timeline.set(
        at,
        routes.map((r, i) => (i === index ? next : r)),
      );
    const from = existing.networkInterfaceId ?? existing.gatewayId;
    const to = next.networkInterfaceId ?? next.gatewayId;
    this.#s.ctx.events.record(
      at,
      'ec2.route.replaced',
      routeTableId,
      changed
        ? `${routeTableId} ${destination}: ${from} -> ${to}`
        : `${routeTableId} ${destination}: already ${to}`,
      { routeTableId, destination, from, to, changed },
    );
  }

  createRoute(routeTableId: string, destination: string, target: RouteTarget, dryRun = false): void {
    this.#s.authorize('CreateRoute', [this.#s.arn('route-table', routeTableId)]);
    this.#s.ctx.scheduler.runDue();
    const rec = this.#s.routeTable(routeTableId);
    this.#checkTarget(rec, target);
    const routes = rec.timeline.current;
    if (routes.some((r) => r.destination === destination)) {
      throw ec2Error('RouteAlreadyExists', `The route identified by ${destination} already exists.`);
    }
    if (dryRun) throw dryRunSucceeded();
    const at = this.#s.ctx.now();
    rec.timeline.set(at, [
      ...routes,
      {
        destination,
        networkInterfaceId: target.networkInterfaceId,
        gatewayId: target.gatewayId,
        origin: 'CreateRoute',
      },
    ]);
    const to = target.networkInterfaceId ?? target.gatewayId;
    this.#s.ctx.events.record(
      at,
      'ec2.route.created',
      routeTableId,
      `${routeTableId} ${destination} created -> ${to}`,
      {
        routeTableId,
        destination,
        to,
      },
    );
  }

  #checkTarget(rec: RouteTableRecord, target: RouteTarget): void {
    if ((target.networkInterfaceId === undefined) === (target.gatewayId === undefined)) {
      throw ec2Error(
        'InvalidParameterCombination',
        'The request must contain exactly one of gatewayId, networkInterfaceId',
      );
    }
    if (target.networkInterfaceId !== undefined) {
      const eni = this.#s.enis.get(target.networkInterfaceId);
      if (eni === undefined)
        throw notFound('InvalidNetworkInterfaceID.NotFound', 'networkInterface', [target.networkInterfaceId]);
      if (eni.vpcId !== rec.vpcId) {
        throw ec2Error(
          'InvalidParameterValue',
          `route table ${rec.routeTableId} and network interface ${eni.networkInterfaceId} belong to different networks`,
        );
      }
    }
  }
}
