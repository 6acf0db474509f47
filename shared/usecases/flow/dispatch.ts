/** Step name -> use-case, one table per Lambda function. Handlers stay thin: parse, dispatch, return. */
import { abort, acquireLock, finish, notify, recordOwner, validateStep } from './control-steps.js';
import { cutoverStep, dnsStatus, dnsUpsert, fence, plan, startTarget } from './aws-steps.js';
import { checkReady, postVerify, recheck } from './firewall-steps.js';
import { drillCheckReady, drillChecks, drillFinish, drillRecheck, drillStart, drillStop } from '../drill.js';
import type { AwsStepDeps, ControlDeps, FirewallStepDeps } from './deps.js';
import { parseAwsEvent, parseControlEvent, parseFirewallEvent } from './events.js';
import { assertLockHeld, pairOf, type FlowState } from './state.js';

export async function runControlStep(deps: ControlDeps, raw: unknown): Promise<FlowState | Record<string, never>> {
  const event = parseControlEvent(raw);
  switch (event.step) {
    case 'validate':
      return validateStep(deps, event);
    case 'acquireLock':
      return acquireLock(deps, event.state);
    case 'recordOwner':
      return recordOwner(deps, event.state);
    case 'notify':
      await notify(deps, event.state, event.phase);
      return {};
    case 'finish':
      return finish(deps, event.state);
    case 'abort':
      return abort(deps, event.state);
    case 'drillFinish':
      return drillFinish(deps, event.state);
  }
}

const AWS_TABLE = { plan, startTarget, cutover: cutoverStep, fence, dnsUpsert, dnsStatus, drillStart, drillStop } as const;
/** flow-aws steps that change AWS: only the pair's lock holder runs them. */
const AWS_MUTATING: ReadonlySet<string> = new Set(['startTarget', 'cutover', 'fence', 'dnsUpsert']);
const FIREWALL_TABLE = { recheck, checkReady, postVerify, drillRecheck, drillCheckReady, drillChecks } as const;

export async function runAwsStep(deps: AwsStepDeps, raw: unknown): Promise<FlowState> {
  const event = parseAwsEvent(raw);
  if (AWS_MUTATING.has(event.step)) await assertLockHeld(deps, pairOf(deps.config, event.state), event.state, `not running ${event.step}`);
  return AWS_TABLE[event.step](deps, event.state);
}

export async function runFirewallStep(deps: FirewallStepDeps, raw: unknown): Promise<FlowState> {
  const event = parseFirewallEvent(raw);
  return FIREWALL_TABLE[event.step](deps, event.state);
}
