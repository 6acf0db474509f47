/**
 * DynamoDB tables with a string partition key and sort key (the controller's table layout),
 * GetItem / PutItem / DeleteItem / UpdateItem with conditions. Inputs use DynamoDB's own
 * request member names, so the wire server passes request bodies straight through.
 */
import { SimAwsError } from './aws-error.js';
import { worldArn, type WorldContext } from './context.js';
import {
  applyUpdate,
  checkAllUsed,
  evaluate,
  parseCondition,
  parseUpdate,
  validationError,
  type AttributeValue,
  type ExpressionInputs,
  type Item,
  type ParsedCondition,
} from './dynamodb-expressions.js';
import type { WorldTopology } from './topology.js';

export type { AttributeValue, Item } from './dynamodb-expressions.js';

interface ExpressionMembers {
  readonly ConditionExpression?: string;
  readonly ExpressionAttributeNames?: Readonly<Record<string, string>>;
  readonly ExpressionAttributeValues?: Readonly<Record<string, AttributeValue>>;
  readonly ReturnValuesOnConditionCheckFailure?: 'NONE' | 'ALL_OLD';
}

export interface GetItemInput {
  readonly TableName: string;
  readonly Key: Item;
  readonly ConsistentRead?: boolean;
  readonly ProjectionExpression?: string;
  readonly ExpressionAttributeNames?: Readonly<Record<string, string>>;
}

export interface PutItemInput extends ExpressionMembers {
  readonly TableName: string;
  readonly Item: Item;
  readonly ReturnValues?: 'NONE' | 'ALL_OLD';
}

export interface DeleteItemInput extends ExpressionMembers {
  readonly TableName: string;
  readonly Key: Item;
  readonly ReturnValues?: 'NONE' | 'ALL_OLD';
}

export interface UpdateItemInput extends ExpressionMembers {
  readonly TableName: string;
  readonly Key: Item;
  readonly UpdateExpression?: string;
  readonly ReturnValues?: 'NONE' | 'ALL_OLD' | 'ALL_NEW' | 'UPDATED_OLD' | 'UPDATED_NEW';
}

interface Table {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly items: Map<string, Item>;
  readonly createdAt: number;
}

export interface TableDescription {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly itemCount: number;
  readonly createdAt: number;
}

export class DynamoDbWorld {
  readonly #ctx: WorldContext;
  readonly #tables = new Map<string, Table>();

  constructor(ctx: WorldContext) {
    this.#ctx = ctx;
  }

