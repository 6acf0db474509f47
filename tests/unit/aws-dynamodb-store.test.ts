import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ProvisionedThroughputExceededException,
  ResourceNotFoundException,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { AwsCallError, AwsThrottledError, InputInvalidError, StateConflictError } from '#shared/errors.js';
import { DynamoStateStore } from '#shared/adapters/aws/dynamodb-store.js';
import { LOCK_RELEASED } from '#shared/ports/store.js';

const ddbMock = mockClient(DynamoDBClient);
const TABLE = 'pan-failover-state';
let store: DynamoStateStore<{ failures: number }>;

beforeEach(() => {
  ddbMock.reset();
  store = new DynamoStateStore({ client: new DynamoDBClient({ region: 'eu-central-1' }), tableName: TABLE });
});

/** A refused conditional write; with `item`, the old item DynamoDB returns for ALL_OLD. */
const conditionalFailure = (item?: Record<string, AttributeValue>) =>
  new ConditionalCheckFailedException({
    $metadata: { httpStatusCode: 400 },
    message: 'The conditional request failed',
    ...(item ? { Item: item } : {}),
  });

const lockKey = { pk: { S: 'pair#edge' }, sk: { S: 'lock' } };
const NOW = 1_740_000_000_000;
const LEASE = 900_000;

