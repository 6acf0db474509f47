/**
 * Figure 1, probe timing, with the real PAN-OS client (`shared/adapters/panos`) against the
 * PAN-OS simulator over HTTPS and the real `probeRound` on the world's direct ports, in real
 * time (SimClock at speed 1):
 * - a hanging firewall costs no more than the configured timeout: a round in which both
 *   firewalls accept the request and never answer (simulator `hung`), and one firewall call to
 *   a `net` server that accepts TCP and never speaks TLS;
 * - a pair's two firewalls are probed concurrently: the round time of a pair whose two
 *   firewalls both answer slowly, over the round time of a pair of which only one runs (the cold
 *   standby is skipped). Concurrent: about 1. One after the other: about 2.
 *
 * The pairs have no tunnels, so both firewalls make the same calls (system info, chassis-ready)
 * and cost the same: the ratio then reads directly as "max" (1) versus "sum" (2).
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Config, FirewallConfig } from '#shared/config/schema.js';
import { recordingTelemetry } from '#shared/observability/telemetry.js';
import { observeFirewallApi } from '#shared/usecases/observe.js';
import { probeRound, type PairRoundResult, type ProbeDeps } from '#shared/usecases/probe.js';
import { SimSystem } from '#sim/system.js';
import { benchConfig } from '../lib/bench-config.js';
import { BenchSetupError, probeDepsOn } from '../lib/sim-deps.js';
import { median, spread, statusOf, type BenchContext, type Figure, type SectionResult } from '../lib/report.js';

/** Simulated = real ms here (speed 1): each API answer of every firewall takes this long. */
const SLOW_RESPONSE_MS = 300;
/** Round time within this factor of one firewall's counts as concurrent (sequential would be about 2). */
const CONCURRENT_MAX_RATIO = 1.25;
/** Slack over the configured timeout for the abort to land and the round to return. */
const TIMEOUT_SLACK = 1.05;

function probeConfig(): Config {
  return benchConfig([
    { name: 'one-running', index: 1, standbyMode: 'cold', routeTables: 1, routesPerTable: 1, elasticIps: 1 },
    { name: 'both-running', index: 2, standbyMode: 'warm', routeTables: 1, routesPerTable: 1, elasticIps: 1 },
  ]);
}

async function timedRound(deps: ProbeDeps, pair: string): Promise<{ ms: number; result: PairRoundResult }> {
  const t0 = performance.now();
  const [result] = await probeRound(deps, { readOnly: true, pairs: [pair] });
  const ms = performance.now() - t0;
  if (!result) throw new BenchSetupError(`probe round returned nothing for ${pair}`);
  return { ms, result };
}

function outcomes(result: PairRoundResult): string {
  return result.firewalls.map((f) => `${f.name} ${f.observation.api.outcome}`).join(', ');
}

function expectOutcomes(result: PairRoundResult, want: Readonly<Record<string, string>>): void {
  for (const f of result.firewalls) {
    const expected = want[f.role];
    if (expected !== undefined && f.observation.api.outcome !== expected) {
      throw new BenchSetupError(`${result.pair}: expected ${f.role} ${expected}, saw ${outcomes(result)} (${f.observation.api.error ?? ''})`);
    }
  }
}

