/**
 * Where a pair's managed objects point now: its route tables and Elastic IPs, read with one
 * DescribeRouteTables and one DescribeAddresses (the probe, the preflight and the flow's steps).
 */
import type { PairConfig } from '../config/schema.js';
import { observePlacement, type PairPlacement } from '../domain/placement.js';
import type { Ec2Port } from '../ports/ec2.js';

/** Reads the placement of one pair's managed routes and Elastic IPs (a failed call is thrown, typed). */
export async function readPlacement(ec2: Ec2Port, pair: PairConfig): Promise<PairPlacement> {
  const tables = [...new Set(pair.routes.map((r) => r.routeTableId))];
  const [routeTables, addresses] = await Promise.all([
    tables.length > 0 ? ec2.describeRouteTables(tables) : Promise.resolve([]),
    pair.elasticIps.length > 0 ? ec2.describeAddresses(pair.elasticIps.map((e) => e.allocationId)) : Promise.resolve([]),
  ]);
  return observePlacement(pair, routeTables, addresses);
}
