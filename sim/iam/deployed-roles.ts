/**
 * The simulated functions' identities: one role per function, with exactly the policies the
 * generated stack attaches to it (`rolePolicies` of infra/deployment.ts), their CloudFormation
 * intrinsics resolved for the simulated account and region.
 */
import type { Config } from '#shared/config/schema.js';
import { deployment, FUNCTIONS, LOGICAL, rolePolicies, type Deployment, type FunctionKey } from '../../infra/deployment.js';
import type { IamPrincipal, NamedPolicy, PolicyDocument } from '#sim/world/iam.js';
import { SIM_STATE_MACHINE, SIM_TABLE, SIM_TOPIC } from '#sim/scenario/topology-from-config.js';

/** The stage the simulator "deploys" (its table, topic and state machine carry these names). */
export const SIM_STAGE = 'sim';

/** Subnets and security groups for a configuration without a `deployment` section (they are in no policy). */
const SIM_DEPLOYMENT_SECTION = { subnetIds: ['subnet-0000000000000000a'], securityGroupIds: ['sg-0000000000000000a'], notifyEmails: [] };

export const FUNCTION_KEYS = Object.keys(FUNCTIONS) as FunctionKey[];

/** The access key a simulated function signs with (its Lambda execution role's session). */
export function simAccessKeyId(fn: FunctionKey): string {
  return `ASIASIM${FUNCTIONS[fn].dir.replace(/-/g, '').toUpperCase()}`;
}

/** The stack the simulator stands for: the configuration's, at stage `sim`. */
export function simulatedDeployment(config: Config): Deployment {
  return deployment(config.deployment ? config : { ...config, deployment: SIM_DEPLOYMENT_SECTION }, { stage: SIM_STAGE });
}

export interface SimAccount {
  readonly region: string;
  readonly accountId: string;
}

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/** Resolves the intrinsics the policies use: `Fn::Sub` with pseudo parameters, `Ref` and `Fn::GetAtt ... Arn` of the stack's table, topic and state machine. */
export function resolveIntrinsics(value: Json, d: Deployment, account: SimAccount): Json {
  const pseudo: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': account.region, 'AWS::AccountId': account.accountId, 'AWS::URLSuffix': 'amazonaws.com' };
  const arns: Record<string, { ref: string; arn: string }> = {
    [LOGICAL.table]: { ref: d.names.table, arn: `arn:aws:dynamodb:${account.region}:${account.accountId}:table/${d.names.table}` },
    [LOGICAL.topic]: {
      ref: `arn:aws:sns:${account.region}:${account.accountId}:${d.names.topic}`,
      arn: `arn:aws:sns:${account.region}:${account.accountId}:${d.names.topic}`,
    },
    [LOGICAL.stateMachine]: {
      ref: `arn:aws:states:${account.region}:${account.accountId}:stateMachine:${d.names.stateMachine}`,
      arn: `arn:aws:states:${account.region}:${account.accountId}:stateMachine:${d.names.stateMachine}`,
    },
  };
  const sub = (template: string, vars: Record<string, Json>): string =>
    template.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
      const v = vars[name] !== undefined ? resolveIntrinsics(vars[name], d, account) : (pseudo[name] ?? (name.endsWith('.Arn') ? arns[name.slice(0, -4)]?.arn : arns[name]?.ref));
      if (typeof v !== 'string') throw new Error(`cannot resolve \${${name}} in a role policy`);
      return v;
    });
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(v, d, account));
  if (typeof value !== 'object' || value === null) return value;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const [k] = keys as [string];
    const v = value[k] as Json;
    if (k === 'Fn::Sub') {
      if (typeof v === 'string') return sub(v, {});
      if (Array.isArray(v) && typeof v[0] === 'string') return sub(v[0], (v[1] ?? {}) as Record<string, Json>);
      throw new Error(`unsupported Fn::Sub ${JSON.stringify(v)} in a role policy`);
    }
    if (k === 'Ref') {
      const name = typeof v === 'string' ? v : JSON.stringify(v);
      const r = pseudo[name] ?? arns[name]?.ref;
      if (r === undefined) throw new Error(`cannot resolve Ref ${name} in a role policy`);
      return r;
    }
    if (k === 'Fn::GetAtt') {
      const [id, attr] = (Array.isArray(v) ? v : typeof v === 'string' ? v.split('.') : []) as string[];
      const r = attr === 'Arn' && id !== undefined ? arns[id]?.arn : undefined;
      if (r === undefined) throw new Error(`cannot resolve Fn::GetAtt ${JSON.stringify(v)} in a role policy`);
      return r;
    }
    if (k.startsWith('Fn::')) throw new Error(`unsupported intrinsic ${k} in a role policy`);
  }
  return Object.fromEntries(Object.entries(value).map(([kk, vv]) => [kk, resolveIntrinsics(vv, d, account)]));
}

/** A role's policies with every intrinsic resolved: what IAM holds once the stack is deployed. */
export function deployedPolicies(d: Deployment, fn: FunctionKey, account: SimAccount): NamedPolicy[] {
  return rolePolicies(d, fn).map((p) => ({ name: p.name, document: resolveIntrinsics(p.document as unknown as Json, d, account) as unknown as PolicyDocument }));
}

export interface SimRolesOptions {
  /** Changes a role's policies before they are enforced (tests of broken policies). */
  readonly policies?: (fn: FunctionKey, generated: readonly NamedPolicy[]) => readonly NamedPolicy[];
}

/** The four functions' principals in the simulated account. */
export function simPrincipals(config: Config, account: SimAccount, options: SimRolesOptions = {}): Record<FunctionKey, IamPrincipal> {
  const d = simulatedDeployment(config);
  if (d.region !== account.region) throw new Error(`the simulated account is in ${account.region}, the deployment in ${d.region}`);
  const { table, topic, stateMachine } = d.names;
  if (table !== SIM_TABLE || topic !== SIM_TOPIC || stateMachine !== SIM_STATE_MACHINE) {
    throw new Error(`the simulated resources (${SIM_TABLE}, ${SIM_TOPIC}, ${SIM_STATE_MACHINE}) are not the deployment's (${table}, ${topic}, ${stateMachine})`);
  }
  return Object.fromEntries(
    FUNCTION_KEYS.map((fn) => {
      const generated = deployedPolicies(d, fn, account);
      const role = d.names.roles[fn];
      const principal: IamPrincipal = {
        accessKeyId: simAccessKeyId(fn),
        name: FUNCTIONS[fn].dir,
        roleArn: `arn:aws:iam::${account.accountId}:role/${role}`,
        sessionArn: `arn:aws:sts::${account.accountId}:assumed-role/${role}/${d.names.functions[fn]}`,
        policies: options.policies ? options.policies(fn, generated) : generated,
      };
      return [fn, principal];
    }),
  ) as Record<FunctionKey, IamPrincipal>;
}
