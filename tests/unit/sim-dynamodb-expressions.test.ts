/**
 * The simulated DynamoDB implements the condition expressions the controller sends (the
 * adapter's `*_CONDITION` constants) and refuses, by name, everything else DynamoDB has.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import * as adapter from '#shared/adapters/aws/dynamodb-store.js';
import {
  LOCK_ACQUIRE_CONDITION,
  LOCK_RELEASE_CONDITION,
  LOCK_TAKEOVER_CONDITION,
  OWNER_CREATE_CONDITION,
  PROBE_UPDATE_CONDITION,
} from '#shared/adapters/aws/dynamodb-store.js';
import { SimAwsError } from '#sim/world/aws-error.js';
import {
  checkAllUsed,
  evaluate,
  parseCondition,
  type AttributeValue,
  type ExpressionValues,
  type Item,
} from '#sim/world/dynamodb-expressions.js';
import { worldDynamoDbClient } from '#sim/world/ports.js';
import { ManualClock } from '#sim/manual-clock.js';
import { World } from '#sim/world/world.js';
import { EXAMPLE_IDS as ID, exampleTopology } from '../support/example-topology.js';

const S = (v: string): AttributeValue => ({ S: v });
const N = (v: number | string): AttributeValue => ({ N: String(v) });

function check(expr: string, item: Item | undefined, values: ExpressionValues = {}): boolean {
  return evaluate(parseCondition(expr, values), item, values);
}

/** The message of the ValidationException `fn` throws. */
function validation(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof SimAwsError && e.code === 'ValidationException') return e.message;
    throw e;
  }
  throw new Error('expected a ValidationException');
}

const lock: Item = { pk: S('pair#hq'), sk: S('lock'), holder: S('exec-1'), expiresAt: N(1_000) };

