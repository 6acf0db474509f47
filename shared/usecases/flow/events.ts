/**
 * The events each flow Lambda receives from the state machine: `{ step, state }` (plus `phase`
 * for notifications, `input`/`execution` for validation). Our own payloads: checked strictly.
 */
import * as z from 'zod/mini';
import { formatPath } from '../../config/schema.js';
import { InputInvalidError } from '../../errors.js';
import { flowInputSchema } from '../flow-input.js';
import type { FlowState } from './state.js';
import { NOTIFY_PHASES } from './notifications.js';

/**
 * The flow state is produced by our own steps; its input (what people and alarms sent) is
 * re-validated in full, the rest by shape. The one cast from the checked shape to `FlowState`
 * is in `parse` below.
 */
const stateSchema = z.looseObject({
  input: flowInputSchema,
  execution: z.string().check(z.minLength(1)),
  startedAt: z.number(),
  phases: z.record(z.string(), z.unknown()),
});

export const CONTROL_STEPS = ['validate', 'acquireLock', 'recordOwner', 'notify', 'finish', 'abort', 'drillFinish'] as const;
export const AWS_STEPS = ['plan', 'startTarget', 'cutover', 'fence', 'dnsUpsert', 'dnsStatus', 'drillStart', 'drillStop'] as const;
export const FIREWALL_STEPS = ['recheck', 'checkReady', 'postVerify', 'drillRecheck', 'drillCheckReady', 'drillChecks'] as const;

const controlEvent = z.discriminatedUnion('step', [
  z.strictObject({
    step: z.literal('validate'),
    input: z.unknown(),
    execution: z.string().check(z.minLength(1)),
    stateMachine: z.optional(z.string()),
    startTime: z.optional(z.string()),
  }),
  z.strictObject({ step: z.literal('notify'), phase: z.enum(NOTIFY_PHASES), state: stateSchema }),
  z.strictObject({ step: z.enum(['acquireLock', 'recordOwner', 'finish', 'abort', 'drillFinish']), state: stateSchema }),
]);
const stepEvent = <T extends readonly [string, ...string[]]>(steps: T) => z.strictObject({ step: z.enum(steps), state: stateSchema });

function parse(schema: z.ZodMiniType, raw: unknown, what: string): unknown {
  const r = schema.safeParse(raw);
  if (!r.success) {
    throw new InputInvalidError(what, r.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })));
  }
  return r.data;
}

export type ControlEvent =
  | { step: 'validate'; input: unknown; execution: string; stateMachine?: string }
  | { step: 'notify'; phase: (typeof NOTIFY_PHASES)[number]; state: FlowState }
  | { step: 'acquireLock' | 'recordOwner' | 'finish' | 'abort' | 'drillFinish'; state: FlowState };

export function parseControlEvent(raw: unknown): ControlEvent {
  return parse(controlEvent, raw, 'flow-control event') as ControlEvent;
}

export function parseAwsEvent(raw: unknown): { step: (typeof AWS_STEPS)[number]; state: FlowState } {
  return parse(stepEvent(AWS_STEPS), raw, 'flow-aws event') as { step: (typeof AWS_STEPS)[number]; state: FlowState };
}

export function parseFirewallEvent(raw: unknown): { step: (typeof FIREWALL_STEPS)[number]; state: FlowState } {
  return parse(stepEvent(FIREWALL_STEPS), raw, 'flow-firewall event') as { step: (typeof FIREWALL_STEPS)[number]; state: FlowState };
}
