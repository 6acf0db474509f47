/**
 * The simulator enforces the deployment's IAM policies: every call of a simulated function is
 * evaluated against the policies `infra/deployment.ts` generates for its role (Actions,
 * Resources with their real ARN shapes, Conditions). A failover with the generated policies goes
 * through with no call denied; a copy of them with one resource narrowed wrongly, one condition
 * wrong or one action missing makes the same failover fail, with the denied call named and
 * answered as AWS answers it.
 */
import { describe, expect, it } from 'vitest';
import type { FunctionKey } from '../../infra/deployment.js';
import type { NamedPolicy } from '#sim/world/iam.js';
import { IDS, PAIR, execution, executions, expectConsistentOn, moves, orchConfig, startOrch, story, orchSlot } from './support/orch-system.js';

const { start, sys } = orchSlot();

const FAILOVER = { pair: PAIR, action: 'failover', from: 'primary', reason: 'fw-a management plane dead' } as const;

/** The example's record (it follows the IPsec EIP, whose address moves with it: no change) and one whose value changes with the owner. */
const DNS = orchConfig({
  dnsRecords: [
    { hostedZoneId: IDS.zone, name: 'gp.example.com', type: 'A', ttl: 60, followElasticIp: IDS.eipIpsec },
    { hostedZoneId: IDS.zone, name: 'vpn.example.com', type: 'A', ttl: 60, values: { primary: ['203.0.113.10'], secondary: ['203.0.113.20'] } },
  ],
});

type Statement = Record<string, unknown> & { Action: string | string[]; Resource?: unknown; Condition?: Record<string, Record<string, unknown>> };

const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

/**
 * A copy of one function's generated policies with `edit` applied to every statement that allows
 * `action` (whatever policy and statement holds it, so the test keeps working when the policies
 * are laid out differently). Counts the statements it changed: a break that changed nothing
 * would prove nothing.
 */
function breaking(target: FunctionKey, action: string, edit: (s: Statement) => Statement, changed: { count: number }) {
  return (fn: FunctionKey, generated: readonly NamedPolicy[]): NamedPolicy[] =>
    generated.map((p) => {
      if (fn !== target) return p;
      const statements = (p.document.Statement as Statement[]).map((s) => {
        if (!actionsOf(s).includes(action)) return s;
        changed.count++;
        return edit(structuredClone(s));
      });
      return { name: p.name, document: { ...p.document, Statement: statements } };
    });
}

