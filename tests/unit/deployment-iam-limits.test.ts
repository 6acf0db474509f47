/**
 * IAM's size limits at 1, 15 and 50 pairs shaped like the example: every role's policies, measured
 * in the CloudFormation resources themselves with the real ARNs, stay within IAM's limits, and no
 * pair's objects are lost when the statements are packed into several policies. A configuration
 * that cannot fit is refused with the numbers, before anything is written.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it, vi } from 'vitest';
import { prepareDeployCommand } from '#cli/commands/prepare-deploy.js';
import { validateConfig } from '#shared/config/load.js';
import { ROLES, type Config } from '#shared/config/schema.js';
import { ConfigInvalidError } from '#shared/errors.js';
import { deployment, EVENT_PATTERN_LIMIT, FUNCTIONS, IAM_LIMITS, LOGICAL, rolePolicies, type Deployment, type FunctionKey } from '../../infra/deployment.js';
import { exampleRaw } from '../support/config.js';
import { manyPairConfig } from '../support/many-pairs.js';

const KEYS = Object.keys(FUNCTIONS) as FunctionKey[];
const REGION = 'eu-central-1';

/** A policy document as IAM receives it from CloudFormation: pseudo-parameters substituted, no white space. */
function iamText(doc: unknown): string {
  const resolved = JSON.stringify(doc, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && typeof (v as Record<string, unknown>)['Fn::Sub'] === 'string') {
      return ((v as Record<string, string>)['Fn::Sub'] as string)
        .replaceAll('${AWS::Partition}', 'aws')
        .replaceAll('${AWS::Region}', REGION)
        .replaceAll('${AWS::AccountId}', '210987654321');
    }
    return v;
  });
  return resolved;
}

type Resource = { Type: string; Properties: Record<string, unknown> };

/** What the template attaches to each function's role: its inline policy texts and its managed policies' texts. */
function attached(d: Deployment): Record<FunctionKey, { inline: string[]; managed: string[] }> {
  const out = Object.fromEntries(KEYS.map((k) => [k, { inline: [] as string[], managed: [] as string[] }])) as Record<FunctionKey, { inline: string[]; managed: string[] }>;
  const resources = Object.values(d.resources) as Resource[];
  for (const fn of KEYS) {
    const role = d.resources[LOGICAL.role(fn)] as Resource;
    for (const p of role.Properties.Policies as { PolicyDocument: unknown }[]) out[fn].inline.push(iamText(p.PolicyDocument));
    for (const r of resources.filter((x) => x.Type === 'AWS::IAM::ManagedPolicy')) {
      if ((r.Properties.Roles as { Ref: string }[]).some((x) => x.Ref === LOGICAL.role(fn))) out[fn].managed.push(iamText(r.Properties.PolicyDocument));
    }
  }
  return out;
}

function expectWithinLimits(d: Deployment): void {
  const texts = attached(d);
  for (const fn of KEYS) {
    const inline = texts[fn].inline.reduce((n, t) => n + t.length, 0);
    expect(inline, `${fn}: inline policies`).toBeLessThanOrEqual(IAM_LIMITS.inlinePerRole);
    for (const t of texts[fn].managed) expect(t.length, `${fn}: a managed policy`).toBeLessThanOrEqual(IAM_LIMITS.managedPolicy);
    expect(texts[fn].managed.length, `${fn}: managed policies`).toBeLessThanOrEqual(IAM_LIMITS.managedPerRoleDefault);
    // What prepare-deploy reports is what the template holds.
    expect(d.policies[fn].sizes).toEqual({ inline, managed: texts[fn].managed.map((t) => t.length) });
    // ...and rolePolicies, what the simulator's IAM enforcement evaluates, reads every one of them.
    expect(rolePolicies(d, fn).map((p) => iamText(p.document))).toEqual([...texts[fn].inline, ...texts[fn].managed]);
  }
}

