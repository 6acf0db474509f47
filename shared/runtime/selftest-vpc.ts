/**
 * The self-test of the functions in the VPC (health-probe, flow-firewall): their ports from the
 * environment, built at the first self-test event. The API keys are read by a reader of its
 * own, without the probe's cache: a key read earlier must not hide an unreachable Secrets Manager.
 */
import { createDynamoDbClient, createEc2Client, createSecretsManagerClient, createSsmClient, type AwsClientOptions } from '../adapters/aws/clients.js';
import { DynamoStateStore } from '../adapters/aws/dynamodb-store.js';
import { Ec2Adapter } from '../adapters/aws/ec2.js';
import { createSecretReader } from '../adapters/aws/secrets.js';
import { createFirewallApiFactory } from '../adapters/panos/index.js';
import { loadJsonConfigFile } from '../config/load-json.js';
import type { Config } from '../config/schema.js';
import { functionReport, isSelftestEvent, selftestFlowFirewall, selftestHealthProbe, type SelftestIdentity, type VpcSideDeps } from '../usecases/selftest.js';
import { readEnvironment } from './environment.js';
import { selftestIdentity, withSelftest, type SelftestHook } from './selftest-hook.js';

export { withSelftest };

type VpcSideFn = 'health-probe' | 'flow-firewall';

/** The probe's extra parts (its state machine, the topic): built by shared/runtime/selftest-probe.ts, so flow-firewall's bundle carries no SNS or Step Functions client. */
export type ProbeSelftestParts = (stateMachineArn: string | undefined, aws?: AwsClientOptions) => Pick<VpcSideDeps, 'flows' | 'stateMachineArn' | 'topic'>;

/** `aws`: the clients' options (the simulator signs each function's calls with its role's key). */
export function vpcSideSelftestDeps(config: Config, identity: SelftestIdentity, options: { aws?: AwsClientOptions; stateMachineArn?: string; probeParts?: ProbeSelftestParts } = {}): VpcSideDeps {
  const secrets = createSecretReader({ client: createSecretsManagerClient(options.aws), ssm: createSsmClient(options.aws) });
  return {
    config,
    ec2: new Ec2Adapter(createEc2Client(options.aws)),
    store: new DynamoStateStore({ client: createDynamoDbClient(options.aws), tableName: identity.tableName }),
    secrets,
    firewalls: createFirewallApiFactory({ secrets }),
    identity,
    ...(options.probeParts ? options.probeParts(options.stateMachineArn, options.aws) : {}),
  };
}

export function vpcSelftestHook(fn: VpcSideFn, getDeps: () => Promise<VpcSideDeps>): SelftestHook {
  return (event) => (isSelftestEvent(event) ? getDeps().then(async (deps) => functionReport(fn, await (fn === 'health-probe' ? selftestHealthProbe : selftestFlowFirewall)(deps))) : undefined);
}

export function deployedVpcSelftestHook(fn: VpcSideFn, probeParts?: ProbeSelftestParts): SelftestHook {
  return vpcSelftestHook(fn, async () => {
    const env = readEnvironment();
    return vpcSideSelftestDeps(await loadJsonConfigFile(env.PAN_FAILOVER_CONFIG), selftestIdentity(env), { stateMachineArn: env.PAN_FAILOVER_STATE_MACHINE_ARN, ...(probeParts ? { probeParts } : {}) });
  });
}