describe('IAM enforcement in the simulator', () => {
  it('with the generated policies a failover over the SDK goes through, every call evaluated as its function\'s role, none denied', async () => {
    await start({ transport: 'wire', config: DNS });
    sys().firewall('fw-a').setFaults({ dead: true });
    const run = await sys().runFlow(FAILOVER, 'iam-ok');
    expect(run.status, story(sys())).toBe('SUCCEEDED');
    await expectConsistentOn(sys(), 'secondary');
    const records = sys().world.iam.records();
    const by = (fn: string) => new Set(records.filter((r) => r.principal === fn).map((r) => r.action));
    expect([...by('flow-aws')]).toEqual(expect.arrayContaining(['ec2:StartInstances', 'ec2:ReplaceRoute', 'ec2:AssociateAddress', 'ec2:StopInstances', 'route53:ChangeResourceRecordSets', 'dynamodb:GetItem']));
    expect([...by('flow-control')]).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'sns:Publish']));
    // The example keeps its API keys in Parameter Store (ADR 0010).
    expect([...by('flow-firewall')]).toEqual(expect.arrayContaining(['ssm:GetParameter']));
    expect(sys().iamDenials()).toEqual([]);
    // Every wire request of the flow was signed by one of the functions' roles.
    expect(sys().aws?.recentRequests().filter((r) => r.principal === undefined)).toEqual([]);
  }, 120_000);

  it('broken policy 1, a resource narrowed wrongly: the route-table ARNs of flow-aws lack the second table -> ReplaceRoute there is UnauthorizedOperation, the failover does not complete', async () => {
    const changed = { count: 0 };
    const narrow = (s: Statement): Statement => ({ ...s, Resource: (s.Resource as string[]).filter((arn) => !arn.endsWith(`route-table/${IDS.rtbB}`)) });
    await start({ transport: 'wire', iam: { expectDenials: true, policies: breaking('flowAws', 'ec2:ReplaceRoute', narrow, changed) } });
    expect(changed.count).toBeGreaterThan(0);
    sys().firewall('fw-a').setFaults({ dead: true });
    const run = await sys().runFlow(FAILOVER, 'iam-narrowed');
    const view = execution(sys(), 'iam-narrowed');
    expect(run.status === 'SUCCEEDED' && view.state?.result?.outcome === 'succeeded', story(sys())).toBe(false);
    const denied = sys().iamDenials();
    expect(denied.map((d) => [d.principal, d.action, d.resource.split(':').at(-1)])).toContainEqual(['flow-aws', 'ec2:ReplaceRoute', `route-table/${IDS.rtbB}`]);
    // The SDK got EC2's answer (UnauthorizedOperation), which the adapter types as access denied.
    expect(JSON.stringify(executions(sys()))).toMatch(/AwsAccessDeniedError|UnauthorizedOperation/);
  }, 120_000);

  it('broken policy 2, a condition wrong: the Route 53 record-name condition of flow-aws not normalized (trailing dot) -> ChangeResourceRecordSets is AccessDenied, the DNS record keeps the address of fw-a', async () => {
    const changed = { count: 0 };
    const unnormalized = (s: Statement): Statement => {
      const cond = s.Condition?.['ForAllValues:StringEquals'] as Record<string, string[]>;
      const key = 'route53:ChangeResourceRecordSetsNormalizedRecordNames';
      return { ...s, Condition: { ...s.Condition, 'ForAllValues:StringEquals': { ...cond, [key]: (cond[key] ?? []).map((n) => `${n}.`) } } };
    };
    await start({ config: DNS, iam: { expectDenials: true, policies: breaking('flowAws', 'route53:ChangeResourceRecordSets', unnormalized, changed) } });
    expect(changed.count).toBeGreaterThan(0);
    const before = sys().world.route53.resolve('vpn.example.com', 'A');
    expect(before).toMatchObject({ values: ['203.0.113.10'] });
    sys().firewall('fw-a').setFaults({ dead: true });
    await sys().runFlow(FAILOVER, 'iam-condition');
    const denied = sys().iamDenials();
    expect(denied.map((d) => [d.principal, d.action, d.resource])).toContainEqual(['flow-aws', 'route53:ChangeResourceRecordSets', `arn:aws:route53:::hostedzone/${IDS.zone}`]);
    expect(sys().world.route53.resolve('vpn.example.com', 'A')).toEqual(before);
    const view = execution(sys(), 'iam-condition');
    expect(view.state?.result?.outcome, story(sys())).not.toBe('succeeded');
  }, 120_000);

  it('broken policy 3, an action missing: flow-aws without ec2:StartInstances -> UnauthorizedOperation at StartTarget, nothing moved, the failover fails', async () => {
    const changed = { count: 0 };
    const drop = (s: Statement): Statement => ({ ...s, Action: actionsOf(s).filter((a) => a !== 'ec2:StartInstances') });
    await start({ iam: { expectDenials: true, policies: breaking('flowAws', 'ec2:StartInstances', drop, changed) } });
    expect(changed.count).toBeGreaterThan(0);
    sys().firewall('fw-a').setFaults({ dead: true });
    const before = sys().clock.now();
    await sys().runFlow(FAILOVER, 'iam-missing');
    const view = execution(sys(), 'iam-missing');
    expect(view.state?.result?.outcome, story(sys())).not.toBe('succeeded');
    expect(sys().iamDenials().map((d) => [d.principal, d.action, d.resource])).toEqual([['flow-aws', 'ec2:StartInstances', `arn:aws:ec2:eu-central-1:123456789012:instance/${IDS.fwB}`]]);
    expect(moves(sys(), before)).toEqual([]);
  }, 120_000);

  it('a denied call fails the run: closing a system whose functions were denied throws, naming each denied call', async () => {
    const changed = { count: 0 };
    const drop = (s: Statement): Statement => ({ ...s, Action: actionsOf(s).filter((a) => a !== 'ec2:StartInstances') });
    const s = await startOrch({ iam: { policies: breaking('flowAws', 'ec2:StartInstances', drop, changed) } });
    s.firewall('fw-a').setFaults({ dead: true });
    await s.runFlow(FAILOVER, 'iam-close');
    await expect(s.close()).rejects.toMatchObject({ name: 'IamDeniedDuringRunError', message: expect.stringContaining('flow-aws: ec2:StartInstances on arn:aws:ec2:') });
  }, 120_000);
});
