/**
 * Everything that happened in the world, in simulated time: the timeline of a demo and the
 * evidence of a test ("the route moved before the EIP", "the old primary was stopped").
 */

export const EVENT_TYPES = [
  'ec2.instance.state',
  'ec2.instance.status',
  'ec2.instance.type',
  'ec2.instance.attribute',
  'ec2.route.replaced',
  'ec2.route.created',
  'ec2.eip.associated',
  'ec2.eip.disassociated',
  'route53.change.submitted',
  'route53.change.insync',
  'dynamodb.item.put',
  'dynamodb.item.updated',
  'dynamodb.item.deleted',
  'sns.published',
  'sfn.execution.started',
  'sfn.execution.succeeded',
  'sfn.execution.failed',
  'cloudwatch.alarm.state',
  'fault.injected',
  'fault.config',
] as const;
export type WorldEventType = (typeof EVENT_TYPES)[number];

export interface WorldEvent {
  /** Order of recording; ties in `at` keep this order. */
  readonly seq: number;
  /** Simulated epoch ms. */
  readonly at: number;
  readonly type: WorldEventType;
  /** Main resource concerned (instance id, route table, allocation id, execution ARN...). */
  readonly resource: string;
  /** One line for people. */
  readonly message: string;
  readonly data: Readonly<Record<string, unknown>>;
}

export type WorldEventListener = (event: WorldEvent) => void;

export interface EventQuery {
  readonly type?: WorldEventType | readonly WorldEventType[];
  readonly resource?: string;
  /** Only events at or after this simulated time. */
  readonly since?: number;
}

export class EventLog {
  readonly #events: WorldEvent[] = [];
  readonly #listeners = new Set<WorldEventListener>();
  #seq = 0;

  record(
    at: number,
    type: WorldEventType,
    resource: string,
    message: string,
    data: Record<string, unknown> = {},
  ): WorldEvent {
    const event: WorldEvent = Object.freeze({
      seq: ++this.#seq,
      at,
      type,
      resource,
      message,
      data: Object.freeze(data),
    });
    this.#events.push(event);
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (e) {
        // A broken subscriber must not undo a world mutation that already happened; surface
        // its failure as an uncaught error instead of hiding it.
        queueMicrotask(() => {
          throw e;
        });
      }
    }
    return event;
  }

  list(query: EventQuery = {}): WorldEvent[] {
    const types =
      query.type === undefined
        ? undefined
        : new Set<string>(typeof query.type === 'string' ? [query.type] : query.type);
    return this.#events.filter(
      (e) =>
        (types === undefined || types.has(e.type)) &&
        (query.resource === undefined || e.resource === query.resource) &&
        (query.since === undefined || e.at >= query.since),
    );
  }

  /** Calls `listener` for every future event; returns the unsubscribe function. */
  subscribe(listener: WorldEventListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  get size(): number {
    return this.#events.length;
  }
}
