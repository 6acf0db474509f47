/**
 * Lambda in the simulated account: the deployed functions by name, for `Invoke`
 * (`pan-failover selftest` invokes each one). The simulated system registers its functions
 * (sim/system.ts); the world only knows their names and how to call them.
 */
import { SimAwsError } from './aws-error.js';
import { worldArn, type WorldContext } from './context.js';

/** A deployed function: its handler, called with the parsed payload; its answer is the invocation's result. */
export type SimFunction = (payload: unknown) => Promise<unknown>;

export class LambdaWorld {
  readonly #ctx: WorldContext;
  readonly #functions = new Map<string, SimFunction>();

  constructor(ctx: WorldContext) {
    this.#ctx = ctx;
  }

  register(name: string, fn: SimFunction): void {
    this.#functions.set(name, fn);
  }

  names(): string[] {
    return [...this.#functions.keys()].sort();
  }

  functionArn(name: string): string {
    return worldArn(this.#ctx, 'lambda', `function:${name}`);
  }

  /** The authorization of one Invoke, and the function to run (Invoke by name or ARN). */
  invokeTarget(nameOrArn: string): SimFunction {
    const name = nameOrArn.replace(/^arn:[^:]+:lambda:[^:]+:\d{12}:function:/, '').replace(/:(\$LATEST|\d+)$/, '');
    this.#ctx.iam.check('lambda', 'lambda:InvokeFunction', [this.functionArn(name)]);
    const fn = this.#functions.get(name);
    if (fn === undefined) throw new SimAwsError('lambda', 'ResourceNotFoundException', `Function not found: ${this.functionArn(name)}`, { httpStatus: 404 });
    return fn;
  }
}