  load(t: WorldTopology): void {
    for (const spec of t.tables) {
      const table: Table = {
        name: spec.name,
        partitionKey: spec.partitionKey,
        sortKey: spec.sortKey,
        items: new Map(),
        createdAt: this.#ctx.now(),
      };
      for (const item of spec.items as Item[]) table.items.set(this.#key(table, item), item);
      this.#tables.set(spec.name, table);
    }
  }

  describeTable(name: string): TableDescription {
    this.#authorize('DescribeTable', name);
    const t = this.#table(name);
    return {
      name: t.name,
      partitionKey: t.partitionKey,
      sortKey: t.sortKey,
      itemCount: t.items.size,
      createdAt: t.createdAt,
    };
  }

  /** Every item of a table (tests, the demo). */
  scan(tableName: string): Item[] {
    this.#authorize('Scan', tableName);
    return [...this.#table(tableName).items.values()];
  }

  getItem(input: GetItemInput): { Item?: Item } {
    this.#authorize('GetItem', input.TableName, input.Key);
    const table = this.#table(input.TableName);
    const key = this.#key(table, input.Key, true);
    const item = table.items.get(key);
    if (item === undefined) return {};
    if (input.ProjectionExpression === undefined) return { Item: item };
    const names = input.ExpressionAttributeNames ?? {};
    const projected: Record<string, AttributeValue> = {};
    for (const raw of input.ProjectionExpression.split(',').map((s) => s.trim())) {
      const name = raw.startsWith('#') ? names[raw] : raw;
      if (name === undefined) {
        throw validationError(
          `Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; attribute name: ${raw}`,
        );
      }
      const v = item[name];
      if (v !== undefined) projected[name] = v;
    }
    return { Item: projected };
  }

  putItem(input: PutItemInput): { Attributes?: Item } {
    this.#authorize('PutItem', input.TableName, input.Item);
    const table = this.#table(input.TableName);
    const key = this.#key(table, input.Item, false);
    const inputs = expressionInputs(input);
    const condition = this.#condition(input, inputs, []);
    const old = table.items.get(key);
    this.#check(condition, old, inputs, input.ReturnValuesOnConditionCheckFailure);
    table.items.set(key, input.Item);
    this.#record('dynamodb.item.put', table, input.Item, 'PutItem');
    return input.ReturnValues === 'ALL_OLD' && old !== undefined ? { Attributes: old } : {};
  }

  deleteItem(input: DeleteItemInput): { Attributes?: Item } {
    this.#authorize('DeleteItem', input.TableName, input.Key);
    const table = this.#table(input.TableName);
    const key = this.#key(table, input.Key, true);
    const inputs = expressionInputs(input);
    const condition = this.#condition(input, inputs, []);
    const old = table.items.get(key);
    this.#check(condition, old, inputs, input.ReturnValuesOnConditionCheckFailure);
    if (old !== undefined) {
      table.items.delete(key);
      this.#record('dynamodb.item.deleted', table, old, 'DeleteItem');
    }
    return input.ReturnValues === 'ALL_OLD' && old !== undefined ? { Attributes: old } : {};
  }

  updateItem(input: UpdateItemInput): { Attributes?: Item } {
    this.#authorize('UpdateItem', input.TableName, input.Key);
    const table = this.#table(input.TableName);
    const key = this.#key(table, input.Key, true);
    const inputs = expressionInputs(input);
    const update =
      input.UpdateExpression === undefined ? undefined : parseUpdate(input.UpdateExpression, inputs);
    const condition = this.#condition(input, inputs, update === undefined ? [] : [update]);
    const old = table.items.get(key);
    this.#check(condition, old, inputs, input.ReturnValuesOnConditionCheckFailure);
    const base: Item = old ?? input.Key;
    const next = update === undefined ? base : applyUpdate(base, update.actions, inputs);
    for (const k of [table.partitionKey, table.sortKey]) {
      const before = base[k];
      const after = next[k];
      if (
        before === undefined ||
        after === undefined ||
        !('S' in before) ||
        !('S' in after) ||
        before.S !== after.S
      ) {
        throw validationError(
          `One or more parameter values were invalid: Cannot update attribute ${k}. This attribute is part of the key`,
        );
      }
    }
    table.items.set(key, next);
    this.#record('dynamodb.item.updated', table, next, 'UpdateItem');
    switch (input.ReturnValues) {
      case 'ALL_NEW':
        return { Attributes: next };
      case 'ALL_OLD':
        return old === undefined ? {} : { Attributes: old };
      case 'UPDATED_NEW':
        return { Attributes: changed(old ?? {}, next, next) };
      case 'UPDATED_OLD':
        return old === undefined ? {} : { Attributes: changed(old, next, old) };
      default:
        return {};
    }
  }

  /** The IAM check: the table's ARN, and `dynamodb:LeadingKeys` (the partition key value of the item the request names). */
  #authorize(operation: string, tableName: string, item?: Item): void {
    const partitionKey = this.#tables.get(tableName)?.partitionKey;
    const value = partitionKey === undefined ? undefined : item?.[partitionKey];
    const scalar = value !== undefined && ('S' in value ? value.S : 'N' in value ? value.N : 'B' in value ? value.B : undefined);
    const leading = typeof scalar === 'string' ? [scalar] : [];
    this.#ctx.iam.check('dynamodb', `dynamodb:${operation}`, [worldArn(this.#ctx, 'dynamodb', `table/${tableName}`)], item === undefined ? {} : { 'dynamodb:LeadingKeys': leading });
  }

  #table(name: string): Table {
    const table = this.#tables.get(name);
    if (table === undefined) {
      throw new SimAwsError('dynamodb', 'ResourceNotFoundException', 'Requested resource not found');
    }
    return table;
  }

