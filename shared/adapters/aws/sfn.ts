/**
 * `FlowStarter` over `@aws-sdk/client-sfn`: deterministic execution names make a repeated
 * trigger (probe, alarm and a person within the same second) start one execution, not three.
 */
import { createHash } from 'node:crypto';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { ExecutionStatus, FlowStarter, StartResult } from '#shared/ports/messaging.js';
import { ConfigInvalidError, InputInvalidError } from '#shared/errors.js';
import { awsErrorCode, malformedResponse, translateAwsError } from './errors.js';

export const MAX_EXECUTION_NAME = 80;
const VALID_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const HASH_LENGTH = 12;
const EXECUTION_STATUSES: readonly ExecutionStatus[] = [
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
  'PENDING_REDRIVE',
];

/**
 * A valid, deterministic execution name from its parts (joined with `-`). Kept as is when
 * already valid; otherwise characters outside `[A-Za-z0-9-_]` (the set Step Functions accepts
 * everywhere, CloudWatch Logs included) become `_`, the result is cut to fit, and a hash of the
 * original parts is appended so that two inputs cut or sanitised to the same text stay distinct.
 * Parts that already contain `-` can join to the same name (`['a-b','c']`, `['a','b-c']`): pick
 * parts that cannot.
 */
export function executionName(parts: readonly string[]): string {
  const joined = parts.join('-');
  if (joined === '') throw new InputInvalidError('execution name', [{ path: '', message: 'is empty' }]);
  if (VALID_NAME.test(joined)) return joined;
  const hash = createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, HASH_LENGTH);
  const sanitised = joined.replace(/[^A-Za-z0-9_-]/g, '_');
  return `${sanitised.slice(0, MAX_EXECUTION_NAME - HASH_LENGTH - 1)}-${hash}`;
}

interface StateMachineArn {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly name: string;
}

// A version or alias ARN (`...:stateMachine:name:3`) starts executions under the machine's name too.
const STATE_MACHINE_ARN = /^arn:([a-z-]+):states:([a-z0-9-]+):(\d{12}):stateMachine:([^:]+)(?::[^:]+)?$/;

export function parseStateMachineArn(arn: string): StateMachineArn {
  const m = STATE_MACHINE_ARN.exec(arn);
  if (!m?.[1] || !m[2] || !m[3] || !m[4]) {
    throw new ConfigInvalidError('stateMachineArn', [
      {
        path: 'stateMachineArn',
        message: `"${arn}" is not a state machine ARN (arn:aws:states:<region>:<account>:stateMachine:<name>)`,
      },
    ]);
  }
  return { partition: m[1], region: m[2], account: m[3], name: m[4] };
}

/** Execution ARN built locally, so a name can be looked up without a List call. */
export function executionArn(stateMachine: StateMachineArn, name: string): string {
  return `arn:${stateMachine.partition}:states:${stateMachine.region}:${stateMachine.account}:execution:${stateMachine.name}:${name}`;
}

function checkName(name: string): void {
  if (!VALID_NAME.test(name)) {
    throw new InputInvalidError('execution name', [
      {
        path: '',
        message: `"${name}" must be 1-${MAX_EXECUTION_NAME} characters of A-Z a-z 0-9 - _ (use executionName())`,
      },
    ]);
  }
}

export interface FlowStarterOptions {
  readonly client: SFNClient;
  readonly stateMachineArn: string;
}

export function createFlowStarter(options: FlowStarterOptions): FlowStarter {
  const { client, stateMachineArn } = options;
  const machine = parseStateMachineArn(stateMachineArn);

  return {
    /**
     * `alreadyExisted` is true when Step Functions refuses the name (`ExecutionAlreadyExists`:
     * same name with other input, or a finished execution). A same-name, same-input start of a
     * *running* execution succeeds and returns that execution: the response looks exactly like a
     * new start (comparing `startDate` with the local clock is defeated by clock skew), so it
     * reports `alreadyExisted: false`. Either way one execution runs, which is what matters.
     */
    async start(name: string, input: Readonly<Record<string, unknown>>): Promise<StartResult> {
      checkName(name);
      const operation = 'states:StartExecution';
      let started: string | undefined;
      try {
        const out = await client.send(
          new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
        );
        started = out.executionArn;
      } catch (error) {
        if (awsErrorCode(error) === 'ExecutionAlreadyExists') {
          return { executionArn: executionArn(machine, name), alreadyExisted: true };
        }
        throw translateAwsError(error, { operation });
      }
      if (started === undefined) throw malformedResponse(operation, 'missing executionArn');
      return { executionArn: started, alreadyExisted: false };
    },

    async status(name: string): Promise<ExecutionStatus | undefined> {
      checkName(name);
      const operation = 'states:DescribeExecution';
      let status: string | undefined;
      try {
        const out = await client.send(
          new DescribeExecutionCommand({ executionArn: executionArn(machine, name) }),
        );
        status = out.status;
      } catch (error) {
        if (awsErrorCode(error) === 'ExecutionDoesNotExist') return undefined;
        throw translateAwsError(error, { operation });
      }
      const known = EXECUTION_STATUSES.find((s) => s === status);
      if (known === undefined) throw malformedResponse(operation, `execution status ${String(status)}`);
      return known;
    },
  };
}
