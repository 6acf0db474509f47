/**
 * Runs the deployed state machine definition in-process (aws-local-stepfunctions) with the
 * project's own step handlers, against whatever AWS endpoint the environment names. Used by the
 * tests, the simulator's Step Functions and `pan-failover failover --local`.
 *
 * Two mechanical changes make the definition runnable here, and nothing else changes:
 * - `Fn::GetAtt: [functionKey, Arn]` resources (resolved by the deployment) become local ARNs
 *   whose calls go to the matching handler;
 * - `Wait` states become calls to the clock, so waits follow the simulator's clock (a
 *   `SecondsPath` of 600 takes 600 simulated seconds, whatever the speed), and
 *   `$$.Execution.StartTime` is the clock's time at the start.
 */
import '../../polyfills.js';
import { readFileSync } from 'node:fs';
import { StateMachine } from 'aws-local-stepfunctions';
import type { Clock } from '../../ports/clock.js';

export const DEFINITION_PATH = new URL('../../../infra/state-machine.asl.json', import.meta.url);

export type AslDefinition = { States: Record<string, AslState>; StartAt: string; [k: string]: unknown };
export type AslState = { Type: string; Resource?: unknown; Retry?: { IntervalSeconds?: number }[]; [k: string]: unknown };

/** The probe loop's definition (an Express state machine: docs/decisions/0011-probe-rounds-driven-by-express.md). */
export const PROBE_LOOP_DEFINITION_PATH = new URL('../../../infra/probe-loop.asl.json', import.meta.url);

export function loadDefinition(path: URL = DEFINITION_PATH): AslDefinition {
  return JSON.parse(readFileSync(path, 'utf8')) as AslDefinition;
}

/** Function key of a Task's `Fn::GetAtt: [key, Arn]` resource. */
export function functionKeyOf(resource: unknown): string | undefined {
  if (resource && typeof resource === 'object' && 'Fn::GetAtt' in resource) {
    const att = (resource)['Fn::GetAtt'];
    if (Array.isArray(att) && typeof att[0] === 'string') return att[0];
  }
  return undefined;
}

export function localArn(functionKey: string): string {
  return `arn:aws:lambda:us-east-1:000000000000:function:pan-failover-${functionKey}`;
}

/** The definition with resources resolved to ARNs (what asl-validator and the runner see). */
export function resolvedDefinition(def: AslDefinition = loadDefinition()): AslDefinition {
  const states: Record<string, AslState> = {};
  for (const [name, s] of Object.entries(def.States)) {
    const key = functionKeyOf(s.Resource);
    states[name] = key ? { ...s, Resource: localArn(key) } : s;
  }
  return { ...def, States: states };
}

export type StepHandler = (event: unknown) => Promise<unknown>;

export interface LocalRunOptions {
  readonly handlers: Readonly<Record<string, StepHandler>>;
  readonly clock: Clock;
  readonly executionName: string;
  /** `$$.StateMachine.Id` of the local run (default: a local ARN no Step Functions knows). */
  readonly stateMachineArn?: string;
  /** Multiplier on Retry intervals (e.g. 1/speed in the simulator); `undefined` keeps them. */
  readonly retryScale?: number;
  readonly definition?: AslDefinition;
  /** Called for every state entered, with the simulated time (execution history). */
  readonly onState?: (event: { state: string; type: string; at: number }) => void;
  /**
   * Stops the execution (StopExecution): no further state runs; a task already running is not
   * interrupted (as a Lambda invocation is not). The run then ends FAILED with `ExecutionAbortedError`.
   */
  readonly signal?: AbortSignal;
}

export interface LocalRunResult {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output: unknown;
  readonly error?: { readonly name: string; readonly cause: string };
  readonly history: readonly { readonly state: string; readonly type: string; readonly at: number }[];
}

const WAIT_RESOURCE = 'arn:aws:lambda:us-east-1:000000000000:function:pan-failover-local-wait';

function withClockWaits(def: AslDefinition): AslDefinition {
  const states: Record<string, AslState> = {};
  for (const [name, s] of Object.entries(def.States)) {
    if (s.Type !== 'Wait') {
      states[name] = s;
      continue;
    }
    const seconds =
      typeof s.TimestampPath === 'string'
        ? { 'timestamp.$': s.TimestampPath }
        : typeof s.Timestamp === 'string'
          ? { timestamp: s.Timestamp }
          : typeof s.SecondsPath === 'string'
            ? { 'seconds.$': s.SecondsPath }
            : { seconds: s.Seconds ?? 0 };
    states[name] = {
      Type: 'Task',
      Comment: `local clock wait (was Wait): ${typeof s.Comment === 'string' ? s.Comment : ''}`,
      Resource: WAIT_RESOURCE,
      Parameters: seconds,
      ResultPath: null,
      TimeoutSeconds: 86_400,
      Next: s.Next,
    };
  }
  return { ...def, States: withClockStartTime(states) };
}

/**
 * How long a Wait state waits from `now`: its seconds, or until its timestamp, whose
 * milliseconds Step Functions drops (the Wait state's documentation); a time in the past does
 * not wait. A timestamp that is not RFC 3339 with an upper-case T and Z fails the execution, as
 * it does in Step Functions.
 */