describe('the condition expressions the controller sends', () => {
  it('parses every *_CONDITION the DynamoDB adapter exports', () => {
    const conditions = Object.entries(adapter).flatMap(([k, v]) => (k.endsWith('_CONDITION') && typeof v === 'string' ? [[k, v] as const] : []));
    expect(conditions.length).toBeGreaterThanOrEqual(8);
    for (const [name, text] of conditions) {
      const values = Object.fromEntries([...text.matchAll(/:[a-z]+/g)].map(([p]) => [p, N(1)]));
      expect(() => parseCondition(text, values), name).not.toThrow();
    }
  });

  it('evaluates the lock acquire condition: free, expired or re-entrant, never another live holder', () => {
    const at = (now: number, holder: string) => ({ ':now': N(now), ':holder': S(holder) });
    expect(check(LOCK_ACQUIRE_CONDITION, undefined, at(500, 'exec-2'))).toBe(true); // no item
    expect(check(LOCK_ACQUIRE_CONDITION, lock, at(500, 'exec-2'))).toBe(false); // held, not expired
    expect(check(LOCK_ACQUIRE_CONDITION, lock, at(1_001, 'exec-2'))).toBe(true); // expired
    expect(check(LOCK_ACQUIRE_CONDITION, lock, at(1_000, 'exec-2'))).toBe(false); // expires exactly now: still held
    expect(check(LOCK_ACQUIRE_CONDITION, lock, at(500, 'exec-1'))).toBe(true); // re-entrant
  });

  it('evaluates release, take-over and the versioned writes', () => {
    expect(check(LOCK_RELEASE_CONDITION, lock, { ':holder': S('exec-1') })).toBe(true);
    expect(check(LOCK_RELEASE_CONDITION, lock, { ':holder': S('exec-2') })).toBe(false);
    expect(check(LOCK_RELEASE_CONDITION, undefined, { ':holder': S('exec-1') })).toBe(false);
    expect(check(LOCK_TAKEOVER_CONDITION, lock, { ':stale': S('exec-1') })).toBe(true);
    expect(check(LOCK_TAKEOVER_CONDITION, lock, { ':stale': S('exec-0') })).toBe(false);
    expect(check(OWNER_CREATE_CONDITION, undefined)).toBe(true);
    expect(check(OWNER_CREATE_CONDITION, { pk: S('pair#hq'), sk: S('owner') })).toBe(false);
    expect(check(PROBE_UPDATE_CONDITION, { version: N(3) }, { ':expected': N(3) })).toBe(true);
    expect(check(PROBE_UPDATE_CONDITION, { version: N(4) }, { ':expected': N(3) })).toBe(false);
    expect(check(PROBE_UPDATE_CONDITION, undefined, { ':expected': N(3) })).toBe(false);
  });

  it('compares = on numbers by value and on strings exactly; another type or a missing attribute is unequal', () => {
    const item: Item = { n: N(10), s: S('b'), flag: { BOOL: true } };
    expect(check('n = :v', item, { ':v': N('10.0') })).toBe(true);
    expect(check('n = :v', item, { ':v': N(11) })).toBe(false);
    expect(check('n = :v', item, { ':v': S('10') })).toBe(false);
    expect(check('s = :v', item, { ':v': S('b') })).toBe(true);
    expect(check('s = :v', item, { ':v': S('B') })).toBe(false);
    expect(check('flag = :v', item, { ':v': S('true') })).toBe(false);
    expect(check('absent = :v', item, { ':v': S('b') })).toBe(false);
  });

  it('orders < numerically; a missing attribute or one of another type is not less than anything', () => {
    const item: Item = { n: N(9), s: S('1') };
    expect(check('n < :v', item, { ':v': N(10) })).toBe(true); // as strings, "9" > "10"
    expect(check('n < :v', item, { ':v': N(9) })).toBe(false);
    expect(check('n < :v', item, { ':v': N('9.5') })).toBe(true);
    expect(check('s < :v', item, { ':v': N(10) })).toBe(false);
    expect(check('absent < :v', item, { ':v': N(10) })).toBe(false);
  });

  it('joins comparisons with OR (any one holds), keywords case-insensitive', () => {
    const values = { ':a': S('a'), ':b': S('b') };
    expect(check('x = :a OR x = :b', { x: S('b') }, values)).toBe(true);
    expect(check('x = :a or x = :b', { x: S('a') }, values)).toBe(true);
    expect(check('x = :a OR x = :b', { x: S('c') }, values)).toBe(false);
    expect(check('attribute_not_exists(x) OR x = :a', {}, { ':a': S('a') })).toBe(true);
  });

  it('refuses reserved words used bare, with DynamoDB message', () => {
    expect(validation(() => parseCondition('state = :v', { ':v': S('x') }))).toMatch(/reserved keyword: state/);
    expect(validation(() => parseCondition('attribute_not_exists(ttl)'))).toMatch(/reserved keyword: ttl/);
    // `owner` is reserved too: the owner item may only be written without an expression naming it bare.
    expect(validation(() => parseCondition('attribute_not_exists(owner)'))).toMatch(/reserved keyword: owner/);
  });

  it('refuses undefined and unused placeholders, empty expressions and syntax errors, as DynamoDB does', () => {
    expect(validation(() => parseCondition('a = :v', {}))).toMatch(/attribute value: :v/);
    const values = { ':v': S('x'), ':unused': S('y') };
    expect(validation(() => checkAllUsed(values, parseCondition('a = :v', values)))).toMatch(
      /unused in expressions: keys: \{:unused\}/,
    );
    expect(validation(() => checkAllUsed({ ':v': S('x') }, undefined))).toMatch(/keys: \{:v\}/);
    expect(validation(() => parseCondition('', {}))).toMatch(/can not be empty/);
    expect(validation(() => parseCondition('a = ', {}))).toMatch(/Syntax error; token: "<EOF>"/);
    expect(validation(() => parseCondition('a = :v :v', { ':v': S('x') }))).toMatch(/Syntax error/);
    expect(validation(() => parseCondition('a = :v OR', { ':v': S('x') }))).toMatch(/Syntax error/);
    expect(validation(() => parseCondition('attribute_not_exists(a', {}))).toMatch(/Syntax error/);
    expect(validation(() => parseCondition('a = :v;', { ':v': S('x') }))).toMatch(/Syntax error; token: ";"/);
  });
});

