/**
 * API keys in SSM Parameter Store (ADR 0010) on the simulator: `GetParameter` over the wire
 * (awsJson1_1, `AmazonSSM.GetParameter`) with the real SDK client, authorized on the parameter's
 * ARN; the example (keys in Parameter Store) probed with the deployment's generated policies,
 * reading its keys through `ssm:GetParameter` and never Secrets Manager; and the same round with
 * the probe's policy lacking one parameter: the call is denied as AWS denies it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createSecretReader } from '#shared/adapters/aws/secrets.js';
import { startAwsSimulator, type AwsSimulator } from '#sim/aws/server.js';
import { ManualClock } from '#sim/manual-clock.js';
import { createPolicyEvaluator } from '#sim/iam/evaluator.js';
import type { IamPrincipal, NamedPolicy } from '#sim/world/iam.js';
import { World } from '#sim/world/world.js';
import { SimSystem } from '#sim/system.js';
import type { FunctionKey } from '../../infra/deployment.js';
import { makeConfig } from '../support/config.js';
import { exampleTopology } from '../support/example-topology.js';

const ACCOUNT = '123456789012';
const REGION = 'eu-central-1';
const parameterArn = (path: string) => `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${path}`;
const KEY_A = 'LUFRPT-ssm-key-fw-a';

/** May read fw-a's parameter and the plaintext one only. */
const READER: IamPrincipal = {
  accessKeyId: 'ASIASIMSSMTEST',
  name: 'ssm-reader',
  roleArn: `arn:aws:iam::${ACCOUNT}:role/ssm-reader`,
  sessionArn: `arn:aws:sts::${ACCOUNT}:assumed-role/ssm-reader/ssm-reader`,
  policies: [
    {
      name: 'keys',
      document: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: [parameterArn('/pan-failover/fw-a/api-key'), parameterArn('/plain/key'), parameterArn('/absent/key')] }],
      },
    },
  ],
};

let world: World | undefined;
let aws: AwsSimulator | undefined;
let system: SimSystem | undefined;
afterEach(async () => {
  await aws?.close();
  world?.close();
  await system?.close({ denialsReported: true });
  aws = undefined;
  world = undefined;
  system = undefined;
});

async function wire() {
  world = World.create({ clock: new ManualClock(), seed: 5 }).load({
    ...exampleTopology(),
    parameters: [
      { name: '/pan-failover/fw-a/api-key', value: KEY_A, type: 'SecureString' },
      { name: '/pan-failover/fw-b/api-key', value: 'LUFRPT-ssm-key-fw-b', type: 'SecureString' },
      { name: '/plain/key', value: 'LUFRPT-plaintext', type: 'String' },
    ],
  });
  world.iam.enforce(createPolicyEvaluator(), [READER]);
  aws = await startAwsSimulator({ world });
  const as = { endpoint: aws.endpoint, region: REGION, credentials: { accessKeyId: READER.accessKeyId, secretAccessKey: 'x' }, maxAttempts: 1 };
  return { world, aws, as };
}

async function failure(p: Promise<unknown>): Promise<{ name: string; message: string; status: number | undefined }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