/** Every object of every pair is named by the policies of the roles that act on it. */
function expectEveryPairGranted(config: Config, d: Deployment): void {
  const all = (fn: FunctionKey) => [...attached(d)[fn].inline, ...attached(d)[fn].managed].join('\n');
  const aws = all('flowAws');
  const control = all('flowControl');
  const probe = all('healthProbe');
  const firewall = all('flowFirewall');
  for (const pair of config.pairs) {
    for (const role of ROLES) {
      const fw = pair.firewalls[role];
      expect(aws, `${pair.name} ${fw.instanceId}`).toContain(`:instance/${fw.instanceId}"`);
      expect(control, `${pair.name} ${fw.instanceId}`).toContain(`:instance/${fw.instanceId}"`);
      const secret = 'secretsManager' in fw.apiKey ? fw.apiKey.secretsManager : undefined;
      if (secret) {
        expect(probe).toContain(`secret:${secret}-??????`);
        expect(firewall).toContain(`secret:${secret}-??????`);
      }
      const parameter = 'ssmParameter' in fw.apiKey ? fw.apiKey.ssmParameter : undefined;
      if (parameter) {
        expect(probe).toContain(`:parameter${parameter}"`);
        expect(firewall).toContain(`:parameter${parameter}"`);
      }
    }
    for (const r of pair.routes) expect(aws, r.routeTableId).toContain(`route-table/${r.routeTableId}"`);
    for (const e of pair.elasticIps) expect(aws, e.allocationId).toContain(`elastic-ip/${e.allocationId}"`);
    for (const text of [aws, control, probe, firewall]) expect(text, pair.name).toContain(`"pair#${pair.name}"`);
  }
  // A pair's Route 53 change is allowed by one statement that names its zone and its record.
  for (const pair of config.pairs) {
    for (const rec of pair.dnsRecords) {
      const statements = rolePolicies(d, 'flowAws')
        .flatMap((p) => p.document.Statement as unknown as { Action: string[]; Resource: unknown; Condition?: unknown }[])
        .filter((s) => s.Action.includes('route53:ChangeResourceRecordSets'));
      const covering = statements.filter(
        (s) =>
          JSON.stringify(s.Resource).includes(rec.hostedZoneId.replace(/^\/hostedzone\//, '')) &&
          JSON.stringify(s.Condition).includes(`"${rec.name.toLowerCase().replace(/\.$/, '')}"`),
      );
      expect(covering, `${pair.name} ${rec.name}`).toHaveLength(1);
    }
  }
}

describe('IAM within its limits', () => {
  it.each([1, 15, 50])('%i pairs shaped like the example (with fallback instance types): every role within the limits, every pair granted', (n) => {
    const config = manyPairConfig(n, { fallbackInstanceTypes: ['m5n.2xlarge', 'm5.2xlarge'] });
    const d = deployment(config, { stage: 'prod' });
    expectWithinLimits(d);
    expectEveryPairGranted(config, d);
    if (n === 1) for (const fn of KEYS) expect(d.policies[fn].managed, fn).toEqual([]);
    if (n >= 15) expect(d.policies.flowAws.managed.length).toBeGreaterThan(0);
    // The trigger rule's pattern stays within EventBridge's limit however many alarms there are.
    const rule = d.resources.AlarmTriggerRule as Resource;
    expect(JSON.stringify(rule.Properties.EventPattern).length).toBeLessThanOrEqual(EVENT_PATTERN_LIMIT);
  });

  it('refuses, with the numbers, a deployment whose role would need more managed policies than the quota allows', () => {
    const config = manyPairConfig(50, { fallbackInstanceTypes: ['m5n.2xlarge', 'm5.2xlarge'] });
    let error: unknown;
    try {
      deployment(config, { stage: 'prod', managedPolicyQuota: 3 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigInvalidError);
    const message = (error as Error).message;
    // Each role that does not fit, with its numbers (flow-aws needs 9 at 50 pairs: docs/deployment.md).
    expect(message).toMatch(/role pan-failover-prod-flow-aws-eu-central-1: 50 pairs need 9 managed policies of at most 6144 characters besides its inline policy \(10240\), and a role takes at most 3/);
    expect(message).toMatch(/role pan-failover-prod-flow-control-eu-central-1: 50 pairs need \d+ managed policies/);
    expect(message).not.toMatch(/health-probe/);
    // A raised quota above IAM's highest is itself refused.
    expect(() => deployment(config, { managedPolicyQuota: 21 })).toThrow(/managedPolicyQuota: 21 must be a whole number from 0 to 20/);
  });

  it('refuses a deployment that would exceed CloudFormation\'s 500 resources per stack, with the count', () => {
    expect(() => deployment(manyPairConfig(125), { stage: 'prod', managedPolicyQuota: 20 })).toThrow(/125 pairs make a stack of about \d{3} resources .* a CloudFormation stack holds at most 500/);
  });

  it('refuses a pair whose objects alone exceed a managed policy, naming the pair and the size', () => {
    // One pair with 120 route tables: its statements alone are larger than any policy can hold.
    const raw = exampleRaw();
    const pair = raw.pairs[0] as { routes: unknown[] };
    pair.routes = Array.from({ length: 120 }, (_, i) => ({
      routeTableId: `rtb-0bb${i.toString(16).padStart(14, '0')}`,
      destination: '0.0.0.0/0',
      targets: { primary: 'eni-0a000000000000011', secondary: 'eni-0b000000000000011' },
    }));
    const config = validateConfig(raw);
    expect(() => deployment(config, { stage: 'prod' })).toThrow(/role pan-failover-prod-flow-control-eu-central-1: the statements for pair 1 alone take \d{4,} characters, more than one managed policy holds \(6144/);
  });

  it('prepare-deploy refuses an over-limit configuration with exit code 2 semantics (ConfigInvalidError) and writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pan-failover-iam-'));
    try {
      const file = join(dir, 'pairs.yaml');
      writeFileSync(file, stringify(JSON.parse(JSON.stringify(manyPairConfig(50)))));
      const out = join(dir, 'out');
      await expect(prepareDeployCommand({ config: file, stage: 'prod', out, managedPolicyQuota: '3' })).rejects.toThrow(ConfigInvalidError);
      expect(existsSync(out)).toBe(false);
      // With the default quota the same 50 pairs are written, and the sizes printed.
      const lines: string[] = [];
      const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (lines.push(String(chunk)), true));
      try {
        expect(await prepareDeployCommand({ config: file, stage: 'prod', out })).toBe(0);
      } finally {
        spy.mockRestore();
      }
      expect(existsSync(join(out, 'deployment.json'))).toBe(true);
      expect(lines.join('')).toMatch(/pan-failover-prod-flow-aws\s+\d+ statement\(s\), inline \d+\/10240, \d+ managed \(\d+(, \d+)* of 6144 each\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