describe('what the simulator does not implement', () => {
  const values = { ':v': N(1), ':w': N(2) };
  const refused: readonly (readonly [string, string])[] = [
    ['a = :v AND b = :w', 'AND'],
    ['NOT a = :v OR b = :w', 'NOT'],
    ['(a = :v) OR b = :w', 'parentheses'],
    ['a BETWEEN :v AND :w', 'BETWEEN'],
    ['a IN (:v, :w)', 'IN'],
    ['begins_with(a, :v) OR b = :w', 'function begins_with()'],
    ['size(a) < :v OR b = :w', 'function size()'],
    ['attribute_exists(a) OR a = :v OR b = :w', 'function attribute_exists()'],
    ['contains(a, :v) OR b = :w', 'function contains()'],
    ['a <> :v OR b = :w', 'comparator <>'],
    ['a <= :v OR b = :w', 'comparator <='],
    ['a > :v OR b = :w', 'comparator >'],
    ['a >= :v OR b = :w', 'comparator >='],
    ['#a = :v OR b = :w', 'expression attribute name #a'],
    ['a.b = :v OR b = :w', 'nested document path'],
    ['a[0] = :v OR b = :w', 'nested document path'],
    ['attribute_not_exists(a.b) OR a = :v OR b = :w', 'nested document path'],
    ['a = b OR a = :v OR b = :w', 'an attribute on the right-hand side of a comparison'],
    [':v = a OR b = :w', 'a value on the left-hand side of a comparison'],
  ];

  it.each(refused)('refuses %s, naming %s', (expression, construct) => {
    expect(validation(() => parseCondition(expression, values))).toBe(
      `Unsupported by the simulator: ${construct} in ConditionExpression (it implements what the controller sends; see docs/simulator.md)`,
    );
  });

  it('refuses = on a type other than S or N, and < on anything but N', () => {
    expect(validation(() => check('a = :v', { a: S('x') }, { ':v': { BOOL: true } }))).toMatch(
      /^Unsupported by the simulator: = on a BOOL value/,
    );
    expect(validation(() => check('a < :v', { a: S('x') }, { ':v': S('y') }))).toMatch(
      /^Unsupported by the simulator: < on a S value/,
    );
  });
});

