import { describe, expect, it } from 'vitest';
import { SimAwsError } from '#sim/world/aws-error.js';
import {
  applyUpdate,
  checkAllUsed,
  evaluate,
  parseCondition,
  parseUpdate,
  type AttributeValue,
  type ExpressionInputs,
  type Item,
} from '#sim/world/dynamodb-expressions.js';
import {
  LOCK_ACQUIRE_CONDITION,
  LOCK_RELEASE_CONDITION,
  PROBE_UPDATE_CONDITION,
} from '#shared/adapters/aws/dynamodb-store.js';

const S = (v: string): AttributeValue => ({ S: v });
const N = (v: number): AttributeValue => ({ N: String(v) });

function check(expr: string, item: Item | undefined, inputs: ExpressionInputs = {}): boolean {
  return evaluate(parseCondition(expr, inputs).condition, item, inputs);
}

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

describe('condition expressions', () => {
  it('evaluates the lock acquire condition of the DynamoDB adapter', () => {
    const values = (now: number, holder: string) => ({ values: { ':now': N(now), ':holder': S(holder) } });
    expect(check(LOCK_ACQUIRE_CONDITION, undefined, values(500, 'exec-2'))).toBe(true); // free
    expect(check(LOCK_ACQUIRE_CONDITION, lock, values(500, 'exec-2'))).toBe(false); // held, not expired
    expect(check(LOCK_ACQUIRE_CONDITION, lock, values(1_001, 'exec-2'))).toBe(true); // expired
    expect(check(LOCK_ACQUIRE_CONDITION, lock, values(1_000, 'exec-2'))).toBe(false); // expires exactly now: still held
    expect(check(LOCK_ACQUIRE_CONDITION, lock, values(500, 'exec-1'))).toBe(true); // re-entrant
    expect(check(LOCK_RELEASE_CONDITION, lock, { values: { ':holder': S('exec-1') } })).toBe(true);
    expect(check(LOCK_RELEASE_CONDITION, lock, { values: { ':holder': S('exec-2') } })).toBe(false);
    expect(check(LOCK_RELEASE_CONDITION, undefined, { values: { ':holder': S('exec-1') } })).toBe(false);
    expect(check(PROBE_UPDATE_CONDITION, { version: N(3) }, { values: { ':expected': N(3) } })).toBe(true);
    expect(check(PROBE_UPDATE_CONDITION, { version: N(4) }, { values: { ':expected': N(3) } })).toBe(false);
  });

  it('compares numbers as numbers and strings as strings', () => {
    const item: Item = { n: N(10), s: S('b') };
    const v = {
      values: { ':nine': N(9), ':ten': { N: '10.0' }, ':a': S('a'), ':c': S('c'), ':str10': S('10') },
    };
    expect(check('n > :nine', item, v)).toBe(true);
    expect(check('n = :ten', item, v)).toBe(true);
    expect(check('n >= :ten AND n <= :ten', item, v)).toBe(true);
    expect(check('n < :nine', item, v)).toBe(false);
    expect(check('s > :a AND s < :c', item, v)).toBe(true);
    // Different types never compare equal or ordered.
    expect(check('n = :str10', item, v)).toBe(false);
    expect(check('n > :a', item, v)).toBe(false);
    expect(check('n <> :str10', item, v)).toBe(true);
  });

  it('handles AND, OR, NOT and parentheses with the usual precedence', () => {
    const v = { values: { ':t': { BOOL: true } as AttributeValue, ':f': { BOOL: false } as AttributeValue } };
    const item: Item = { a: { BOOL: true }, b: { BOOL: false } };
    expect(check('a = :t OR b = :t AND b = :t', item, v)).toBe(true); // AND binds tighter
    expect(check('(a = :t OR b = :t) AND b = :t', item, v)).toBe(false);
    expect(check('NOT a = :f', item, v)).toBe(true);
    expect(check('NOT (a = :t AND b = :f)', item, v)).toBe(false);
    expect(check('a = :t and not b = :t', item, v)).toBe(true); // keywords are case-insensitive
  });

  it('supports attribute_exists, attribute_not_exists, begins_with, BETWEEN, IN and nested paths', () => {
    const item: Item = { m: { M: { deep: N(5) } }, l: { L: [S('x'), S('y')] }, label: S('pair#hq') };
    const v = { values: { ':p': S('pair#'), ':lo': N(1), ':hi': N(5), ':x': S('y'), ':z': S('z') } };
    expect(check('attribute_exists(m.deep) AND attribute_not_exists(m.extra)', item, v)).toBe(true);
    expect(check('begins_with(label, :p)', item, v)).toBe(true);
    expect(check('m.deep BETWEEN :lo AND :hi', item, v)).toBe(true);
    expect(check('l[1] IN (:z, :x)', item, v)).toBe(true);
    expect(check('l[0] IN (:z, :x)', item, v)).toBe(false);
  });

  it('treats a missing attribute as unequal to anything', () => {
    const v = { values: { ':a': S('a') } };
    expect(check('absent = :a', {}, v)).toBe(false);
    expect(check('absent <> :a', {}, v)).toBe(true);
    expect(check('absent < :a', {}, v)).toBe(false);
  });

  it('resolves #name placeholders, and refuses reserved words used bare', () => {
    expect(check('#s = :v', { state: S('x') }, { names: { '#s': 'state' }, values: { ':v': S('x') } })).toBe(
      true,
    );
    expect(validation(() => parseCondition('state = :v', { values: { ':v': S('x') } }))).toMatch(
      /reserved keyword: state/,
    );
    expect(validation(() => parseCondition('attribute_exists(ttl)', {}))).toMatch(/reserved keyword: ttl/);
    // `owner` is reserved too: the owner item may only be written without an expression naming it bare.
    expect(validation(() => parseCondition('attribute_exists(owner)', {}))).toMatch(
      /reserved keyword: owner/,
    );
  });

  it('refuses undefined placeholders and syntax errors', () => {
    expect(validation(() => parseCondition('a = :v', {}))).toMatch(/attribute value: :v/);
    expect(validation(() => parseCondition('#a = :v', { values: { ':v': S('x') } }))).toMatch(
      /attribute name .*#a/,
    );
    expect(validation(() => parseCondition('a = ', { values: {} }))).toMatch(/Syntax error/);
    expect(validation(() => parseCondition('a = :v :v', { values: { ':v': S('x') } }))).toMatch(
      /Syntax error/,
    );
    expect(validation(() => parseCondition('(a = :v', { values: { ':v': S('x') } }))).toMatch(/Syntax error/);
    expect(validation(() => parseCondition('', {}))).toMatch(/can not be empty/);
  });

  it('refuses placeholders that no expression uses, as DynamoDB does', () => {
    const inputs = { values: { ':v': S('x'), ':unused': S('y') } };
    const parsed = parseCondition('a = :v', inputs);
    expect(validation(() => checkAllUsed(inputs, [parsed]))).toMatch(
      /unused in expressions: keys: \{:unused\}/,
    );
    const names = { names: { '#a': 'a', '#b': 'b' }, values: { ':v': S('x') } };
    expect(validation(() => checkAllUsed(names, [parseCondition('#a = :v', names)]))).toMatch(/\{#b\}/);
  });
});

describe('update expressions', () => {
  it('applies SET with arithmetic and if_not_exists, REMOVE and ADD, reading the old item', () => {
    const inputs: ExpressionInputs = {
      names: { '#v': 'version' },
      values: { ':one': N(1), ':s': S('new'), ':zero': N(0) },
    };
    const parsed = parseUpdate(
      'SET #v = #v + :one, label = :s, created = if_not_exists(created, :zero) REMOVE gone ADD hits :one',
      inputs,
    );
    const before: Item = { version: N(4), gone: S('x'), created: N(7) };
    const after = applyUpdate(before, parsed.actions, inputs);
    expect(after).toEqual({ version: N(5), label: S('new'), created: N(7), hits: N(1) });
    expect(before).toEqual({ version: N(4), gone: S('x'), created: N(7) });
  });

  it('refuses a repeated clause and an arithmetic on a missing attribute', () => {
    const inputs = { values: { ':a': N(1) } };
    expect(validation(() => parseUpdate('SET a = :a SET b = :a', inputs))).toMatch(/only be used once/);
    const parsed = parseUpdate('SET a = a + :a', inputs);
    expect(validation(() => applyUpdate({}, parsed.actions, inputs))).toMatch(/does not exist|not a number/);
  });
});