describe('DynamoStateStore lock', () => {
  it('acquires with one conditional PutItem holding holder, times and a TTL a day after expiry', async () => {
    ddbMock.on(PutItemCommand).resolves({});
    await expect(store.acquire('edge', 'exec-1', NOW, LEASE)).resolves.toEqual({
      acquired: true,
      expiresAt: NOW + LEASE,
    });
    const calls = ddbMock.commandCalls(PutItemCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({
      TableName: TABLE,
      Item: {
        ...lockKey,
        holder: { S: 'exec-1' },
        acquiredAt: { N: String(NOW) },
        expiresAt: { N: String(NOW + LEASE) },
        ttl: { N: String(Math.ceil((NOW + LEASE) / 1000) + 86_400) },
      },
      ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now OR holder = :holder',
      ExpressionAttributeValues: { ':now': { N: String(NOW) }, ':holder': { S: 'exec-1' } },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(calls[0]!.args[0].input).not.toHaveProperty('ExpressionAttributeNames');
  });

  const otherLease = {
    ...lockKey,
    holder: { S: 'exec-other' },
    acquiredAt: { N: String(NOW - 1000) },
    expiresAt: { N: String(NOW + 5000) },
  };

  it('a refusal names the holder from the refused write itself: one request, no read', async () => {
    ddbMock.on(PutItemCommand).rejects(conditionalFailure(otherLease));
    await expect(store.acquire('edge', 'exec-1', NOW, LEASE)).resolves.toEqual({
      acquired: false,
      heldBy: 'exec-other',
      expiresAt: NOW + 5000,
    });
    expect(ddbMock.commandCalls(PutItemCommand)).toHaveLength(1);
    expect(ddbMock.commandCalls(GetItemCommand)).toHaveLength(0);
  });

  it('a refusal without an old item that explains it is a retryable StateConflictError, not a guess', async () => {
    for (const item of [undefined, { ...otherLease, holder: { S: 'exec-1' } }, { ...otherLease, expiresAt: { N: String(NOW - 1) } }]) {
      ddbMock.reset();
      ddbMock.on(PutItemCommand).rejects(conditionalFailure(item));
      const failure = await store.acquire('edge', 'exec-1', NOW, LEASE).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(StateConflictError);
      expect((failure as StateConflictError).retryable).toBe(true);
      expect(ddbMock.commandCalls(PutItemCommand)).toHaveLength(1);
    }
  });

  it('a take-over refused names the current holder, or LOCK_RELEASED when the item was gone: one request', async () => {
    ddbMock.on(PutItemCommand).rejects(conditionalFailure(otherLease));
    await expect(store.takeOver('edge', 'exec-1', 'exec-dead', NOW, LEASE)).resolves.toEqual({ acquired: false, heldBy: 'exec-other', expiresAt: NOW + 5000 });
    expect(ddbMock.commandCalls(PutItemCommand)[0]!.args[0].input).toMatchObject({ ConditionExpression: 'holder = :stale', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' });
    ddbMock.reset();
    ddbMock.on(PutItemCommand).rejects(conditionalFailure());
    await expect(store.takeOver('edge', 'exec-1', 'exec-dead', NOW, LEASE)).resolves.toEqual({ acquired: false, heldBy: LOCK_RELEASED, expiresAt: NOW });
    expect(ddbMock.commandCalls(GetItemCommand)).toHaveLength(0);
  });

  it('translates other failures: throttling is retryable, a missing table is not', async () => {
    ddbMock
      .on(PutItemCommand)
      .rejects(
        new ProvisionedThroughputExceededException({ $metadata: { httpStatusCode: 400 }, message: 'x' }),
      );
    await expect(store.acquire('edge', 'exec-1', NOW, LEASE)).rejects.toThrow(AwsThrottledError);
    ddbMock.reset();
    ddbMock
      .on(PutItemCommand)
      .rejects(
        new ResourceNotFoundException({
          $metadata: { httpStatusCode: 400 },
          message: 'Requested resource not found',
        }),
      );
    await expect(store.acquire('edge', 'exec-1', NOW, LEASE)).rejects.toThrow(AwsCallError);
  });

  it('releases with a DeleteItem conditioned on the holder', async () => {
    ddbMock.on(DeleteItemCommand).resolves({});
    await expect(store.release('edge', 'exec-1')).resolves.toBe(true);
    expect(ddbMock.commandCalls(DeleteItemCommand)[0]!.args[0].input).toEqual({
      TableName: TABLE,
      Key: lockKey,
      ConditionExpression: 'holder = :holder',
      ExpressionAttributeValues: { ':holder': { S: 'exec-1' } },
    });
  });

  it('release by a holder that no longer holds the lock returns false', async () => {
    ddbMock.on(DeleteItemCommand).rejects(conditionalFailure());
    await expect(store.release('edge', 'exec-1')).resolves.toBe(false);
  });

  it('release failing for another reason throws', async () => {
    ddbMock.on(DeleteItemCommand).rejects(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    await expect(store.release('edge', 'exec-1')).rejects.toThrow(/dynamodb:DeleteItem/);
  });

  it('get reads the holder and expiry, undefined when there is no lock', async () => {
    ddbMock
      .on(GetItemCommand)
      .resolvesOnce({ Item: { ...lockKey, holder: { S: 'exec-9' }, expiresAt: { N: '123' } } })
      .resolvesOnce({});
    await expect(store.get('edge')).resolves.toEqual({ holder: 'exec-9', expiresAt: 123 });
    await expect(store.get('edge')).resolves.toBeUndefined();
  });

  it('a malformed lock item is an error, not "no lock"', async () => {
    ddbMock
      .on(GetItemCommand)
      .resolves({ Item: { ...lockKey, holder: { S: 'exec-9' }, expiresAt: { S: 'soon' } } });
    await expect(store.get('edge')).rejects.toThrow(AwsCallError);
  });

  it('an attribute of a type DynamoDB does not define is a typed error naming the item', async () => {
    ddbMock.on(GetItemCommand).resolves({ Item: { ...lockKey, holder: { S: 'exec-9' }, expiresAt: { $unknown: ['X', '1'] } } as never });
    await expect(store.get('edge')).rejects.toThrow(/dynamodb:GetItem: unexpected response: item pair#edge\/lock cannot be read/);
  });

  it('a number stored beyond the safe integer range is refused, not rounded', async () => {
    ddbMock.on(GetItemCommand).resolves({ Item: { ...lockKey, holder: { S: 'exec-9' }, expiresAt: { N: '99999999999999999999' } } });
    await expect(store.get('edge')).rejects.toThrow(/lacks number attribute expiresAt/);
  });
});

describe('DynamoStateStore owner', () => {
  const ownerKey = { pk: { S: 'pair#edge' }, sk: { S: 'owner' } };

  it('writes the owner record with a plain PutItem', async () => {
    ddbMock.on(PutItemCommand).resolves({});
    await store.putOwner('edge', {
      owner: 'secondary',
      since: NOW,
      changedBy: 'exec-1',
      reason: 'primary dead',
    });
    expect(ddbMock.commandCalls(PutItemCommand)[0]!.args[0].input).toEqual({
      TableName: TABLE,
      Item: {
        ...ownerKey,
        owner: { S: 'secondary' },
        since: { N: String(NOW) },
        changedBy: { S: 'exec-1' },
        reason: { S: 'primary dead' },
      },
    });
  });

  it('reads it back with a consistent read', async () => {
    ddbMock.on(GetItemCommand).resolves({
      Item: {
        ...ownerKey,
        owner: { S: 'primary' },
        since: { N: '5' },
        changedBy: { S: 'person' },
        reason: { S: 'failback' },
      },
    });
    await expect(store.getOwner('edge')).resolves.toEqual({
      owner: 'primary',
      since: 5,
      changedBy: 'person',
      reason: 'failback',
    });
    expect(ddbMock.commandCalls(GetItemCommand)[0]!.args[0].input).toEqual({
      TableName: TABLE,
      Key: ownerKey,
      ConsistentRead: true,
    });
  });

  it('is undefined when never recorded, and refuses an owner that is not a role', async () => {
    ddbMock
      .on(GetItemCommand)
      .resolvesOnce({})
      .resolvesOnce({
        Item: {
          ...ownerKey,
          owner: { S: 'tertiary' },
          since: { N: '5' },
          changedBy: { S: 'x' },
          reason: { S: 'y' },
        },
      });
    await expect(store.getOwner('edge')).resolves.toBeUndefined();
    await expect(store.getOwner('edge')).rejects.toThrow(/tertiary/);
  });
});

describe('DynamoStateStore probe state', () => {
  const probeKey = { pk: { S: 'pair#edge' }, sk: { S: 'probe' } };

  it('loads nothing as value and version undefined', async () => {
    ddbMock.on(GetItemCommand).resolves({});
    await expect(store.loadProbeState('edge')).resolves.toEqual({ value: undefined, version: undefined });
  });

  it('loads the JSON state and its version', async () => {
    ddbMock
      .on(GetItemCommand)
      .resolves({ Item: { ...probeKey, state: { S: '{"failures":2}' }, version: { N: '7' } } });
    await expect(store.loadProbeState('edge')).resolves.toEqual({ value: { failures: 2 }, version: 7 });
  });

  it('a state that is not JSON is an error, never a silent reset', async () => {
    ddbMock
      .on(GetItemCommand)
      .resolves({ Item: { ...probeKey, state: { S: '{oops' }, version: { N: '7' } } });
    await expect(store.loadProbeState('edge')).rejects.toThrow(AwsCallError);
  });

  it('creates the first version only if no item exists', async () => {
    ddbMock.on(PutItemCommand).resolves({});
    await store.saveProbeState('edge', { failures: 1 }, undefined);
    expect(ddbMock.commandCalls(PutItemCommand)[0]!.args[0].input).toEqual({
      TableName: TABLE,
      Item: { ...probeKey, state: { S: '{"failures":1}' }, version: { N: '1' } },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });

  it('writes version+1 only if the stored version is still the expected one', async () => {
    ddbMock.on(PutItemCommand).resolves({});
    await store.saveProbeState('edge', { failures: 3 }, 4);
    expect(ddbMock.commandCalls(PutItemCommand)[0]!.args[0].input).toEqual({
      TableName: TABLE,
      Item: { ...probeKey, state: { S: '{"failures":3}' }, version: { N: '5' } },
      ConditionExpression: 'version = :expected',
      ExpressionAttributeValues: { ':expected': { N: '4' } },
    });
  });

  it('a lost race is a StateConflictError keeping the cause', async () => {
    const cause = conditionalFailure();
    ddbMock.on(PutItemCommand).rejects(cause);
    const failure = await store.saveProbeState('edge', { failures: 3 }, 4).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(StateConflictError);
    expect((failure as Error).cause).toBe(cause);
  });

  it('other write failures are translated', async () => {
    ddbMock.on(PutItemCommand).rejects(Object.assign(new Error('timed out'), { name: 'TimeoutError' }));
    await expect(store.saveProbeState('edge', { failures: 3 }, 4)).rejects.toThrow(/dynamodb:PutItem/);
  });

  it('refuses a value JSON cannot represent before writing anything', async () => {
    const untyped = store as unknown as DynamoStateStore<unknown>;
    await expect(untyped.saveProbeState('edge', undefined, undefined)).rejects.toThrow(InputInvalidError);
    expect(ddbMock.calls()).toHaveLength(0);
  });
});
