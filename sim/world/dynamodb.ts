/**
 * DynamoDB tables with a string partition key and sort key (the controller's table layout),
 * and the items API the controller uses: GetItem, PutItem and DeleteItem with the condition
 * expressions of ./dynamodb-expressions.ts. Inputs use DynamoDB's own request member names, so
 * the wire server passes request bodies straight through. A member the controller does not send
 * (UpdateItem as a whole, `ProjectionExpression`, `ExpressionAttributeNames`, `ReturnValues`,
 * the legacy `Expected`, ...) is refused by name rather than ignored (docs/simulator.md).
 */
import { SimAwsError } from './aws-error.js';
import { worldArn, type WorldContext } from './context.js';
import {
  checkAllUsed,
  evaluate,
  parseCondition,
  unsupported,
  validationError,
  type AttributeValue,
  type ExpressionValues,
  type Item,
  type ParsedCondition,
} from './dynamodb-expressions.js';
import type { WorldTopology } from './topology.js';

export type { AttributeValue, Item } from './dynamodb-expressions.js';

interface ConditionMembers {
  readonly ConditionExpression?: string;
  readonly ExpressionAttributeValues?: ExpressionValues;
  readonly ReturnValuesOnConditionCheckFailure?: 'NONE' | 'ALL_OLD';
}

export interface GetItemInput {
  readonly TableName: string;
  readonly Key: Item;
  readonly ConsistentRead?: boolean;
}

export interface PutItemInput extends ConditionMembers {
  readonly TableName: string;
  readonly Item: Item;
}

export interface DeleteItemInput extends ConditionMembers {
  readonly TableName: string;
  readonly Key: Item;
}

const CONDITION_MEMBERS = ['ConditionExpression', 'ExpressionAttributeValues', 'ReturnValuesOnConditionCheckFailure'];

/** The request members each operation implements; any other member present is refused. */
const MEMBERS: Readonly<Record<'GetItem' | 'PutItem' | 'DeleteItem', readonly string[]>> = {
  GetItem: ['TableName', 'Key', 'ConsistentRead'],
  PutItem: ['TableName', 'Item', ...CONDITION_MEMBERS],
  DeleteItem: ['TableName', 'Key', ...CONDITION_MEMBERS],
};

function checkMembers(operation: keyof typeof MEMBERS, input: object): void {
  const extra = Object.entries(input).find(([k, v]) => v !== undefined && !MEMBERS[operation].includes(k));
  if (extra !== undefined) throw unsupported(`the member ${extra[0]}`, operation);
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
    checkMembers('GetItem', input);
    this.#authorize('GetItem', input.TableName, input.Key);
    const table = this.#table(input.TableName);
    const item = table.items.get(this.#key(table, input.Key, true));
    return item === undefined ? {} : { Item: item };
  }

  putItem(input: PutItemInput): Record<string, never> {
    checkMembers('PutItem', input);
    this.#authorize('PutItem', input.TableName, input.Item);
    const table = this.#table(input.TableName);
    const key = this.#key(table, input.Item, false);
    this.#check(input, table.items.get(key));
    table.items.set(key, input.Item);
    this.#record('dynamodb.item.put', table, input.Item, 'PutItem');
    return {};
  }

  deleteItem(input: DeleteItemInput): Record<string, never> {
    checkMembers('DeleteItem', input);
    this.#authorize('DeleteItem', input.TableName, input.Key);
    const table = this.#table(input.TableName);
    const key = this.#key(table, input.Key, true);
    const old = table.items.get(key);
    this.#check(input, old);
    if (old !== undefined) {
      table.items.delete(key);
      this.#record('dynamodb.item.deleted', table, old, 'DeleteItem');
    }
    return {};
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

  /** Parses and evaluates the request's condition against the item it would change; refused: ConditionalCheckFailedException. */
  #check(input: ConditionMembers, old: Item | undefined): void {
    const values = input.ExpressionAttributeValues ?? {};
    const onFailure = input.ReturnValuesOnConditionCheckFailure;
    if (onFailure !== undefined && onFailure !== 'NONE' && onFailure !== 'ALL_OLD') {
      throw validationError(
        `1 validation error detected: Value '${String(onFailure)}' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]`,
      );
    }
    let condition: ParsedCondition | undefined;
    if (input.ConditionExpression !== undefined) condition = parseCondition(input.ConditionExpression, values);
    else if (input.ExpressionAttributeValues !== undefined) {
      throw validationError('ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null');
    }
    checkAllUsed(values, condition);
    if (condition === undefined || evaluate(condition, old, values)) return;
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

function stringOf(v: AttributeValue | undefined): string | undefined {
  if (v === undefined) return undefined;
  if ('S' in v) return v.S;
  if ('N' in v) return v.N;
  return undefined;
}
