/**
 * The controller's own state (lock, owner, probe memory) in one DynamoDB table, with the
 * low-level client and the SDK's `marshall`/`unmarshall` (no lib-dynamodb document client: a
 * smaller bundle). Every attribute is a string (S) or a number (N); records are read back
 * field by field, so an item of the wrong shape is refused by name.
 *
 * The condition expressions are a contract with the simulator's evaluator (see
 * `shared/ports/store.ts`): change them in both places or not at all. None of the attribute
 * names they use (`pk`, `holder`, `expiresAt`, `version`) is a DynamoDB reserved word, so no
 * `ExpressionAttributeNames` are needed.
 */
import { DeleteItemCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { ROLES } from '#shared/config/schema.js';
import type { Role } from '#shared/config/schema.js';
import { DRILL_HISTORY } from '#shared/ports/store.js';
import type {
  DrillRecord,
  DrillStore,
  LockResult,
  LockStore,
  OwnerRecord,
  OwnerStore,
  PauseRecord,
  PauseStore,
  ProbeStateStore,
  Versioned,
} from '#shared/ports/store.js';
import { LOCK_RELEASED } from '#shared/ports/store.js';
import { InputInvalidError, StateConflictError } from '#shared/errors.js';
import { awsErrorCode, callAws, malformedResponse, translateAwsError } from './errors.js';

export const ITEM_KINDS = { lock: 'lock', owner: 'owner', probe: 'probe', pause: 'pause', drill: 'drill' } as const;
type ItemKind = (typeof ITEM_KINDS)[keyof typeof ITEM_KINDS];

export const LOCK_ACQUIRE_CONDITION = 'attribute_not_exists(pk) OR expiresAt < :now OR holder = :holder';
export const LOCK_RELEASE_CONDITION = 'holder = :holder';
export const LOCK_TAKEOVER_CONDITION = 'holder = :stale';
export const OWNER_CREATE_CONDITION = 'attribute_not_exists(pk)';
export const PROBE_CREATE_CONDITION = 'attribute_not_exists(pk)';
export const PROBE_UPDATE_CONDITION = 'version = :expected';
export const PAUSE_CREATE_CONDITION = 'attribute_not_exists(pk)';
export const PAUSE_UPDATE_CONDITION = 'version = :expected';

/** Expired locks linger a day for post-mortems before DynamoDB's TTL sweeps them. */
const LOCK_TTL_GRACE_SECONDS = 86_400;

type Item = Record<string, AttributeValue>;
/** An item's attributes as plain values (strings and numbers), before marshalling or after unmarshalling. */
type Fields = Record<string, unknown>;

export function pairKey(pair: string): string {
  return `pair#${pair}`;
}

function keyFields(pair: string, kind: ItemKind): { pk: string; sk: string } {
  return { pk: pairKey(pair), sk: kind };
}

function key(pair: string, kind: ItemKind): Item {
  return marshall(keyFields(pair, kind));
}

function isConditionalFailure(error: unknown): boolean {
  return awsErrorCode(error) === 'ConditionalCheckFailedException';
}

export interface DynamoStateStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

export class DynamoStateStore<T = unknown> implements LockStore, OwnerStore, ProbeStateStore<T>, PauseStore, DrillStore {
  readonly #client: DynamoDBClient;
  readonly #table: string;

  constructor(options: DynamoStateStoreOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
  }

  // ---- lock ----------------------------------------------------------------------------------

  /**
   * One conditional put. A refusal returns the item it was refused by (ALL_OLD), so the answer
   * names the holder without a second read that could see a different item.
   */
  async acquire(pair: string, holder: string, nowMs: number, leaseMs: number): Promise<LockResult> {
    const expiresAt = nowMs + leaseMs;
    const put = await this.#putLock(pair, holder, nowMs, expiresAt);
    if (put.written) return { acquired: true, expiresAt };
    // The condition failed on this item: an unexpired lease of another holder. Anything else
    // would mean the table does not follow the condition; let the caller's retry read it again.
    if (put.current === undefined || put.current.holder === holder || put.current.expiresAt < nowMs) {
      throw new StateConflictError(`lock of pair ${pair}: the refused write returned ${put.current === undefined ? 'no item' : `an item it should have accepted (${put.current.holder})`}`, {
        details: { pair, holder },
      });
    }
    return { acquired: false, heldBy: put.current.holder, expiresAt: put.current.expiresAt };
  }

  /** Takes the lock only from `staleHolder`; refused, it names who holds it now (or `LOCK_RELEASED`). */
  async takeOver(pair: string, holder: string, staleHolder: string, nowMs: number, leaseMs: number): Promise<LockResult> {
    const expiresAt = nowMs + leaseMs;
    const put = await this.#putLock(pair, holder, nowMs, expiresAt, LOCK_TAKEOVER_CONDITION, { ':stale': staleHolder });
    if (put.written) return { acquired: true, expiresAt };
    return { acquired: false, heldBy: put.current?.holder ?? LOCK_RELEASED, expiresAt: put.current?.expiresAt ?? nowMs };
  }

  async #putLock(
    pair: string,
    holder: string,
    nowMs: number,
    expiresAt: number,
    condition: string = LOCK_ACQUIRE_CONDITION,
    values: Fields = { ':now': nowMs, ':holder': holder },
  ): Promise<{ readonly written: true } | { readonly written: false; readonly current: { holder: string; expiresAt: number } | undefined }> {
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#table,
          Item: marshall({
            ...keyFields(pair, ITEM_KINDS.lock),
            holder,
            acquiredAt: nowMs,
            expiresAt,
            ttl: Math.ceil(expiresAt / 1000) + LOCK_TTL_GRACE_SECONDS,
          }),
          ConditionExpression: condition,
          ExpressionAttributeValues: marshall(values),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { written: true };
    } catch (error) {
      if (!isConditionalFailure(error)) throw translateAwsError(error, { operation: 'dynamodb:PutItem' });
      const old = (error as { Item?: Item }).Item;
      return { written: false, current: old === undefined ? undefined : lockOf(fieldsOf(old, 'dynamodb:PutItem'), `${pairKey(pair)}/lock`) };
    }
  }

  async release(pair: string, holder: string): Promise<boolean> {
    try {
      await this.#client.send(
        new DeleteItemCommand({
          TableName: this.#table,
          Key: key(pair, ITEM_KINDS.lock),
          ConditionExpression: LOCK_RELEASE_CONDITION,
          ExpressionAttributeValues: marshall({ ':holder': holder }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalFailure(error)) return false;
      throw translateAwsError(error, { operation: 'dynamodb:DeleteItem' });
    }
  }

  async get(pair: string): Promise<{ holder: string; expiresAt: number } | undefined> {
    const item = await this.#read(pair, ITEM_KINDS.lock);
    if (item === undefined) return undefined;
    return lockOf(item, `${pairKey(pair)}/lock`);
  }

  // ---- owner ---------------------------------------------------------------------------------

  async getOwner(pair: string): Promise<OwnerRecord | undefined> {
    const item = await this.#read(pair, ITEM_KINDS.owner);
    if (item === undefined) return undefined;
    const where = `${pairKey(pair)}/owner`;
    return {
      owner: role(item, where),
      since: num(item, 'since', where),
      changedBy: str(item, 'changedBy', where),
      reason: str(item, 'reason', where),
    };
  }

  async putOwner(pair: string, record: OwnerRecord, options: { ifAbsent?: boolean } = {}): Promise<boolean> {
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#table,
          Item: marshall({
            ...keyFields(pair, ITEM_KINDS.owner),
            owner: record.owner,
            since: record.since,
            changedBy: record.changedBy,
            reason: record.reason,
          }),
          ...(options.ifAbsent ? { ConditionExpression: OWNER_CREATE_CONDITION } : {}),
        }),
      );
      return true;
    } catch (error) {
      if (options.ifAbsent && isConditionalFailure(error)) return false;
      throw translateAwsError(error, { operation: 'dynamodb:PutItem' });
    }
  }

  // ---- probe state ---------------------------------------------------------------------------

  async loadProbeState(pair: string): Promise<Versioned<T | undefined>> {
    const item = await this.#read(pair, ITEM_KINDS.probe);
    if (item === undefined) return { value: undefined, version: undefined };
    const where = `${pairKey(pair)}/probe`;
    const text = str(item, 'state', where);
    let value: T;
    try {
      value = JSON.parse(text) as T;
    } catch (error) {
      throw malformedResponse('dynamodb:GetItem', `${where} state is not JSON (${(error as Error).message})`);
    }
    return { value, version: num(item, 'version', where) };
  }

  async saveProbeState(pair: string, value: T, expectedVersion: number | undefined): Promise<void> {
    const state = JSON.stringify(value) as string | undefined;
    if (state === undefined) {
      throw new InputInvalidError('probe state', [
        { path: '', message: 'is not JSON-serialisable (undefined or a function)' },
      ]);
    }
    const conditional =
      expectedVersion === undefined
        ? { ConditionExpression: PROBE_CREATE_CONDITION }
        : {
            ConditionExpression: PROBE_UPDATE_CONDITION,
            ExpressionAttributeValues: marshall({ ':expected': expectedVersion }),
          };
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#table,
          Item: marshall({ ...keyFields(pair, ITEM_KINDS.probe), state, version: (expectedVersion ?? 0) + 1 }),
          ...conditional,
        }),
      );
    } catch (error) {
      if (isConditionalFailure(error)) {
        throw new StateConflictError(
          `probe state of pair ${pair} changed since version ${expectedVersion ?? '(none)'} was read`,
          { cause: error, details: { pair, expectedVersion } },
        );
      }
      throw translateAwsError(error, { operation: 'dynamodb:PutItem' });
    }
  }

  // ---- pause ---------------------------------------------------------------------------------

  async getPause(pair: string): Promise<Versioned<PauseRecord | undefined>> {
    const item = await this.#read(pair, ITEM_KINDS.pause);
    if (item === undefined) return { value: undefined, version: undefined };
    const where = `${pairKey(pair)}/pause`;
    const endedAt = item.endedAt === undefined ? undefined : num(item, 'endedAt', where);
    const endedBy = item.endedBy === undefined ? undefined : str(item, 'endedBy', where);
    return {
      value: {
        since: num(item, 'since', where),
        until: num(item, 'until', where),
        by: str(item, 'by', where),
        reason: str(item, 'reason', where),
        ...(endedAt === undefined ? {} : { endedAt }),
        ...(endedBy === undefined ? {} : { endedBy }),
      },
      version: num(item, 'version', where),
    };
  }

  async putPause(pair: string, record: PauseRecord, expectedVersion: number | undefined): Promise<number> {
    const version = (expectedVersion ?? 0) + 1;
    const conditional =
      expectedVersion === undefined
        ? { ConditionExpression: PAUSE_CREATE_CONDITION }
        : { ConditionExpression: PAUSE_UPDATE_CONDITION, ExpressionAttributeValues: marshall({ ':expected': expectedVersion }) };
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#table,
          Item: marshall({
            ...keyFields(pair, ITEM_KINDS.pause),
            since: record.since,
            until: record.until,
            by: record.by,
            reason: record.reason,
            ...(record.endedAt === undefined ? {} : { endedAt: record.endedAt }),
            ...(record.endedBy === undefined ? {} : { endedBy: record.endedBy }),
            version,
          }),
          ...conditional,
        }),
      );
      return version;
    } catch (error) {
      if (isConditionalFailure(error)) {
        throw new StateConflictError(`pause of pair ${pair} changed since version ${expectedVersion ?? '(none)'} was read`, {
          cause: error,
          details: { pair, expectedVersion },
        });
      }
      throw translateAwsError(error, { operation: 'dynamodb:PutItem' });
    }
  }

  // ---- drills --------------------------------------------------------------------------------

  async getDrills(pair: string): Promise<DrillRecord[]> {
    const item = await this.#read(pair, ITEM_KINDS.drill);
    if (item === undefined) return [];
    const where = `${pairKey(pair)}/drill`;
    let value: unknown;
    try {
      value = JSON.parse(str(item, 'drills', where));
    } catch (error) {
      throw malformedResponse('dynamodb:GetItem', `${where} drills is not JSON (${(error as Error).message})`);
    }
    if (!Array.isArray(value)) throw malformedResponse('dynamodb:GetItem', `${where} drills is not a list`);
    return value as DrillRecord[];
  }

  async recordDrill(pair: string, record: DrillRecord): Promise<void> {
    const drills = [...(await this.getDrills(pair)), record].slice(-DRILL_HISTORY);
    await callAws({ operation: 'dynamodb:PutItem' }, () =>
      this.#client.send(new PutItemCommand({ TableName: this.#table, Item: marshall({ ...keyFields(pair, ITEM_KINDS.drill), drills: JSON.stringify(drills) }) })),
    );
  }

  // ---- helpers -------------------------------------------------------------------------------

  /** Strongly consistent: a lock or version read just after a write must see that write. */
  async #read(pair: string, kind: ItemKind): Promise<Fields | undefined> {
    const out = await callAws({ operation: 'dynamodb:GetItem' }, () =>
      this.#client.send(
        new GetItemCommand({ TableName: this.#table, Key: key(pair, kind), ConsistentRead: true }),
      ),
    );
    return out.Item === undefined ? undefined : fieldsOf(out.Item, 'dynamodb:GetItem');
  }
}