/** Accepts TCP connections and never sends a byte (a management plane that hangs before TLS). */
async function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export async function probeSection(ctx: BenchContext): Promise<SectionResult> {
  const { out } = ctx;
  const reps = ctx.quick ? 3 : 7;
  const hungReps = ctx.quick ? 1 : 3;
  const config = probeConfig();
  const names = config.pairs.flatMap((p) => [p.firewalls.primary.name, p.firewalls.secondary.name]);
  const system = await SimSystem.start({
    config,
    speed: 1,
    transport: 'direct',
    schedule: false,
    alarmTrigger: false,
    firewalls: Object.fromEntries(names.map((n) => [n, { faults: { slowResponseMs: SLOW_RESPONSE_MS } }])),
  });
  const silent = await silentServer();
  try {
    const deps = probeDepsOn(system, recordingTelemetry());
    const both = system.pair('both-running');
    const timeoutMs = both.probe.timeoutSeconds * 1000;
    out(`Every firewall answers each API call after ${SLOW_RESPONSE_MS} ms; probe.timeoutSeconds ${both.probe.timeoutSeconds}; real time.`);

    // Warm-up: TLS session setup, secret reads and JIT out of the measured rounds.
    expectOutcomes((await timedRound(deps, 'one-running')).result, { primary: 'ok', secondary: 'skipped' });
    expectOutcomes((await timedRound(deps, 'both-running')).result, { primary: 'ok', secondary: 'ok' });
    const one: number[] = [];
    const two: number[] = [];
    // Interleaved, so a busy moment of the machine hits both series alike.
    for (let i = 0; i < reps; i++) {
      one.push((await timedRound(deps, 'one-running')).ms);
      two.push((await timedRound(deps, 'both-running')).ms);
    }
    const ratio = median(two) / median(one);
    out(`  round, one firewall running (standby stopped): ${spread(one, 'ms')}`);
    out(`  round, both firewalls running:                 ${spread(two, 'ms')}`);
    out(`  ratio two/one: ${ratio.toFixed(2)} (concurrent: about 1; one after the other: about 2)`);

    for (const n of [both.firewalls.primary.name, both.firewalls.secondary.name]) system.firewall(n).setFaults({ hung: true });
    const hung: number[] = [];
    for (let i = 0; i < hungReps; i++) {
      const r = await timedRound(deps, 'both-running');
      expectOutcomes(r.result, { primary: 'timeout', secondary: 'timeout' });
      hung.push(r.ms);
    }
    for (const n of [both.firewalls.primary.name, both.firewalls.secondary.name]) system.firewall(n).setFaults({ hung: undefined });
    out(`  round, both firewalls hung (TLS up, no answer): ${spread(hung, 'ms')} for a ${timeoutMs} ms timeout`);

    const pair = system.pair('one-running');
    const target: FirewallConfig = { ...pair.firewalls.primary, management: { ...pair.firewalls.primary.management, host: '127.0.0.1', port: silent.port } };
    const silentMs: number[] = [];
    for (let i = 0; i < hungReps; i++) {
      const t0 = performance.now();
      const obs = await observeFirewallApi(deps.firewalls, target, system.clock, { timeoutMs, chassis: true });
      silentMs.push(performance.now() - t0);
      if (obs.outcome !== 'timeout') throw new BenchSetupError(`silent server: expected a timeout, saw ${obs.outcome} (${obs.error ?? ''})`);
    }
    out(`  one call, TCP accepted and never a byte (net server): ${spread(silentMs, 'ms')} (TLS connect budget min(timeout, 3 s))`);

    const hungMedian = median(hung);
    const silentMedian = median(silentMs);
    const figures: Figure[] = [
      {
        section: 'probe',
        name: 'probe round, both firewalls hung',
        measured: `${(hungMedian / 1000).toFixed(2)} s (${(hungMedian / timeoutMs).toFixed(3)}x timeout)`,
        target: `<= ${TIMEOUT_SLACK} x ${timeoutMs / 1000} s timeout`,
        status: statusOf(hungMedian <= timeoutMs * TIMEOUT_SLACK),
        value: hungMedian,
        unit: 'ms',
      },
      {
        section: 'probe',
        name: 'firewall call to a silent TCP server',
        measured: `${(silentMedian / 1000).toFixed(2)} s`,
        target: `<= ${TIMEOUT_SLACK} x ${timeoutMs / 1000} s timeout`,
        status: statusOf(silentMedian <= timeoutMs * TIMEOUT_SLACK),
        value: silentMedian,
        unit: 'ms',
      },
      {
        section: 'probe',
        name: 'pair round time, two firewalls / one',
        measured: `${ratio.toFixed(2)} (${median(two).toFixed(0)} / ${median(one).toFixed(0)} ms)`,
        target: `<= ${CONCURRENT_MAX_RATIO} (sequential ~2)`,
        status: statusOf(ratio <= CONCURRENT_MAX_RATIO),
        value: ratio,
      },
    ];
    return {
      figures,
      data: { slowResponseMs: SLOW_RESPONSE_MS, timeoutMs, oneFirewallMs: one, twoFirewallsMs: two, hungRoundMs: hung, silentServerMs: silentMs },
    };
  } finally {
    await silent.close();
    await system.close();
  }
}
