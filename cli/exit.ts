/**
 * The CLI's one exit-code contract, and the one place where a thrown error becomes a line on
 * stderr and an exit code. Every command returns one of `EXIT` or throws; `main.ts` sends what
 * is thrown through `reportError`. An expected error prints one line (what is wrong; what to
 * do) and no stack; `-v` adds the stack.
 *
 * | code | meaning |
 * |---|---|
 * | 0  | healthy / consistent / done |
 * | 1  | degraded / not consistent / not done (refused, skipped, nothing to do when a change was asked for) |
 * | 2  | failed |
 * | 3  | could not check (no credentials, AWS or the firewall unreachable, throttled past the retries) |
 * | 64 | usage or configuration error (nothing was changed) |
 *
 * A new command keeps to it by returning `EXIT.*` and throwing `CliError`s (or the project's
 * typed errors) for everything else: `classifyError` knows them.
 */
import {
  AwsError,
  ConfigInvalidError,
  FirewallError,
  InputInvalidError,
  isPanFailoverError,
  ManagedResourceNotFoundError,
  SecretUnavailableError,
} from '#shared/errors.js';

export const EXIT = {
  /** Healthy, consistent, done. */
  ok: 0,
  /** Degraded, not consistent, not done (refused, skipped, nothing to do although a change was asked for). */
  notDone: 1,
  /** Failed. */
  failed: 2,
  /** Could not check: no credentials, AWS or the firewall unreachable, throttled past the retries. */
  cannotCheck: 3,
  /** Usage or configuration error; nothing was changed. */
  usage: 64,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI expects: its message says what is wrong, `hint` what to do. */
export class CliError extends Error {
  override readonly name: string = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Bad arguments or configuration (exit 64). */
export class UsageError extends CliError {
  override readonly name = 'UsageError';
  constructor(message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, EXIT.usage, hint, options);
  }
}

/** Something needed to answer could not be reached or read (exit 3). */
export class CannotCheckError extends CliError {
  override readonly name = 'CannotCheckError';
  constructor(message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, EXIT.cannotCheck, hint, options);
  }
}

/** The command was refused or did nothing although a change was asked for (exit 1). */
export class RefusedError extends CliError {
  override readonly name = 'RefusedError';
  constructor(message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, EXIT.notDone, hint, options);
  }
}

export interface ClassifiedError {
  readonly exitCode: ExitCode;
  /** Stable name (the typed error's, or `UnexpectedError`). */
  readonly name: string;
  readonly message: string;
  readonly hint?: string;
}

const CREDENTIALS = /CredentialsProviderError|Could not load credentials|credential|ExpiredToken|UnrecognizedClient|InvalidClientTokenId|SignatureDoesNotMatch|InvalidSignatureException|security token/i;

/** Names the SDK gives to credential failures, whichever call hit them. */
function isCredentialsFailure(e: AwsError): boolean {
  return CREDENTIALS.test(e.awsCode ?? '') || /Could not load credentials|security token included in the request/i.test(e.message);
}

function classifyAws(e: AwsError): ClassifiedError {
  const base = { name: e.name, message: e.message };
  if (/Region is missing/i.test(e.message)) {
    return { ...base, exitCode: EXIT.usage, message: 'no AWS region', hint: 'pass --region REGION, set AWS_REGION, or use a --profile that names a region' };
  }
  if (isCredentialsFailure(e)) {
    return { ...base, exitCode: EXIT.cannotCheck, hint: 'no usable AWS credentials: pass --profile NAME (after `aws sso login` if it is an SSO profile) or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY' };
  }
  if (e.awsCode === 'ResourceNotFoundException' && e.operation.startsWith('dynamodb:')) {
    return { ...base, exitCode: EXIT.usage, hint: "the state table does not exist in this account and region: name the deployment with --stage STAGE (or --table NAME), and check --region/--profile" };
  }
  if (e instanceof ManagedResourceNotFoundError) {
    return { ...base, exitCode: EXIT.usage, hint: 'the configuration names an AWS object that does not exist here: check its IDs, the region and the account (`pan-failover preflight` checks them all)' };
  }
  switch (e.name) {
    case 'AwsTransientError':
      return { ...base, exitCode: EXIT.cannotCheck, hint: 'AWS did not answer: check the network path to the AWS endpoints (and AWS_ENDPOINT_URL if set), then run it again' };
    case 'AwsThrottledError':
      return { ...base, exitCode: EXIT.cannotCheck, hint: 'AWS throttled the calls past the retries: wait a minute and run it again' };
    case 'AwsAccessDeniedError':
      return { ...base, exitCode: EXIT.cannotCheck, hint: `the credentials in use may not call ${e.operation}: use a role that may (see docs/deployment.md), or another --profile` };
    default:
      return { ...base, exitCode: EXIT.failed, hint: 'AWS refused the call; the message above is its answer' };
  }
}

/** Which exit code an error means, and what to tell the person. */
export function classifyError(e: unknown): ClassifiedError {
  if (e instanceof CliError) return { exitCode: e.exitCode, name: e.name, message: e.message, hint: e.hint };
  if (e instanceof ConfigInvalidError) {
    return { exitCode: EXIT.usage, name: e.name, message: e.message, hint: 'fix the file; `pan-failover validate FILE` lists every problem' };
  }
  if (e instanceof InputInvalidError) {
    return { exitCode: EXIT.usage, name: e.name, message: e.message, hint: 'nothing was started; correct the arguments (`--help` lists them)' };
  }
  if (e instanceof AwsError) return classifyAws(e);
  if (e instanceof FirewallError || e instanceof SecretUnavailableError) {
    return { exitCode: EXIT.cannotCheck, name: e.name, message: e.message, hint: 'the firewall or its API key could not be reached: run it from where the management addresses are reachable, and check the key in Secrets Manager' };
  }
  if (isPanFailoverError(e)) return { exitCode: EXIT.failed, name: e.name, message: e.message };
  // The SDK's own errors, when they escape an adapter (a client built outside callAws).
  const name = e instanceof Error ? e.name : 'Error';
  const message = e instanceof Error ? e.message : String(e);
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return { exitCode: EXIT.cannotCheck, name, message, hint: 'no usable AWS credentials: pass --profile NAME or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY' };
  }
  if (/Region is missing/i.test(message)) {
    return { exitCode: EXIT.usage, name, message: 'no AWS region', hint: 'pass --region REGION, set AWS_REGION, or use a --profile that names a region' };
  }
  return { exitCode: EXIT.failed, name: 'UnexpectedError', message: `${name}: ${message}`, hint: 'this is not an error the CLI expected; run it again with -v for the stack and report it' };
}

/** The one line an error prints (no stack). */
export function errorLine(c: ClassifiedError): string {
  return `error: ${c.message}${c.hint ? `; ${c.hint}` : ''}`;
}

/** Prints the error (one line; `verbose` adds the stack and causes) and returns its exit code. */
export function reportError(e: unknown, options: { verbose?: boolean; write?: (s: string) => void } = {}): ExitCode {
  const write = options.write ?? ((s: string) => process.stderr.write(s));
  const c = classifyError(e);
  write(`${errorLine(c)}\n`);
  if (options.verbose) {
    let cur: unknown = e;
    for (let depth = 0; cur !== undefined && depth < 5; depth++) {
      write(`${cur instanceof Error ? (cur.stack ?? cur.message) : JSON.stringify(cur)}\n`);
      cur = cur instanceof Error ? cur.cause : undefined;
      if (cur !== undefined) write('caused by: ');
    }
  }
  return c.exitCode;
}