/** An item's attributes as plain values; an attribute of a type DynamoDB does not define is a malformed answer. */
function fieldsOf(item: Item, operation: string): Fields {
  try {
    return unmarshall(item);
  } catch (error) {
    throw malformedResponse(operation, `item ${item.pk?.S ?? '?'}/${item.sk?.S ?? '?'} cannot be read (${(error as Error).message})`);
  }
}

function lockOf(item: Fields, where: string): { holder: string; expiresAt: number } {
  return { holder: str(item, 'holder', where), expiresAt: num(item, 'expiresAt', where) };
}

/** A string attribute (S) of a stored record. */
function str(item: Fields, name: string, where: string): string {
  const value = item[name];
  if (typeof value !== 'string')
    throw malformedResponse('dynamodb:GetItem', `${where} lacks string attribute ${name}`);
  return value;
}

/** A number attribute (N) of a stored record. */
function num(item: Fields, name: string, where: string): number {
  const value = item[name];
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw malformedResponse('dynamodb:GetItem', `${where} lacks number attribute ${name}`);
  return value;
}

function role(item: Fields, where: string): Role {
  const value = str(item, 'owner', where);
  const found = ROLES.find((r) => r === value);
  if (found === undefined)
    throw malformedResponse('dynamodb:GetItem', `${where} owner is ${value}, not a role`);
  return found;
}
