/**
 * Step Functions: state machines by ARN and their executions. The world keeps the execution
 * records and StartExecution's idempotency rules; running an execution is the job of a
 * pluggable executor (the lead's local runner of the real state machine definition).
 */
import { SimAwsError } from './aws-error.js';
import type { WorldContext } from './context.js';
import type { WorldTopology } from './topology.js';

export type SfnExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionRecord {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  /** The input exactly as given (JSON text). */
  readonly input: string;
  readonly status: SfnExecutionStatus;
  readonly startDate: number;
  readonly stopDate: number | undefined;
  readonly output: string | undefined;
  readonly error: string | undefined;
  readonly cause: string | undefined;
}

/** What an executor is handed. */
export interface ExecutionContext {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  /** Parsed input. */
  readonly input: unknown;
  readonly startDate: number;
  /** Aborted when the world closes, or when the execution is stopped (StopExecution). */
  readonly signal: AbortSignal;
}

/** Runs one execution; resolves with its output (JSON-able) or rejects with its error (`name` = error, `message` = cause). */
export type Executor = (execution: ExecutionContext) => Promise<unknown>;

export interface StartExecutionInput {
  readonly stateMachineArn: string;
  readonly name?: string;
  readonly input?: string;
}

/** One event of an execution's history (GetExecutionHistory), in the simulator's own shape. */
export interface SfnHistoryEvent {
  readonly id: number;
  readonly at: number;
  /** `ExecutionStarted`, `TaskStateEntered`, `TaskSucceeded`, `ExecutionSucceeded`, ... */
  readonly type: string;
  readonly stateName?: string;
  /** JSON text: the execution's input, a task's output, the execution's output. */
  readonly input?: string;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
}

const sfnError = (code: string, message: string) => new SimAwsError('sfn', code, message);

// Characters Step Functions refuses in names: whitespace, brackets, wildcards, punctuation, control characters.
// eslint-disable-next-line no-control-regex
const INVALID_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;

export class SfnWorld {
  readonly #ctx: WorldContext;
  readonly #machines = new Map<string, string>();
  readonly #executors = new Map<string, Executor>();
  readonly #executions = new Map<string, ExecutionRecord>();
  readonly #done = new Map<
    string,
    { promise: Promise<ExecutionRecord>; resolve: (r: ExecutionRecord) => void }
  >();
  readonly #abort = new AbortController();
  readonly #history = new Map<string, SfnHistoryEvent[]>();
  /** Per running execution: aborted by StopExecution (a task already running goes on, as a Lambda does). */
  readonly #stops = new Map<string, AbortController>();

  constructor(ctx: WorldContext) {
    this.#ctx = ctx;
  }

  load(t: WorldTopology): void {
    for (const m of t.stateMachines) this.#machines.set(this.stateMachineArn(m.name), m.name);
  }

  stateMachineArn(name: string): string {
    return `arn:aws:states:${this.#ctx.region}:${this.#ctx.accountId}:stateMachine:${name}`;
  }

  executionArn(stateMachineArn: string, name: string): string {
    const machine = this.#machine(stateMachineArn);
    return `arn:aws:states:${this.#ctx.region}:${this.#ctx.accountId}:execution:${machine}:${name}`;
  }

  /** Who runs the executions of a state machine started from now on. */
  setExecutor(stateMachineArn: string, executor: Executor): void {
    this.#machine(stateMachineArn);
    this.#executors.set(stateMachineArn, executor);
  }

