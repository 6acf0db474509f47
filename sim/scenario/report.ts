/**
 * What a rehearsal shows at the end: the summary timeline of the failover (failure, detection,
 * standby start, boot, ready, cutover, DNS, verification, fencing, total), the time the flow
 * added beyond the unavoidable waits, and where every managed object points.
 */
import type { Role } from '#shared/config/schema.js';
import { readinessPollSeconds } from '#shared/usecases/flow/firewall-steps.js';
import type { FlowState } from '#shared/usecases/flow/state.js';
import type { SimSystem } from '../system.js';
import type { Scenario } from './schema.js';

export interface Milestone {
  readonly label: string;
  /** Simulated ms since the scenario started. */
  readonly at: number;
  /** Simulated ms since the previous milestone. */
  readonly sincePrevious: number;
}

export interface FlowSummary {
  readonly name: string;
  readonly action: string;
  readonly outcome: string;
  readonly startedAt: number;
  readonly summary: string;
  readonly state: FlowState | undefined;
}

export interface RehearsalReport {
  readonly scenario: string;
  readonly failureAt: number | undefined;
  readonly detectedAt: number | undefined;
  readonly detectionSeconds: number | undefined;
  readonly milestones: readonly Milestone[];
  readonly flows: readonly FlowSummary[];
  /** Time the main flow added beyond starting the instance and booting PAN-OS (simulated s). */
  readonly overhead:
    | {
        readonly preStartSeconds: number;
        readonly readinessLagSeconds: number;
        readonly cutoverSeconds: number;
        /** Stopping the old owner (the request; the instance stops by itself after it). */
        readonly fenceSeconds: number;
        /** Route 53 upserts (the changes' propagation is reported by the flow, not waited for here). */
        readonly dnsSeconds: number;
        /** preStart + readiness lag + cutover + fence + DNS. */
        readonly totalSeconds: number;
        /** Bound on readiness lag + cutover: one readiness poll once the API answers, plus the cutover. */
        readonly boundSeconds: number;
      }
    | undefined;
  readonly totalSeconds: number | undefined;
}

const FAILURE_FAULTS = ['dead', 'hung', 'flapping', 'neverReady', 'authFails', 'certificateChanged', 'malformed'];

function isFailureEvent(e: Scenario['events'][number]): boolean {
  if (e.instance && (e.instance.crash || e.instance.stop || e.instance.terminate || e.instance.impair)) return true;
  return Object.values(e.firewall ?? {}).some((f) => Object.keys(f).some((k) => FAILURE_FAULTS.includes(k) && f[k]));
}

export function flowSummaries(system: SimSystem): FlowSummary[] {
  return system.executions.map((x) => {
    const state = (x.result.output as FlowState | undefined) ?? undefined;
    const input = state?.input;
    return {
      name: x.name,
      action: input?.action ?? '?',
      outcome: x.result.status === 'FAILED' ? `failed: ${x.result.error?.name ?? '?'}` : (state?.result?.outcome ?? 'unknown'),
      startedAt: state?.startedAt ?? 0,
      summary: x.result.status === 'FAILED' ? (x.result.error?.cause ?? '') : (state?.result?.summary ?? ''),
      state,
    };
  });
}