export function waitMs(wait: { seconds?: unknown; timestamp?: unknown }, now: number): number {
  if (wait.timestamp === undefined) return Math.max(0, Number(wait.seconds ?? 0)) * 1000;
  const text = typeof wait.timestamp === 'string' ? wait.timestamp : JSON.stringify(wait.timestamp);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/.test(text) || Number.isNaN(Date.parse(text))) {
    throw Object.assign(new Error(`The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: ${text}`), { name: 'States.Runtime' });
  }
  return Math.max(0, Math.floor(Date.parse(text) / 1000) * 1000 - now);
}

/**
 * aws-local-stepfunctions sets `$$.Execution.StartTime` from the machine's clock, whatever the
 * context says: references to it read a field that carries the local clock's start instead.
 */
const LOCAL_START_TIME = '$$.Execution.LocalStartTime';
function withClockStartTime<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v: unknown) => withClockStartTime(v)) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = k.endsWith('.$') && v === '$$.Execution.StartTime' ? LOCAL_START_TIME : withClockStartTime(v);
  return out as T;
}

/** JSON round trip: what Lambda does to every payload, so no object identity leaks between steps. */
function viaJson<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

// Building a StateMachine validates the whole definition (about a third of a second): once per definition.
const machines = new WeakMap<AslDefinition, StateMachine>();
function machineFor(source: AslDefinition, def: AslDefinition): StateMachine {
  let machine = machines.get(source);
  if (!machine) {
    machine = new StateMachine(def as never, { validationOptions: { checkArn: true, checkPaths: true } });
    machines.set(source, machine);
  }
  return machine;
}

let defaultDefinition: AslDefinition | undefined;

/** Validates and prepares a definition (default: the failover flow's) now rather than at its first execution. */
export function prepareLocalRunner(definition?: AslDefinition): void {
  const source = definition ?? (defaultDefinition ??= loadDefinition());
  machineFor(source, withClockWaits(resolvedDefinition(source)));
}

export async function runFlowLocally(input: unknown, options: LocalRunOptions): Promise<LocalRunResult> {
  const source = options.definition ?? (defaultDefinition ??= loadDefinition());
  const def = withClockWaits(resolvedDefinition(source));
  const overrides: Record<string, (event: unknown) => Promise<unknown>> = {};
  const retryOverrides: Record<string, number[]> = {};
  const history: { state: string; type: string; at: number }[] = [];
  const record = (state: string) => {
    const type = source.States[state]?.Type ?? '?';
    const entry = { state, type, at: options.clock.now() };
    history.push(entry);
    options.onState?.(entry);
  };

  for (const [name, s] of Object.entries(def.States)) {
    if (s.Type === 'Task') {
      const key = functionKeyOf(source.States[name]?.Resource);
      if (s.Resource === WAIT_RESOURCE) {
        overrides[name] = async (event) => {
          record(name);
          await options.clock.sleep(waitMs(event as { seconds?: unknown; timestamp?: unknown }, options.clock.now()));
          return {};
        };
      } else if (key) {
        const handler = options.handlers[key];
        if (!handler) throw new Error(`no local handler for function "${key}" (state ${name})`);
        overrides[name] = async (event) => {
          record(name);
          return viaJson(await handler(viaJson(event)));
        };
      }
    }
    if (options.retryScale !== undefined && Array.isArray(s.Retry)) {
      const scale = options.retryScale;
      retryOverrides[name] = s.Retry.map((r) => Math.max(1, (r.IntervalSeconds ?? 1) * 1000 * scale));
    }
  }

  const machine = machineFor(source, def);
  const startTime = new Date(options.clock.now()).toISOString();
  const execution = machine.run(input as never, {
    overrides: { taskResourceLocalHandlers: overrides as never, retryIntervalOverrides: retryOverrides },
    context: {
      StateMachine: {
        Id: options.stateMachineArn ?? 'arn:aws:states:us-east-1:000000000000:stateMachine:pan-failover-local',
        Name: (options.stateMachineArn ?? 'pan-failover-local').split(':').at(-1),
      },
      Execution: {
        Id: `arn:aws:states:us-east-1:000000000000:execution:pan-failover:${options.executionName}`,
        Name: options.executionName,
        StartTime: startTime,
        LocalStartTime: startTime,
        Input: input,
      },
    } as never,
  });
  if (options.signal) {
    if (options.signal.aborted) execution.abort();
    else options.signal.addEventListener('abort', () => execution.abort(), { once: true });
  }
  // Non-Task states (Choice, Pass, Fail, Succeed) appear in the history from the event log.
  void (async () => {
    try {
      for await (const ev of execution.eventLogs) {
        const e = ev as { type?: string; state?: { name?: string } };
        if (e.type === 'StateEntered' && e.state?.name) {
          const st = source.States[e.state.name];
          // Choice and Pass states come through this log late (after the next task): only ends matter.
          if (st && (st.Type === 'Fail' || st.Type === 'Succeed')) record(e.state.name);
        }
      }
    } catch {
      // The log ends with the execution's error; the result promise reports it.
    }
  })();
  try {
    const output = await execution.result;
    return { status: 'SUCCEEDED', output, history };
  } catch (e) {
    const err = e as { name?: string; message?: string; cause?: unknown };
    // aws-local-stepfunctions reports a Fail state as ExecutionError wrapping the state's error.
    const inner = (err.cause ?? e) as { name?: string; message?: string };
    return { status: 'FAILED', output: undefined, error: { name: inner.name ?? 'Error', cause: inner.message ?? String(e) }, history };
  }
}