  /** The item's key; `exact` for a `Key` member, which must hold the key attributes and nothing else. */
  #key(table: Table, item: Item, exact = false): string {
    const names = Object.keys(item);
    if (
      exact &&
      (names.length !== 2 || !names.includes(table.partitionKey) || !names.includes(table.sortKey))
    ) {
      throw validationError('The provided key element does not match the schema');
    }
    const parts: string[] = [];
    for (const k of [table.partitionKey, table.sortKey]) {
      const v = item[k];
      if (v === undefined) {
        throw validationError(
          exact
            ? 'The provided key element does not match the schema'
            : `One or more parameter values were invalid: Missing the key ${k} in the item`,
        );
      }
      if (!('S' in v)) {
        throw validationError(
          `One or more parameter values were invalid: Type mismatch for key ${k} expected: S actual: ${Object.keys(v)[0] ?? '?'}`,
        );
      }
      if (v.S === '') {
        throw validationError(
          `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: ${k}`,
        );
      }
      parts.push(v.S);
    }
    return parts.join('\u0000');
  }

  #condition(
    input: ExpressionMembers,
    inputs: ExpressionInputs,
    others: readonly { usedNames: ReadonlySet<string>; usedValues: ReadonlySet<string> }[],
  ): ParsedCondition | undefined {
    if ('Expected' in input || 'ConditionalOperator' in input) {
      throw validationError(
        'The simulator implements ConditionExpression only, not the legacy Expected parameter',
      );
    }
    const condition =
      input.ConditionExpression === undefined ? undefined : parseCondition(input.ConditionExpression, inputs);
    checkAllUsed(inputs, condition === undefined ? others : [condition, ...others]);
    return condition;
  }

  #check(
    condition: ParsedCondition | undefined,
    old: Item | undefined,
    inputs: ExpressionInputs,
    onFailure: 'NONE' | 'ALL_OLD' | undefined,
  ): void {
    if (condition === undefined || evaluate(condition.condition, old, inputs)) return;
    throw new SimAwsError('dynamodb', 'ConditionalCheckFailedException', 'The conditional request failed', {
      extra: onFailure === 'ALL_OLD' && old !== undefined ? { Item: old } : {},
    });
  }

  #record(
    type: 'dynamodb.item.put' | 'dynamodb.item.updated' | 'dynamodb.item.deleted',
    table: Table,
    item: Item,
    op: string,
  ): void {
    const pk = stringOf(item[table.partitionKey]);
    const sk = stringOf(item[table.sortKey]);
    const holder = stringOf(item['holder']);
    this.#ctx.events.record(
      this.#ctx.now(),
      type,
      `${table.name}/${pk}/${sk}`,
      `${op} ${table.name} ${pk} ${sk}${holder === undefined ? '' : ` holder=${holder}`}`,
      { table: table.name, pk, sk, item },
    );
  }
}

function expressionInputs(input: ExpressionMembers): ExpressionInputs {
  return { names: input.ExpressionAttributeNames, values: input.ExpressionAttributeValues };
}

function stringOf(v: AttributeValue | undefined): string | undefined {
  if (v === undefined) return undefined;
  if ('S' in v) return v.S;
  if ('N' in v) return v.N;
  return undefined;
}

function changed(before: Item, after: Item, from: Item): Item {
  const out: Record<string, AttributeValue> = {};
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (JSON.stringify(before[k]) !== JSON.stringify(after[k]) && from[k] !== undefined) out[k] = from[k];
  }
  return out;
}
