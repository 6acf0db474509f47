/**
 * SSM Parameter Store, the part the controller uses: `GetParameter` on `String` and
 * `SecureString` parameters (the firewalls' API keys, ADR 0010). Authorized on the parameter's ARN
 * (`/a/b` is `...:parameter/a/b`), as IAM does; an unknown name answers `ParameterNotFound` once
 * the caller may read it. `WithDecryption` is honoured: without it a SecureString's value is an
 * opaque ciphertext, never the key. Encryption is the AWS managed key `aws/ssm` (no KMS policy to
 * evaluate: its key policy lets Parameter Store decrypt for whoever may read the parameter).
 */
import { createHash } from 'node:crypto';
import { SimAwsError } from './aws-error.js';
import { worldArn, type WorldContext } from './context.js';
import type { WorldTopology } from './topology.js';

export type ParameterType = 'String' | 'SecureString';

export interface ParameterValue {
  readonly name: string;
  readonly arn: string;
  readonly type: ParameterType;
  readonly value: string;
  readonly version: number;
  readonly lastModifiedDate: number;
}

export interface GetParameterInput {
  readonly Name: string;
  readonly WithDecryption?: boolean;
}

/** The request members GetParameter implements; any other member present is refused by name. */
const GET_PARAMETER_MEMBERS: readonly string[] = ['Name', 'WithDecryption'];

function unsupported(what: string): SimAwsError {
  return new SimAwsError('ssm', 'ValidationException', `Unsupported by the simulator: ${what} in GetParameter (it implements what the controller sends; see docs/simulator.md)`);
}

export class ParametersWorld {
  readonly #ctx: WorldContext;
  readonly #parameters = new Map<string, ParameterValue>();

  constructor(ctx: WorldContext) {
    this.#ctx = ctx;
  }

  load(t: WorldTopology): void {
    for (const p of t.parameters) this.put(p.name, p.value, p.type);
  }

  /** The ARN IAM sees for a name (or the ARN itself). */
  arnOf(nameOrArn: string): string {
    if (nameOrArn.startsWith('arn:')) return nameOrArn;
    return worldArn(this.#ctx, 'ssm', `parameter${nameOrArn.startsWith('/') ? '' : '/'}${nameOrArn}`);
  }

  /** Creates or overwrites a parameter (the administrator's `put-parameter --overwrite`). */
  put(name: string, value: string, type: ParameterType = 'SecureString'): ParameterValue {
    const parameter: ParameterValue = {
      name,
      arn: this.arnOf(name),
      type,
      value,
      version: (this.#parameters.get(name)?.version ?? 0) + 1,
      lastModifiedDate: this.#ctx.now(),
    };
    this.#parameters.set(name, parameter);
    return parameter;
  }

  /** Deletes a parameter at once (tests of a missing API key). */
  remove(name: string): boolean {
    return this.#parameters.delete(name);
  }

  /** GetParameter: by name or full ARN, members checked, authorized on the parameter's ARN. */
  getParameter(input: Readonly<Record<string, unknown>>): ParameterValue {
    const extra = Object.entries(input).find(([k, v]) => v !== undefined && !GET_PARAMETER_MEMBERS.includes(k));
    if (extra !== undefined) throw unsupported(`the member ${extra[0]}`);
    const name = input['Name'];
    if (typeof name !== 'string' || name === '') {
      throw new SimAwsError('ssm', 'ValidationException', "1 validation error detected: Value at 'name' failed to satisfy constraint: Member must not be null");
    }
    const decrypt = input['WithDecryption'];
    if (decrypt !== undefined && typeof decrypt !== 'boolean') throw new SimAwsError('ssm', 'ValidationException', 'WithDecryption must be a boolean');
    if (!name.startsWith('arn:') && name.includes(':')) throw unsupported('a version or label selector (name:version)');
    const arn = this.arnOf(name);
    this.#ctx.iam.check('ssm', 'ssm:GetParameter', [arn]);
    const found = this.#parameters.get(name) ?? [...this.#parameters.values()].find((p) => p.arn === arn);
    if (found === undefined) throw new SimAwsError('ssm', 'ParameterNotFound', '');
    if (found.type === 'SecureString' && decrypt !== true) {
      // What Parameter Store returns without decryption: the ciphertext, base64 (never the key).
      return { ...found, value: `AQICAH${createHash('sha256').update(`${found.arn}#${found.version}`).digest('base64')}` };
    }
    return found;
  }
}
