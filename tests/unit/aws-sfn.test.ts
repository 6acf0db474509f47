import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  SFNClient,
  SFNServiceException,
  StartExecutionCommand,
  StateMachineDoesNotExist,
} from '@aws-sdk/client-sfn';
import { AwsCallError, AwsThrottledError, ConfigInvalidError, InputInvalidError } from '#shared/errors.js';
import { createFlowStarter, executionName, parseStateMachineArn } from '#shared/adapters/aws/sfn.js';

const sfnMock = mockClient(SFNClient);
const SM_ARN = 'arn:aws:states:eu-central-1:123456789012:stateMachine:pan-failover';
const EXEC_ARN = (name: string) => `arn:aws:states:eu-central-1:123456789012:execution:pan-failover:${name}`;

beforeEach(() => sfnMock.reset());

const starter = () =>
  createFlowStarter({ client: new SFNClient({ region: 'eu-central-1' }), stateMachineArn: SM_ARN });

describe('createFlowStarter.start', () => {
  it('starts an execution with the name and the JSON input', async () => {
    sfnMock
      .on(StartExecutionCommand)
      .resolves({ executionArn: EXEC_ARN('failover-edge-1'), startDate: new Date() });
    await expect(starter().start('failover-edge-1', { pair: 'edge', reason: 'probe' })).resolves.toEqual({
      executionArn: EXEC_ARN('failover-edge-1'),
      alreadyExisted: false,
    });
    expect(sfnMock.commandCalls(StartExecutionCommand)[0]!.args[0].input).toEqual({
      stateMachineArn: SM_ARN,
      name: 'failover-edge-1',
      input: '{"pair":"edge","reason":"probe"}',
    });
  });

  it('ExecutionAlreadyExists means the start was a no-op: returns the built ARN of the existing execution', async () => {
    sfnMock
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ $metadata: { httpStatusCode: 400 }, message: 'exists' }));
    await expect(starter().start('failover-edge-1', {})).resolves.toEqual({
      executionArn: EXEC_ARN('failover-edge-1'),
      alreadyExisted: true,
    });
  });

  it('other failures are translated: throttling retryable, a missing state machine terminal', async () => {
    sfnMock
      .on(StartExecutionCommand)
      .rejectsOnce(
        new SFNServiceException({
          name: 'ThrottlingException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: 'x',
        }),
      )
      .rejectsOnce(new StateMachineDoesNotExist({ $metadata: { httpStatusCode: 400 }, message: 'no' }));
    await expect(starter().start('a', {})).rejects.toThrow(AwsThrottledError);
    await expect(starter().start('a', {})).rejects.toThrow(AwsCallError);
  });

  it('refuses an invalid name before calling AWS', async () => {
    await expect(starter().start('has space', {})).rejects.toThrow(InputInvalidError);
    await expect(starter().start('x'.repeat(81), {})).rejects.toThrow(InputInvalidError);
    expect(sfnMock.calls()).toHaveLength(0);
  });
});

describe('createFlowStarter.status', () => {
  it('describes the execution by its built ARN', async () => {
    sfnMock.on(DescribeExecutionCommand).resolves({
      executionArn: EXEC_ARN('run-1'),
      stateMachineArn: SM_ARN,
      status: 'RUNNING',
      startDate: new Date(),
    });
    await expect(starter().status('run-1')).resolves.toBe('RUNNING');
    expect(sfnMock.commandCalls(DescribeExecutionCommand)[0]!.args[0].input).toEqual({
      executionArn: EXEC_ARN('run-1'),
    });
  });

  it('is undefined for an execution that does not exist', async () => {
    sfnMock
      .on(DescribeExecutionCommand)
      .rejects(new ExecutionDoesNotExist({ $metadata: { httpStatusCode: 400 }, message: 'x' }));
    await expect(starter().status('run-1')).resolves.toBeUndefined();
  });

  it('other failures throw, never undefined', async () => {
    sfnMock.on(DescribeExecutionCommand).rejects(Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
    await expect(starter().status('run-1')).rejects.toThrow(/states:DescribeExecution/);
  });
});

describe('state machine ARN', () => {
  it('is parsed for partition, region, account and name (versions and aliases too)', () => {
    expect(
      parseStateMachineArn('arn:aws-us-gov:states:us-gov-west-1:123456789012:stateMachine:sm:prod'),
    ).toEqual({
      partition: 'aws-us-gov',
      region: 'us-gov-west-1',
      account: '123456789012',
      name: 'sm',
    });
  });

  it('an invalid one is refused when the starter is built', () => {
    expect(() =>
      createFlowStarter({ client: new SFNClient({ region: 'eu-central-1' }), stateMachineArn: '' }),
    ).toThrow(ConfigInvalidError);
    expect(() => parseStateMachineArn('arn:aws:lambda:eu-central-1:123456789012:function:x')).toThrow(
      ConfigInvalidError,
    );
  });
});

describe('executionName', () => {
  it('keeps a valid name as it is', () => {
    expect(executionName(['failover', 'edge', '20250301T100000Z'])).toBe('failover-edge-20250301T100000Z');
  });

  it('is deterministic and only uses A-Z a-z 0-9 - _', () => {
    const parts = [
      'alarm',
      'edge',
      'arn:aws:cloudwatch:eu-central-1:123:alarm:Primary dead',
      '2025-03-01T10:00:00Z',
    ];
    const a = executionName(parts);
    expect(a).toBe(executionName([...parts]));
    expect(a).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
  });

  it('cuts long names to 80 characters with a hash that tells them apart', () => {
    const long = 'x'.repeat(100);
    const a = executionName(['failover', long, '1']);
    const b = executionName(['failover', long, '2']);
    expect(a).toHaveLength(80);
    expect(b).toHaveLength(80);
    expect(a).not.toBe(b);
    expect(a.slice(0, 60)).toBe(b.slice(0, 60));
  });

  it('sanitised names that would collide stay distinct', () => {
    expect(executionName(['a:b'])).not.toBe(executionName(['a;b']));
    expect(executionName(['a:b'])).toMatch(/^a_b-[0-9a-f]{12}$/);
  });

  it('refuses an empty name', () => {
    expect(() => executionName([])).toThrow(InputInvalidError);
  });
});
