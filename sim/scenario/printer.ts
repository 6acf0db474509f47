/**
 * Terminal output of a rehearsal: the events as they happen (without the repetitions of
 * polling), then the summary timeline, the flow's overhead and the final state of every
 * managed object.
 */
import type { PairPlacement } from '#shared/domain/placement.js';
import type { Config } from '#shared/config/schema.js';
import type { TimelineEvent } from '../system.js';
import type { ScenarioRun } from './run.js';

export function clockLabel(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return `T+${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

const POLLING = /: (CheckReady|WaitBeforeReadyCheck|CheckSettled|CheckTunnels|WaitBeforeSettleCheck|StartTarget|WaitBeforeStartRetry)$/;

/** Prints events as they come, skipping what only repeats. */
export function livePrinter(write: (line: string) => void, startAt: () => number): (e: TimelineEvent) => void {
  let lastProbe = '';
  const polled = new Set<string>();
  return (e) => {
    if (e.source === 'alarm') return;
    if (e.source === 'world' && /alarm .*(INSUFFICIENT_DATA|-> OK)|execution .* (started|succeeded)$/.test(e.message)) return;
    if (e.source === 'probe') {
      const key = e.message.replace(/\d+ (of \d+ )?(consecutive )?rounds?/g, 'n rounds').replace(/\d+ s ago/g, 'n s ago');
      if (key === lastProbe) return;
      lastProbe = key;
    }
    if (e.source === 'flow') {
      const m = POLLING.exec(e.message);
      if (m) {
        const key = e.message;
        if (polled.has(key)) return;
        polled.add(key);
      }
    }
    write(`  ${clockLabel(e.at - startAt())}  ${e.source.padEnd(8)} ${e.message}`);
  };
}

function sideName(config: Config, pairName: string, side: string): string {
  const pair = config.pairs.find((p) => p.name === pairName);
  if (!pair || (side !== 'primary' && side !== 'secondary')) return side;
  return pair.firewalls[side].name;
}

export function finalState(config: Config, pairName: string, placement: PairPlacement, dns: readonly string[]): string[] {
  const lines = [
    ...placement.routes.map((r) => `  route ${r.route.destination.padEnd(15)} in ${r.route.routeTableId}  -> ${sideName(config, pairName, r.side)} (${r.currentTarget ?? '-'}${r.blackhole ? ', blackhole' : ''})`),
    ...placement.eips.map((e) => `  EIP   ${(e.publicIp ?? e.eip.allocationId).padEnd(15)} ${e.eip.allocationId}  -> ${sideName(config, pairName, e.side)} (${e.currentEni ?? '-'} ${e.currentPrivateIp ?? ''})`),
    ...dns.map((d) => `  DNS   ${d}`),
  ];
  return lines;
}

export function summaryLines(run: ScenarioRun): string[] {
  const r = run.report;
  const lines = ['Summary timeline (simulated time)'];
  for (const m of r.milestones) {
    lines.push(`  ${clockLabel(m.at)}  ${m.label.padEnd(58)} ${m.sincePrevious > 0 ? `+${(m.sincePrevious / 1000).toFixed(1)} s` : ''}`);
  }
  if (r.detectionSeconds !== undefined) lines.push(`  detection: ${r.detectionSeconds} s after the failure`);
  if (r.totalSeconds !== undefined) lines.push(`  failure to traffic on the standby: ${r.totalSeconds} s (${(r.totalSeconds / 60).toFixed(1)} min)`);
  if (r.overhead) {
    const o = r.overhead;
    const waiting = o.readinessLagSeconds + o.cutoverSeconds;
    lines.push(
      `  time the flow added beyond instance start and PAN-OS boot: ${o.totalSeconds.toFixed(1)} s = ` +
        `checks before the start request ${o.preStartSeconds.toFixed(1)} s + readiness noticed ${o.readinessLagSeconds.toFixed(1)} s after it happened + cutover ${o.cutoverSeconds.toFixed(1)} s + fencing ${o.fenceSeconds.toFixed(1)} s + DNS ${o.dnsSeconds.toFixed(1)} s`,
      `  readiness lag + cutover: ${waiting.toFixed(1)} s (bound: one fast readiness poll + the cutover = ${o.boundSeconds.toFixed(1)} s) ${waiting <= o.boundSeconds + 0.05 ? 'OK' : 'OVER'}`,
    );
  }
  lines.push('Flows');
  for (const f of r.flows) lines.push(`  ${f.name}  ${f.action}  ${f.outcome}  ${f.summary}`);
  return lines;
}
