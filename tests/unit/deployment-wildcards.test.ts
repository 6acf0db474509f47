/**
 * No wildcard on a mutating action: every IAM policy statement in the generated stack that
 * allows an action which changes something must name its resources or carry a condition.
 * Checked over the roles as they are written into the template (`resources`), for the example
 * and for a two-pair configuration.
 */
import { describe, expect, it } from 'vitest';
import { deployment } from '../../infra/deployment.js';
import { makeConfig } from '../support/config.js';
import { twoPairConfig } from '../support/two-pairs.js';

interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Action: string | readonly string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, unknown>;
}

/** Read-only by name (IAM's own access levels List and Read). */
const READ_ONLY = /^[a-z0-9-]+:(Describe|List|Get|BatchGet)[A-Za-z]*$/;
/**
 * Writes that accept no resource and no condition key at all and touch only the caller's own
 * telemetry: X-Ray accepts trace segments for the account, nothing else can be named.
 */
const TELEMETRY_ONLY: ReadonlySet<string> = new Set(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']);

function everyStatement(template: Record<string, unknown>): { role: string; statement: PolicyStatement }[] {
  const out: { role: string; statement: PolicyStatement }[] = [];
  for (const [logicalId, resource] of Object.entries(template)) {
    const r = resource as { Type?: string; Properties?: { Policies?: { PolicyDocument: { Statement: PolicyStatement[] } }[]; PolicyDocument?: { Statement: PolicyStatement[] } } };
    if (r.Type === 'AWS::IAM::Role') for (const p of r.Properties?.Policies ?? []) for (const s of p.PolicyDocument.Statement) out.push({ role: logicalId, statement: s });
    if (r.Type === 'AWS::IAM::ManagedPolicy' || r.Type === 'AWS::IAM::Policy') for (const s of r.Properties?.PolicyDocument?.Statement ?? []) out.push({ role: logicalId, statement: s });
  }
  return out;
}

const isWildcard = (resource: unknown): boolean => {
  const list = Array.isArray(resource) ? resource : [resource];
  return list.some((r) => r === '*' || (typeof r === 'object' && r !== null && (r as { 'Fn::Sub'?: string })['Fn::Sub'] === '*'));
};

/** The offending `role/Sid: action` lines: mutating actions on "*" without a condition. */
function wildcardMutations(template: Record<string, unknown>): string[] {
  const offences: string[] = [];
  for (const { role, statement } of everyStatement(template)) {
    if (statement.Effect !== 'Allow' || !isWildcard(statement.Resource) || statement.Condition !== undefined) continue;
    const actions = typeof statement.Action === 'string' ? [statement.Action] : statement.Action;
    for (const a of actions) {
      if (a.includes('*') || (!READ_ONLY.test(a) && !TELEMETRY_ONLY.has(a))) offences.push(`${role}/${statement.Sid ?? '?'}: ${a}`);
    }
  }
  return offences;
}

describe('IAM: no wildcard on a mutating action', () => {
  for (const [name, config] of [
    ['the example', makeConfig()],
    ['two pairs', twoPairConfig()],
  ] as const) {
    it(`${name}: every mutating action names its resources or is limited by a condition`, () => {
      const d = deployment(config, { stage: 'prod' });
      const statements = everyStatement(d.resources);
      expect(statements.length).toBeGreaterThan(10);
      expect(wildcardMutations(d.resources)).toEqual([]);
    });
  }

  it('the check itself finds a wildcard mutation (the old VPC attachment statement)', () => {
    const old = {
      Role: {
        Type: 'AWS::IAM::Role',
        Properties: {
          Policies: [
            {
              PolicyDocument: {
                Statement: [
                  { Sid: 'VpcAttachment', Effect: 'Allow', Action: ['ec2:DescribeSubnets', 'ec2:DeleteNetworkInterface', 'ec2:UnassignPrivateIpAddresses'], Resource: '*' },
                  { Sid: 'Scoped', Effect: 'Allow', Action: ['ec2:DeleteNetworkInterface'], Resource: '*', Condition: { ArnEquals: { 'ec2:Subnet': ['x'] } } },
                  { Sid: 'Star', Effect: 'Allow', Action: 'ec2:*', Resource: ['arn:x', '*'] },
                ],
              },
            },
          ],
        },
      },
    };
    expect(wildcardMutations(old)).toEqual(['Role/VpcAttachment: ec2:DeleteNetworkInterface', 'Role/VpcAttachment: ec2:UnassignPrivateIpAddresses', 'Role/Star: ec2:*']);
  });

  it('the VPC attachment of the functions in the VPC is limited to the deployment\'s subnets and security groups', () => {
    const d = deployment(makeConfig(), { stage: 'prod' });
    const sub = (r: unknown) => (r as { 'Fn::Sub': string })['Fn::Sub'];
    for (const fn of ['healthProbe', 'flowFirewall'] as const) {
      const own = d.permissions[fn].find((s) => s.Sid === 'VpcOwnInterfaces');
      expect(own?.Action).toEqual(['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses']);
      expect(sub(own?.Resource)).toMatch(/:network-interface\/\*$/);
      const subnets = ((own?.Condition as { ArnEquals: { 'ec2:Subnet': unknown[] } }).ArnEquals['ec2:Subnet']).map(sub);
      expect(subnets.map((s) => s.replace(/^.*:subnet\//, ''))).toEqual([...d.vpc.subnetIds]);
      const create = d.permissions[fn].find((s) => s.Sid === 'VpcCreateInterfaceIn');
      expect((create?.Resource as unknown[]).map(sub).map((s) => s.replace(/^.*:(subnet|security-group)\//, ''))).toEqual([...d.vpc.subnetIds, ...d.vpc.securityGroupIds]);
    }
    for (const fn of ['flowAws', 'flowControl'] as const) {
      expect(d.permissions[fn].flatMap((s) => s.Action).filter((a) => a.includes('NetworkInterface') || a.includes('PrivateIp'))).toEqual([]);
    }
  });
});
