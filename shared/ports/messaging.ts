/** Ports to notifications (SNS), the state machine (Step Functions) and secrets (Secrets Manager). */

export type NotificationLanguage = 'en' | 'ja';

/**
 * What a person reads (e-mail, SMS, chat), already in the configured language. Built by
 * `shared/notify/`; the SNS adapters lay it out per protocol (`shared/notify/render.ts`).
 */
export interface NotificationText {
  readonly language: NotificationLanguage;
  /** What happened, in one sentence. */
  readonly headline: string;
  /** What it means for traffic. */
  readonly traffic: string;
  /** The flow's phases so far, one line each (flow notifications). */
  readonly timeline?: readonly string[];
  /** What moved (flow notifications). */
  readonly moved?: readonly string[];
  /** The reason or the error, as the controller recorded it (English). */
  readonly details?: readonly string[];
  /** What to do now. */
  readonly action: string;
  /** The runbook section for this subject. */
  readonly runbook: string;
  /** The AWS console page to look at (the execution, or the state machine's executions). */
  readonly console?: string;
}

export interface Notification {
  /** One line for people (e-mail subject, at most 100 characters). */
  readonly subject: string;
  /** Machine-readable body, serialised as JSON. Never contains secrets. */
  readonly body: Readonly<Record<string, unknown>>;
  /** Short string attributes for subscription filter policies (`pair`, `event`, `outcome`). */
  readonly attributes?: Readonly<Record<string, string>>;
  /** Which subject this is (`NOTIFICATION_KINDS` in shared/notify/kinds.ts: the runbook anchor). */
  readonly kind?: string;
  /** Plain text for people; without it every protocol gets the JSON. */
  readonly text?: NotificationText;
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
  /**
   * An SSM Parameter Store SecureString parameter's decrypted value (name or ARN). Throws
   * `SecretUnavailableError` naming the parameter, also when it is not a SecureString. Optional:
   * a reader without it cannot serve `{ ssmParameter }` keys (the factory says so by name).
   */
  getParameterString?(name: string): Promise<string>;
  /** Like `invalidate`, for a parameter. Optional. */
  invalidateParameter?(name: string): void;
}