describe('the simulated table', () => {
  let world: World | undefined;
  afterEach(() => world?.close());
  const Key = { pk: S('pair#hq'), sk: S('lock') };

  function table(): World['dynamodb'] {
    world = World.create({ clock: new ManualClock(), seed: 3 }).load(exampleTopology());
    world.dynamodb.putItem({ TableName: ID.table, Item: { ...Key, holder: S('exec-1'), expiresAt: N(1_000) } });
    return world.dynamodb;
  }

  function refusal(fn: () => unknown): SimAwsError {
    try {
      fn();
    } catch (e) {
      if (e instanceof SimAwsError) return e;
      throw e;
    }
    throw new Error('expected an AWS error');
  }

  it('returns the item a condition failed on with ReturnValuesOnConditionCheckFailure ALL_OLD (the lock reads its holder from it)', () => {
    const ddb = table();
    const put = (onFailure?: 'ALL_OLD' | 'NONE') =>
      refusal(() =>
        ddb.putItem({
          TableName: ID.table,
          Item: { ...Key, holder: S('exec-2'), expiresAt: N(2_000) },
          ConditionExpression: LOCK_ACQUIRE_CONDITION,
          ExpressionAttributeValues: { ':now': N(500), ':holder': S('exec-2') },
          ...(onFailure === undefined ? {} : { ReturnValuesOnConditionCheckFailure: onFailure }),
        }),
      );
    const withOld = put('ALL_OLD');
    expect(withOld.code).toBe('ConditionalCheckFailedException');
    expect(withOld.extra).toEqual({ Item: { ...Key, holder: S('exec-1'), expiresAt: N(1_000) } });
    expect(put('NONE').extra).toEqual({});
    expect(put().extra).toEqual({});
    // Refused: the item is unchanged.
    expect(ddb.getItem({ TableName: ID.table, Key, ConsistentRead: true }).Item?.['holder']).toEqual(S('exec-1'));
    // No item to return when the condition failed on an absent item.
    const absent = refusal(() =>
      ddb.deleteItem({
        TableName: ID.table,
        Key: { pk: S('pair#other'), sk: S('lock') },
        ConditionExpression: LOCK_RELEASE_CONDITION,
        ExpressionAttributeValues: { ':holder': S('exec-1') },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    expect(absent).toMatchObject({ code: 'ConditionalCheckFailedException', extra: {} });
  });

  it('writes and deletes when the condition holds', () => {
    const ddb = table();
    ddb.putItem({
      TableName: ID.table,
      Item: { ...Key, holder: S('exec-2'), expiresAt: N(3_000) },
      ConditionExpression: LOCK_ACQUIRE_CONDITION,
      ExpressionAttributeValues: { ':now': N(1_001), ':holder': S('exec-2') },
    });
    expect(ddb.getItem({ TableName: ID.table, Key }).Item?.['holder']).toEqual(S('exec-2'));
    ddb.deleteItem({
      TableName: ID.table,
      Key,
      ConditionExpression: LOCK_RELEASE_CONDITION,
      ExpressionAttributeValues: { ':holder': S('exec-2') },
    });
    expect(ddb.getItem({ TableName: ID.table, Key })).toEqual({});
  });

  it('refuses request members the controller does not send, by name', () => {
    const ddb = table();
    const cases: readonly (readonly [() => unknown, string])[] = [
      [() => ddb.putItem({ TableName: ID.table, Item: Key, ReturnValues: 'ALL_OLD' } as never), 'the member ReturnValues in PutItem'],
      [() => ddb.deleteItem({ TableName: ID.table, Key, ReturnValues: 'ALL_OLD' } as never), 'the member ReturnValues in DeleteItem'],
      [
        () => ddb.putItem({ TableName: ID.table, Item: Key, ConditionExpression: '#h = :v', ExpressionAttributeNames: { '#h': 'holder' }, ExpressionAttributeValues: { ':v': S('x') } } as never),
        'the member ExpressionAttributeNames in PutItem',
      ],
      [() => ddb.putItem({ TableName: ID.table, Item: Key, Expected: { holder: { Exists: false } } } as never), 'the member Expected in PutItem'],
      [() => ddb.getItem({ TableName: ID.table, Key, ProjectionExpression: 'holder' } as never), 'the member ProjectionExpression in GetItem'],
    ];
    for (const [call, construct] of cases) {
      const e = refusal(call);
      expect(e.code).toBe('ValidationException');
      expect(e.message).toMatch(new RegExp(`^Unsupported by the simulator: ${construct} `));
    }
    // Nothing changed.
    expect(ddb.getItem({ TableName: ID.table, Key }).Item?.['holder']).toEqual(S('exec-1'));
  });

  it('validates ReturnValuesOnConditionCheckFailure and values without a condition, as DynamoDB does', () => {
    const ddb = table();
    expect(
      refusal(() => ddb.putItem({ TableName: ID.table, Item: Key, ConditionExpression: OWNER_CREATE_CONDITION, ReturnValuesOnConditionCheckFailure: 'ALL_NEW' as never })).message,
    ).toMatch(/enum value set: \[ALL_OLD, NONE\]/);
    expect(refusal(() => ddb.putItem({ TableName: ID.table, Item: Key, ExpressionAttributeValues: { ':v': S('x') } })).message).toMatch(
      /ExpressionAttributeValues can only be specified when using expressions/,
    );
  });

  it('has no UpdateItem: the in-process client refuses the command', async () => {
    world = World.create({ clock: new ManualClock(), seed: 3 }).load(exampleTopology());
    expect('updateItem' in world.dynamodb).toBe(false);
    const client = worldDynamoDbClient(world);
    await expect(
      client.send(new UpdateItemCommand({ TableName: ID.table, Key: { pk: { S: 'pair#hq' }, sk: { S: 'lock' } }, UpdateExpression: 'SET holder = :h', ExpressionAttributeValues: { ':h': { S: 'x' } } })),
    ).rejects.toThrow(/does not know UpdateItemCommand/);
  });
});
