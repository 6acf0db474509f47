/**
 * Ports the self-test uses besides the usual ones (`pan-failover selftest`,
 * shared/usecases/selftest.ts): EC2's dry run of the calls a failover makes, IAM's policy
 * simulation for the calls that have no dry run, a read of the notification topic, and the
 * invocation of a deployed function.
 */

/** A call that changes EC2, with exactly the parameters the flow sends (shared/adapters/aws/ec2.ts builds both). */
export type Ec2Mutation =
  | { readonly action: 'StartInstances' | 'StopInstances'; readonly instanceId: string }
  | { readonly action: 'ModifyInstanceAttribute'; readonly instanceId: string; readonly instanceType: string }
  | { readonly action: 'ReplaceRoute' | 'CreateRoute'; readonly routeTableId: string; readonly destination: string; readonly networkInterfaceId: string }
  | { readonly action: 'AssociateAddress'; readonly allocationId: string; readonly networkInterfaceId: string; readonly privateIp: string };

/**
 * EC2's answer to a call sent with `DryRun=true`: `DryRunOperation` (allowed), or
 * `UnauthorizedOperation` (denied, with EC2's message naming the action and the resource).
 * Any other answer is thrown as the usual typed `AwsError`.
 */
export type DryRunAnswer = { readonly allowed: true } | { readonly allowed: false; readonly message: string };

export interface Ec2DryRun {
  dryRun(call: Ec2Mutation): Promise<DryRunAnswer>;
}

/** One request to evaluate: an IAM action on one resource ARN, with the request's condition keys. */
export interface PolicyCheck {
  readonly action: string;
  readonly resource: string;
  readonly context: Readonly<Record<string, readonly string[]>>;
}

export interface PolicyDecision {
  readonly allowed: boolean;
  /** IAM's `EvalDecision`: `allowed`, `implicitDeny` or `explicitDeny`. */
  readonly decision: string;
}

/** `iam:SimulatePrincipalPolicy` on one role (the caller's own). */
export interface PolicySimulator {
  simulate(roleArn: string, check: PolicyCheck): Promise<PolicyDecision>;
}

/** `sns:GetTopicAttributes`: the topic exists and this role can reach it (publishes nothing). */
export interface TopicReader {
  readTopic(topicArn: string): Promise<void>;
}

/** Lambda `Invoke` (RequestResponse) of a deployed function; returns its parsed answer. */
export interface FunctionInvoker {
  invoke(functionName: string, payload: unknown): Promise<unknown>;
}

/** The partition key of the controller's own items in the state table (not a pair's: `pair#<name>`). */
export const CONTROLLER_KEY = 'controller';

/** The last self-test's result, kept in the state table (`pk` = `controller`, `sk` = `selftest`). */
export interface SelftestRecord {
  /** Epoch ms when it ran. */
  readonly at: number;
  readonly verdict: 'ok' | 'failed' | 'incomplete';
  /** `cli:<user>` or `schedule`. */
  readonly requestedBy: string;
  /** Rows per result (`pass`, `denied`...). */
  readonly counts: Readonly<Record<string, number>>;
  /** The rows that did not pass (at most 50), as `function: check resource: result`. */
  readonly problems: readonly string[];
}

export interface SelftestStore {
  getLastSelftest(): Promise<SelftestRecord | undefined>;
  putLastSelftest(record: SelftestRecord): Promise<void>;
}
