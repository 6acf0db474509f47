/** Ports to notifications (SNS), the state machine (Step Functions) and secrets (Secrets Manager). */

export interface Notification {
  /** One line for people (e-mail subject, at most 100 characters). */
  readonly subject: string;
  /** Machine-readable body, serialised as JSON. Never contains secrets. */
  readonly body: Readonly<Record<string, unknown>>;
  /** Short string attributes for subscription filter policies (`pair`, `event`, `outcome`). */
  readonly attributes?: Readonly<Record<string, string>>;
}

export interface Notifier {
  publish(notification: Notification): Promise<void>;
}

export interface StartResult {
  readonly executionArn: string;
  /** True when an execution with this name already existed (the start was a no-op). */
  readonly alreadyExisted: boolean;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';

export interface FlowStarter {
  /** StartExecution with a deterministic name, so a repeated trigger is a no-op. */
  start(executionName: string, input: Readonly<Record<string, unknown>>): Promise<StartResult>;
  /** Status of an execution started earlier by name; `undefined` if unknown. */
  status(executionName: string): Promise<ExecutionStatus | undefined>;
}

export interface SecretReader {
  /** The secret's string value. Throws `SecretUnavailableError` (naming the id, never the value). */
  getSecretString(secretId: string): Promise<string>;
  /** Drops a cached value (the firewall refused it: the key may have been rotated). Optional. */
  invalidate?(secretId: string): void;
}