describe('simulated SSM GetParameter on the wire', () => {
  it('answers a SecureString decrypted with its Type and ARN; without WithDecryption the value is ciphertext, not the key', async () => {
    const { as } = await wire();
    const ssm = new SSMClient(as);
    const out = await ssm.send(new GetParameterCommand({ Name: '/pan-failover/fw-a/api-key', WithDecryption: true }));
    expect(out.Parameter).toMatchObject({ Name: '/pan-failover/fw-a/api-key', Type: 'SecureString', Value: KEY_A, ARN: parameterArn('/pan-failover/fw-a/api-key'), Version: 1 });
    const byArn = await ssm.send(new GetParameterCommand({ Name: parameterArn('/pan-failover/fw-a/api-key'), WithDecryption: true }));
    expect(byArn.Parameter?.Value).toBe(KEY_A);
    const encrypted = await ssm.send(new GetParameterCommand({ Name: '/pan-failover/fw-a/api-key' }));
    expect(encrypted.Parameter?.Type).toBe('SecureString');
    expect(encrypted.Parameter?.Value).not.toContain(KEY_A);
    const plain = await ssm.send(new GetParameterCommand({ Name: '/plain/key', WithDecryption: true }));
    expect(plain.Parameter).toMatchObject({ Type: 'String', Value: 'LUFRPT-plaintext' });
  });

  it('a parameter the policy does not name: AccessDeniedException naming the action and the ARN; an unknown allowed name: ParameterNotFound', async () => {
    const { as, world } = await wire();
    const ssm = new SSMClient(as);
    const denied = await failure(ssm.send(new GetParameterCommand({ Name: '/pan-failover/fw-b/api-key', WithDecryption: true })));
    expect(denied).toMatchObject({ name: 'AccessDeniedException', status: 400 });
    expect(denied.message).toContain(`is not authorized to perform: ssm:GetParameter on resource: ${parameterArn('/pan-failover/fw-b/api-key')}`);
    expect(denied.message).not.toContain('LUFRPT');
    expect(await failure(ssm.send(new GetParameterCommand({ Name: '/absent/key', WithDecryption: true })))).toMatchObject({ name: 'ParameterNotFound', status: 400 });
    expect(world.iam.records().filter((r) => r.action === 'ssm:GetParameter').map((r) => [r.resource, r.allowed])).toEqual([
      [parameterArn('/pan-failover/fw-b/api-key'), false],
      [parameterArn('/absent/key'), true],
    ]);
  });

  it('refuses request members it does not implement, and version selectors, by name', async () => {
    const { world } = await wire();
    expect(() => world.parameters.getParameter({ Name: '/pan-failover/fw-a/api-key', WithDecryption: true, Label: 'x' })).toThrow('Unsupported by the simulator: the member Label in GetParameter');
    expect(() => world.parameters.getParameter({ Name: '/pan-failover/fw-a/api-key:2', WithDecryption: true })).toThrow('Unsupported by the simulator: a version or label selector');
  });

  it("the controller's reader over the wire: SecureString read; a String parameter refused, naming it, never its value; a denied one names the parameter", async () => {
    const { as } = await wire();
    const keys = createSecretReader({ client: new SecretsManagerClient(as), ssm: new SSMClient(as) });
    expect(await keys.getParameterString('/pan-failover/fw-a/api-key')).toBe(KEY_A);
    const plain = await keys.getParameterString('/plain/key').catch((e: unknown) => e as Error);
    expect(plain).toMatchObject({ name: 'SecretUnavailableError', message: expect.stringContaining('/plain/key is unavailable: the parameter is of type String, not SecureString') });
    expect((plain as Error).message).not.toContain('LUFRPT-plaintext');
    const denied = await keys.getParameterString('/pan-failover/fw-b/api-key').catch((e: unknown) => e as Error);
    expect(denied).toMatchObject({ name: 'SecretUnavailableError', cause: { name: 'AwsAccessDeniedError' } });
  });
});

/** The generated policies of `target` with `path`'s parameter taken out of its ssm:GetParameter statements. */
function withoutParameter(target: FunctionKey, path: string, changed: { count: number }) {
  return (fn: FunctionKey, generated: readonly NamedPolicy[]): NamedPolicy[] =>
    generated.map((p) => {
      if (fn !== target) return p;
      const statements = (p.document.Statement as { Action: string[]; Resource: string[] }[]).map((s) => {
        if (!s.Action.includes('ssm:GetParameter')) return s;
        changed.count++;
        return { ...s, Resource: s.Resource.filter((r) => !r.endsWith(`:parameter${path}`)) };
      });
      return { name: p.name, document: { ...p.document, Statement: statements } };
    });
}

describe('the example with its keys in Parameter Store, on the simulated deployment', () => {
  it("a probe invocation over the SDK reads the active firewall's key with ssm:GetParameter (never Secrets Manager); no call denied", async () => {
    system = await SimSystem.start({ config: makeConfig(), speed: 30, transport: 'wire', schedule: false, alarmTrigger: false });
    const summary = await system.invokeProbe();
    expect(summary.pairs.map((p) => [p.pair, p.owner, p.action])).toEqual([['hq-egress', 'primary', 'none']]);
    const probeCalls = system.world.iam.records().filter((r) => r.principal === 'health-probe');
    expect(probeCalls.filter((r) => r.action === 'ssm:GetParameter').map((r) => r.resource)).toEqual(expect.arrayContaining([parameterArn('/pan-failover/fw-a/api-key')]));
    expect(probeCalls.filter((r) => r.action.startsWith('secretsmanager:'))).toEqual([]);
    expect(system.aws?.requestCounts()['ssm:GetParameter']).toBeGreaterThan(0);
    expect(system.iamDenials()).toEqual([]);
  }, 60_000);

  it("the probe's policy without fw-a's parameter: GetParameter denied on that ARN, the round sees fw-a's key unavailable and starts no failover", async () => {
    const changed = { count: 0 };
    system = await SimSystem.start({
      config: makeConfig(),
      speed: 30,
      transport: 'wire',
      schedule: false,
      alarmTrigger: false,
      iam: { expectDenials: true, policies: withoutParameter('healthProbe', '/pan-failover/fw-a/api-key', changed) },
    });
    expect(changed.count).toBeGreaterThan(0);
    const summary = await system.invokeProbe();
    expect(summary.pairs[0]?.action).not.toBe('failover');
    expect(system.runningExecutions()).toEqual([]);
    const denials = system.iamDenials().map((d) => [d.principal, d.action, d.resource]);
    expect(denials.length).toBeGreaterThan(0);
    expect(new Set(denials.map((d) => JSON.stringify(d)))).toEqual(new Set([JSON.stringify(['health-probe', 'ssm:GetParameter', parameterArn('/pan-failover/fw-a/api-key')])]));
  }, 60_000);
});