export function buildReport(system: SimSystem, scenario: Scenario, start: number): RehearsalReport {
  const failure = scenario.events.filter(isFailureEvent).sort((a, b) => a.at - b.at)[0];
  const failureAt = failure ? start + failure.at : undefined;
  const flows = flowSummaries(system);
  const main = flows.find((f) => f.outcome === 'succeeded' && (f.action === 'failover' || f.action === 'failback'));
  const decided = system.timeline.find((e) => e.source === 'probe' && (e.data as { action?: string } | undefined)?.action === 'failover' && (failureAt === undefined || e.at >= failureAt));
  const detectedAt = decided?.at ?? (main ? main.startedAt : undefined);

  const points: { label: string; at: number | undefined }[] = [];
  const s = main?.state;
  if (failureAt !== undefined) points.push({ label: `failure: ${failure?.note ?? 'fault injected'}`, at: failureAt });
  points.push({ label: 'failure detected (probe decision)', at: detectedAt });
  if (s) {
    const target: Role | undefined = s.target;
    const fw = target ? system.pair(s.input.pair).firewalls[target] : undefined;
    const running = fw
      ? system.world.events
          .list({ type: 'ec2.instance.state', resource: fw.instanceId })
          .find((e) => e.at >= (s.start?.requestedAt ?? s.startedAt) && (e.data as { to?: string }).to === 'running')?.at
      : undefined;
    points.push({ label: `flow ${s.execution} started`, at: s.startedAt });
    if (s.start?.requestedAt !== undefined && s.start.state !== 'running') points.push({ label: `standby ${fw?.name ?? ''} start requested`, at: s.start.requestedAt });
    if (running !== undefined) points.push({ label: `standby instance running`, at: running });
    points.push({ label: `standby ready (chassis-ready yes, AutoCom done)`, at: s.ready?.readyAt });
    points.push({ label: `cutover done: ${s.cutover?.moved.length ?? 0} change(s)`, at: s.phases.cutover?.endedAt });
    points.push({ label: `old owner fenced (${s.fence?.action ?? '-'})`, at: s.phases.fence?.endedAt });
    points.push({ label: `DNS ${s.dns?.changes.length ? 'in sync' : 'unchanged (follows the EIP)'}`, at: s.phases.dns?.endedAt });
    points.push({ label: `verified: ${s.verify?.tunnelsUp.length ?? 0} tunnel(s) up${s.verify?.tunnelsDown.length ? `, down: ${s.verify.tunnelsDown.join(', ')}` : ''}`, at: s.phases.verify?.endedAt });
    points.push({ label: 'flow finished, lock released', at: s.phases.finish?.endedAt });
  }
  const milestones: Milestone[] = [];
  let prev = start;
  for (const p of points.filter((x): x is { label: string; at: number } => x.at !== undefined).sort((a, b) => a.at - b.at)) {
    milestones.push({ label: p.label, at: p.at - start, sincePrevious: p.at - prev });
    prev = p.at;
  }

  let overhead: RehearsalReport['overhead'];
  if (s?.target && s.ready?.readyAt !== undefined && s.phases.cutover?.endedAt !== undefined && s.phases.cutover.startedAt !== undefined) {
    const fwName = system.pair(s.input.pair).firewalls[s.target].name;
    const actuallyReady = system.firewall(fwName).status().timeline?.readyAt;
    const startAt = s.start?.requestedAt ?? s.startedAt;
    // From the moment it was ready, or (a warm standby, ready all along) from the flow's start.
    const readinessLag = actuallyReady !== undefined ? Math.max(0, s.ready.readyAt - Math.max(actuallyReady, startAt)) : 0;
    const preStart = startAt - s.startedAt;
    const cutover = s.phases.cutover.endedAt - s.phases.cutover.startedAt;
    const phase = (p: { startedAt?: number; endedAt?: number } | undefined) => (p?.startedAt !== undefined && p.endedAt !== undefined ? p.endedAt - p.startedAt : 0);
    const fence = phase(s.phases.fence);
    const dns = phase(s.phases.dns);
    const pair = system.pair(s.input.pair);
    overhead = {
      preStartSeconds: preStart / 1000,
      readinessLagSeconds: readinessLag / 1000,
      cutoverSeconds: cutover / 1000,
      fenceSeconds: fence / 1000,
      dnsSeconds: dns / 1000,
      totalSeconds: (preStart + readinessLag + cutover + fence + dns) / 1000,
      boundSeconds: readinessPollSeconds(pair, true) + cutover / 1000,
    };
  }
  const end = s?.phases.cutover?.endedAt;
  return {
    scenario: scenario.name,
    failureAt: failureAt === undefined ? undefined : failureAt - start,
    detectedAt: detectedAt === undefined ? undefined : detectedAt - start,
    detectionSeconds: failureAt !== undefined && detectedAt !== undefined ? Math.round((detectedAt - failureAt) / 100) / 10 : undefined,
    milestones,
    flows,
    overhead,
    totalSeconds: failureAt !== undefined && end !== undefined ? Math.round((end - failureAt) / 100) / 10 : undefined,
  };
}