  /**
   * StartExecution. Same name and same input while it runs: the running execution
   * (`alreadyExisted`). Same name with other input, or after it ended: `ExecutionAlreadyExists`.
   */
  startExecution(input: StartExecutionInput): {
    executionArn: string;
    startDate: number;
    alreadyExisted: boolean;
  } {
    this.#ctx.iam.check('sfn', 'states:StartExecution', [input.stateMachineArn]);
    this.#machine(input.stateMachineArn);
    const name = input.name ?? this.#ctx.ids.uuid();
    if (name.length < 1 || name.length > 80 || INVALID_NAME.test(name))
      throw sfnError('InvalidName', `Invalid Name: '${name}'`);
    const text = input.input ?? '{}';
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw sfnError(
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: '${e instanceof Error ? e.message : 'not JSON'}'`,
      );
    }
    const executionArn = this.executionArn(input.stateMachineArn, name);
    const existing = this.#executions.get(executionArn);
    if (existing !== undefined) {
      if (existing.status === 'RUNNING' && existing.input === text) {
        return { executionArn, startDate: existing.startDate, alreadyExisted: true };
      }
      throw sfnError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const startDate = this.#ctx.now();
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn: input.stateMachineArn,
      name,
      input: text,
      status: 'RUNNING',
      startDate,
      stopDate: undefined,
      output: undefined,
      error: undefined,
      cause: undefined,
    };
    this.#executions.set(executionArn, record);
    this.recordStep(executionArn, { type: 'ExecutionStarted', input: text });
    let resolve: (r: ExecutionRecord) => void = () => undefined;
    const promise = new Promise<ExecutionRecord>((r) => {
      resolve = r;
    });
    this.#done.set(executionArn, { promise, resolve });
    this.#ctx.events.record(startDate, 'sfn.execution.started', executionArn, `execution ${name} started`, {
      stateMachineArn: input.stateMachineArn,
      name,
      input: parsed,
    });
    const executor = this.#executors.get(input.stateMachineArn);
    if (executor !== undefined) this.#run(executor, record, parsed);
    return { executionArn, startDate, alreadyExisted: false };
  }

  describeExecution(executionArn: string): ExecutionRecord {
    this.#ctx.iam.check('sfn', 'states:DescribeExecution', [executionArn]);
    if (!executionArn.startsWith('arn:aws:states:'))
      throw sfnError('InvalidArn', `Invalid Arn: '${executionArn}'`);
    const record = this.#executions.get(executionArn);
    if (record === undefined)
      throw sfnError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return record;
  }

  /** Newest first, as ListExecutions returns them. */
  listExecutions(stateMachineArn: string, statusFilter?: SfnExecutionStatus): ExecutionRecord[] {
    this.#ctx.iam.check('sfn', 'states:ListExecutions', [stateMachineArn]);
    this.#machine(stateMachineArn);
    return [...this.#executions.values()]
      .filter(
        (e) =>
          e.stateMachineArn === stateMachineArn && (statusFilter === undefined || e.status === statusFilter),
      )
      .sort((a, b) => b.startDate - a.startDate);
  }

  /** State machines by name (ListStateMachines). */
  listStateMachines(): { stateMachineArn: string; name: string }[] {
    this.#ctx.iam.check('sfn', 'states:ListStateMachines', ['*']);
    return [...this.#machines.entries()].map(([stateMachineArn, name]) => ({ stateMachineArn, name })).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Appends an event to an execution's history (the executor reports its states and task results). */
  recordStep(executionArn: string, event: Omit<SfnHistoryEvent, 'id' | 'at'>): void {
    const list = this.#history.get(executionArn) ?? [];
    list.push({ ...event, id: list.length + 1, at: this.#ctx.now() });
    this.#history.set(executionArn, list);
  }

  /** GetExecutionHistory, oldest first. */
  history(executionArn: string): readonly SfnHistoryEvent[] {
    this.#ctx.iam.check('sfn', 'states:GetExecutionHistory', [executionArn]);
    this.describeExecution(executionArn);
    return this.#history.get(executionArn) ?? [];
  }

  /** Ends an execution by hand (tests without an executor). */
  complete(executionArn: string, outcome: { output: unknown } | { error: string; cause?: string }): void {
    const record = this.describeExecution(executionArn);
    if (record.status !== 'RUNNING')
      throw new RangeError(`execution ${executionArn} already ${record.status}`);
    this.#finish(record, outcome);
  }

  /**
   * StopExecution: the execution ends ABORTED at once and takes no further step; a task already
   * running is not interrupted (Step Functions does not stop a Lambda invocation), and nothing
   * the flow would have done on a failure (its Catch, its Abort state) runs.
   */
  stopExecution(executionArn: string, options: { error?: string; cause?: string } = {}): { stopDate: number } {
    const record = this.describeExecution(executionArn);
    if (record.status !== 'RUNNING') return { stopDate: record.stopDate ?? this.#ctx.now() };
    const stopDate = this.#ctx.now();
    const next: ExecutionRecord = { ...record, status: 'ABORTED', stopDate, error: options.error, cause: options.cause };
    this.#executions.set(executionArn, next);
    this.#ctx.events.record(stopDate, 'sfn.execution.failed', executionArn, `execution ${record.name} stopped (ABORTED)`, {
      name: record.name,
      status: 'ABORTED',
      error: options.error,
      cause: options.cause,
    });
    this.#stops.get(executionArn)?.abort(new Error('execution stopped'));
    this.#done.get(executionArn)?.resolve(next);
    return { stopDate };
  }

  /** Resolves when the execution has ended, with its final record. */
  waitFor(executionArn: string): Promise<ExecutionRecord> {
    const done = this.#done.get(executionArn);
    if (done === undefined)
      return Promise.reject(sfnError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`));
    return done.promise;
  }

  close(): void {
    this.#abort.abort(new Error('world closed'));
  }

  #run(executor: Executor, record: ExecutionRecord, input: unknown): void {
    const stop = new AbortController();
    this.#stops.set(record.executionArn, stop);
    const context: ExecutionContext = {
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      input,
      startDate: record.startDate,
      signal: AbortSignal.any([this.#abort.signal, stop.signal]),
    };
    // The executor starts after StartExecution has answered, as in AWS.
    Promise.resolve()
      .then(() => executor(context))
      .then(
        (output) => this.#finish(this.describeExecution(record.executionArn), { output }),
        (e: unknown) =>
          this.#finish(this.describeExecution(record.executionArn), {
            error: e instanceof Error ? e.name : 'Error',
            cause: e instanceof Error ? e.message : String(e),
          }),
      )
      .catch((e: unknown) => {
        queueMicrotask(() => {
          throw e;
        });
      });
  }

  #finish(record: ExecutionRecord, outcome: { output: unknown } | { error: string; cause?: string }): void {
    this.#stops.delete(record.executionArn);
    if (record.status !== 'RUNNING') return;
    const stopDate = this.#ctx.now();
    const next: ExecutionRecord =
      'output' in outcome
        ? { ...record, status: 'SUCCEEDED', stopDate, output: JSON.stringify(outcome.output ?? {}) }
        : { ...record, status: 'FAILED', stopDate, error: outcome.error, cause: outcome.cause };
    this.#executions.set(record.executionArn, next);
    this.recordStep(
      record.executionArn,
      next.status === 'SUCCEEDED' ? { type: 'ExecutionSucceeded', output: next.output } : { type: 'ExecutionFailed', error: next.error, cause: next.cause },
    );
    this.#ctx.events.record(
      stopDate,
      next.status === 'SUCCEEDED' ? 'sfn.execution.succeeded' : 'sfn.execution.failed',
      record.executionArn,
      next.status === 'SUCCEEDED'
        ? `execution ${record.name} succeeded`
        : `execution ${record.name} failed: ${next.error ?? ''}`,
      { name: record.name, status: next.status, output: next.output, error: next.error, cause: next.cause },
    );
    this.#done.get(record.executionArn)?.resolve(next);
  }

  #machine(stateMachineArn: string): string {
    if (!stateMachineArn.startsWith('arn:aws:states:'))
      throw sfnError('InvalidArn', `Invalid Arn: '${stateMachineArn}'`);
    const name = this.#machines.get(stateMachineArn);
    if (name === undefined)
      throw sfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    return name;
  }
}
