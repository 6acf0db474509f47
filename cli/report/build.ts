/**
 * Builds the report model of one flow execution from what Step Functions keeps of it (its input,
 * its output, the history of its states: every step returns the whole flow state, so the
 * history holds each readiness check's view of the booting standby) and the configuration.
 * Sources that know more (the rehearsal observed AWS before and after, and saw every probe
 * round) pass it in; the rest is derived from the flow's own record, and says so.
 */
import { ROLES, type Config, type PairConfig, type Role } from '#shared/config/schema.js';
import { failedPhrase, type FailedRound } from '#shared/domain/streak.js';
import { flowInputSchema } from '#shared/usecases/flow-input.js';
import { failedPhase, timeline, type FlowState } from '#shared/usecases/flow/state.js';
import type { Move, PhaseBar, ProbeRound, ReportKind, ReportModel, SideName, Snapshot, Topology, TopologyEni } from './model.js';

/** One execution as DescribeExecution shows it (input and output parsed). */
export interface ExecutionFacts {
  readonly name: string;
  readonly arn: string | undefined;
  readonly status: string;
  readonly startedAt: number;
  readonly endedAt: number | undefined;
  readonly input: unknown;
  readonly output: unknown;
  readonly error: string | undefined;
  readonly cause: string | undefined;
}

/** One event of GetExecutionHistory, reduced to what the report reads. */
export interface HistoryItem {
  readonly at: number;
  readonly type: string;
  /** State name (entered and exited events). */
  readonly name?: string;
  /** State output (exited events), JSON text. */
  readonly output?: string;
}

export interface BuildInput {
  readonly kind: ReportKind;
  readonly config: Config;
  readonly execution: ExecutionFacts;
  readonly history: readonly HistoryItem[];
  readonly generatedAt: number;
  readonly title?: string;
  /** Observed before the flow (rehearsal); derived from the flow's moves otherwise. */
  readonly before?: Snapshot;
  /** Observed after the flow (rehearsal) or now (a real flow); derived otherwise. */
  readonly after?: Snapshot;
  readonly rounds?: readonly ProbeRound[];
  readonly roundsNote?: string;
  /** When the failure began (rehearsal: the injected fault), for the detection bar. */
  readonly failureAt?: number;
  /** When the probe decided (the detection bar ends there; default: the execution's start). */
  readonly decidedAt?: number;
  readonly verdict?: ReportModel['verdict'];
  readonly notes?: readonly string[];
  readonly facts?: readonly { label: string; value: string }[];
}

export const routeKey = (rtb: string, destination: string) => `route:${rtb}:${destination}`;
export const eipKey = (allocationId: string) => `eip:${allocationId}`;
export const dnsKey = (name: string, type: string) => `dns:${name}:${type}`;

/** A flow state, recognised by shape (a notification task's history output is not one). */
export function asFlowState(value: unknown): FlowState | undefined {
  if (typeof value === 'string') {
    try {
      return asFlowState(JSON.parse(value));
    } catch {
      return undefined;
    }
  }
  if (value === null || typeof value !== 'object') return undefined;
  const v = value as Partial<FlowState>;
  return typeof v.execution === 'string' && typeof v.phases === 'object' && v.phases !== null && typeof v.input === 'object' ? (v as FlowState) : undefined;
}

/** The states the flow passed through, in order (each step's output). */
export function flowStates(history: readonly HistoryItem[]): { at: number; state: string; flow: FlowState }[] {
  // Step Functions writes TaskStateExited (state name, output); a history without it (the
  // simulator's) has TaskSucceeded, named by the task state entered before it.
  const exitType = history.some((h) => h.type === 'TaskStateExited') ? 'TaskStateExited' : 'TaskSucceeded';
  let entered = '';
  return history.flatMap((h) => {
    if (h.type === 'TaskStateEntered') entered = h.name ?? '';
    const flow = h.type === exitType ? asFlowState(h.output) : undefined;
    return flow ? [{ at: h.at, state: h.name ?? entered, flow }] : [];
  });
}

export function topologyOf(pair: PairConfig): Topology {
  const firewall = (role: Role) => {
    const fw = pair.firewalls[role];
    const enis = new Map<string, { addresses: Set<string>; uses: Set<string> }>();
    const eni = (id: string) => {
      let e = enis.get(id);
      if (!e) enis.set(id, (e = { addresses: new Set(), uses: new Set() }));
      return e;
    };
    for (const r of pair.routes) eni(r.targets[role]).uses.add('route target');
    for (const e of pair.elasticIps) {
      const x = eni(e[role].networkInterfaceId);
      x.uses.add('EIP');
      x.addresses.add(e[role].privateIp);
    }
    return {
      role,
      name: fw.name,
      instanceId: fw.instanceId,
      availabilityZone: fw.availabilityZone,
      managementHost: fw.management.host,
      enis: [...enis.entries()].map(([id, e]): TopologyEni => ({ id, addresses: [...e.addresses], uses: [...e.uses] })),
    };
  };
  const tables = new Map<string, Topology['routeTables'][number]['routes'][number][]>();
  for (const r of pair.routes) {
    const list = tables.get(r.routeTableId) ?? [];
    list.push({ key: routeKey(r.routeTableId, r.destination), destination: r.destination, targets: r.targets });
    tables.set(r.routeTableId, list);
  }
  return {
    pair: pair.name,
    description: pair.description,
    standbyMode: pair.standbyMode,
    firewalls: [firewall('primary'), firewall('secondary')],
    routeTables: [...tables.entries()].map(([id, routes]) => ({ id, routes })),
    eips: pair.elasticIps.map((e) => ({
      key: eipKey(e.allocationId),
      allocationId: e.allocationId,
      publicIp: e.publicIp,
      purpose: e.purpose,
      sides: {
        primary: { eni: e.primary.networkInterfaceId, privateIp: e.primary.privateIp },
        secondary: { eni: e.secondary.networkInterfaceId, privateIp: e.secondary.privateIp },
      },
    })),
    dns: pair.dnsRecords.map((d) => ({
      key: dnsKey(d.name, d.type),
      name: d.name,
      type: d.type,
      hostedZoneId: d.hostedZoneId,
      followsEip: d.followElasticIp,
      values: d.values,
    })),
  };
}

const ROUTE_MOVE = /^(create|replace) route (\S+) in (\S+): (\S+) -> (\S+)$/;
const EIP_MOVE = /^associate EIP (\S+)(?: \((\S+)\))?: (\S+)\/(\S+) -> (\S+)\/(\S+)$/;
const DNS_MOVE = /^(\S+) (\S+) -> (.*)$/;

const ROUTE_OBJECT = /^route (\S+) in (\S+)$/;
const EIP_OBJECT = /^EIP (\S+)(?: \(\S+\))?$/;

/** The report key of an object as `objectLabel` names it (Abort's record of what it found). */
function objectKey(label: string): string | undefined {
  const r = ROUTE_OBJECT.exec(label);
  if (r) return routeKey(r[2] ?? '', r[1] ?? '');
  const e = EIP_OBJECT.exec(label);
  return e ? eipKey(e[1] ?? '') : undefined;
}

export const DIED = 'cutover (an attempt that did not return)';

/** A move of a managed object from one firewall to the other, as the configuration names both ends. */
function configuredMove(pair: PairConfig, key: string, from: Role, to: Role, by: string): Move | undefined {
  const route = pair.routes.find((r) => routeKey(r.routeTableId, r.destination) === key);
  if (route) return { key, kind: 'route', object: `route ${route.destination} in ${route.routeTableId}`, from, to, detail: `${route.targets[from]} → ${route.targets[to]}`, by };
  const eip = pair.elasticIps.find((e) => eipKey(e.allocationId) === key);
  if (!eip) return undefined;
  return {
    key,
    kind: 'eip',
    object: `EIP ${eip.publicIp ?? eip.allocationId}`,
    from,
    to,
    detail: `${eip[from].networkInterfaceId}/${eip[from].privateIp} → ${eip[to].networkInterfaceId}/${eip[to].privateIp}`,
    by,
  };
}

/**
 * Moves made by cutover attempts that died before returning their state (a Lambda timeout or
 * crash), told apart by what the flow recorded: the re-check found everything on the origin,
 * and then either the successful attempt found an object already on the target (it counts it
 * as unchanged and does not list it), or Abort found it there.
 */
function diedMoves(pair: PairConfig, state: FlowState | undefined, made: ReadonlySet<string>): Move[] {
  const from = state?.from;
  const to = state?.target;
  if (!state || !from || !to || state.recheck?.awsOwner !== from || state.recheck.mode !== 'proceed') return [];
  const keys = [...pair.routes.map((r) => routeKey(r.routeTableId, r.destination)), ...pair.elasticIps.map((e) => eipKey(e.allocationId))].filter((k) => !made.has(k));
  let moved: string[];
  if (state.abort) {
    const found = new Map(state.abort.found.map((f) => [objectKey(f.object), f.side]));
    moved = keys.filter((k) => found.get(k) === to);
  } else if (state.cutover && state.cutover.unchanged > 0) {
    // The cutover returned: everything was verified on the target.
    moved = keys;
  } else moved = [];
  return moved.map((k) => configuredMove(pair, k, from, to, DIED)).filter((m): m is Move => m !== undefined);
}

/**
 * The moves a flow made, from its own record, in order: the cutover's change labels (changeLabel
 * in shared/domain/placement.ts), the moves of cutover attempts that died before returning (a
 * planned move the successful attempt found already made, or that Abort found made), Abort's own
 * moves (forward onto the target, or back), and the DNS changes. Labels it cannot read are kept
 * as notes.
 */
export function movesOf(pair: PairConfig, state: FlowState | undefined): { moves: Move[]; unread: string[] } {
  const unread: string[] = [];
  const cut = movesOfLabels(pair, state?.cutover?.moved ?? [], 'cutover', unread);
  const died = diedMoves(pair, state, new Set(cut.map((m) => m.key)));
  const aborted = movesOfLabels(pair, state?.abort?.moved ?? [], 'abort', unread);
  const moves: Move[] = [...died, ...cut, ...aborted];
  for (const c of state?.dns?.changes ?? []) {
    const d = DNS_MOVE.exec(c.record);
    const rec = d ? pair.dnsRecords.find((x) => x.name === d[1] && x.type === d[2]) : undefined;
    if (!d || !rec) {
      unread.push(`DNS ${c.record}`);
      continue;
    }
    moves.push({
      key: dnsKey(rec.name, rec.type),
      kind: 'dns',
      object: `DNS ${rec.name} ${rec.type}`,
      from: state?.from ?? 'unknown',
      to: state?.target ?? 'unknown',
      detail: `UPSERT ${d[3] ?? ''} (${c.status})`,
      by: 'dns',
    });
  }
  return { moves, unread };
}

/** Route and EIP change labels read back as moves; labels it cannot read go to `unread`. */
function movesOfLabels(pair: PairConfig, labels: readonly string[], by: string, unread: string[]): Move[] {
  const moves: Move[] = [];
  for (const label of labels) {
    const r = ROUTE_MOVE.exec(label);
    if (r) {
      const [, , destination = '', rtb = '', from = '', to = ''] = r;
      const route = pair.routes.find((x) => x.routeTableId === rtb && x.destination === destination);
      const side = (eni: string): SideName => (eni === '(none)' ? 'missing' : (ROLES.find((role) => route?.targets[role] === eni) ?? 'elsewhere'));
      moves.push({ key: routeKey(rtb, destination), kind: 'route', object: `route ${destination} in ${rtb}`, from: side(from), to: side(to), detail: `${from} → ${to}`, by });
      continue;
    }
    const e = EIP_MOVE.exec(label);
    if (e) {
      const [, alloc = '', publicIp, fromEni = '', fromIp = '', toEni = '', toIp = ''] = e;
      const eip = pair.elasticIps.find((x) => x.allocationId === alloc);
      const side = (eni: string, ip: string): SideName =>
        eni === '(unassociated)' ? 'unassociated' : (ROLES.find((role) => eip?.[role].networkInterfaceId === eni && eip[role].privateIp === ip) ?? 'elsewhere');
      moves.push({
        key: eipKey(alloc),
        kind: 'eip',
        object: `EIP ${publicIp ?? alloc}`,
        from: side(fromEni, fromIp),
        to: side(toEni, toIp),
        detail: `${fromEni}/${fromIp} → ${toEni}/${toIp}`,
        by,
      });
      continue;
    }
    unread.push(label);
  }
  return moves;
}

export function allKeys(t: Topology): string[] {
  return [...t.routeTables.flatMap((r) => r.routes.map((x) => x.key)), ...t.eips.map((e) => e.key), ...t.dns.map((d) => d.key)];
}

/** Where things pointed before the flow, from where they are after it and what it moved. */
export function deriveBefore(topology: Topology, after: Snapshot, moves: readonly Move[], source: string): Snapshot {
  const objects: Record<string, { side: SideName; detail?: string }> = {};
  for (const key of allKeys(topology)) {
    const m = moves.find((x) => x.key === key);
    objects[key] = m ? { side: m.from } : { side: after.objects[key]?.side ?? 'unknown' };
  }
  return { at: undefined, source, objects };
}

/** Where things pointed after the flow, from what the flow verified and moved. */
export function deriveAfter(topology: Topology, state: FlowState | undefined, moves: readonly Move[], source: string): Snapshot {
  const objects: Record<string, { side: SideName }> = {};
  // A cutover that returned its state verified every object on the target.
  const verified = state?.cutover !== undefined && state.target !== undefined;
  // Where a no-op found everything, or where Abort converged it.
  const known = state?.recheck?.mode === 'noop' ? state.recheck.awsOwner : state?.abort?.side;
  for (const key of allKeys(topology)) {
    // An object moved and moved back ends where its last move put it.
    const m = moves.findLast((x) => x.key === key);
    const side: SideName = m ? m.to : verified && state.target ? state.target : known === 'primary' || known === 'secondary' ? known : 'unknown';
    objects[key] = { side };
  }
  return { at: undefined, source, objects };
}

const PHASE_LABELS: Readonly<Record<string, string>> = {
  detect: 'detection',
  validate: 'validate input',
  lock: 'lock',
  recheck: 're-check',
  plan: 'plan (dry run)',
  start: 'start standby',
  boot: 'boot (PAN-OS)',
  cutover: 'cutover',
  fence: 'fence old owner',
  record: 'record owner',
  dns: 'DNS',
  verify: 'verify tunnels',
  check: 'PAN-OS checks (drill)',
  stop: 'stop standby (drill)',
  finish: 'finish',
};

export function phaseLabel(id: string): string {
  return PHASE_LABELS[id] ?? id;
}

/**
 * The stage of PAN-OS's boot a readiness check saw. Stages only go forward: a timeout while the
 * dataplane comes up (PAN-OS is busy) does not send the boot back to "not answering"; it is
 * counted on the stage it happened in.
 */
const BOOT_STAGES = [
  { rank: 0, label: 'instance pending / starting', test: /^instance/ },
  { rank: 1, label: 'management plane not answering', test: /refused|unreachable|timeout|malformed|API (?!auth)/ },
  { rank: 2, label: 'API answers 403 (auth not up yet)', test: /auth/ },
  { rank: 3, label: 'API up, chassis-ready no', test: /chassis-ready: no/ },
  { rank: 4, label: 'chassis ready, AutoCom job running', test: /AutoCom/ },
  { rank: 5, label: 'ready', test: /^ready/ },
] as const;

function bootStage(detail: string): (typeof BOOT_STAGES)[number] | undefined {
  return BOOT_STAGES.find((s) => s.test.test(detail));
}

/** The boot's PAN-OS sub-phases, from each readiness check's state in the history. */
export function bootPhases(states: readonly { at: number; state: string; flow: FlowState }[], boot: { startedAt: number; endedAt: number | undefined }): PhaseBar[] {
  const checks = states.filter((s) => s.state === 'CheckReady' && s.flow.ready?.detail);
  const bars: { label: string; startedAt: number; rank: number; checks: number; setbacks: number }[] = [];
  for (const c of checks) {
    const stage = bootStage(c.flow.ready?.detail ?? '');
    const last = bars.at(-1);
    if (!stage) continue;
    if (last && stage.rank <= last.rank) {
      last.checks++;
      if (stage.rank < last.rank) last.setbacks++;
      continue;
    }
    if (stage.rank === 5) break;
    bars.push({ label: stage.label, startedAt: bars.length === 0 ? boot.startedAt : Math.min(c.at, boot.endedAt ?? c.at), rank: stage.rank, checks: 1, setbacks: 0 });
  }
  return bars.map((b, i) => ({
    id: `boot-${i + 1}`,
    label: b.label,
    startedAt: b.startedAt,
    endedAt: bars[i + 1]?.startedAt ?? boot.endedAt,
    outcome: `${b.checks} check(s)${b.setbacks ? `, ${b.setbacks} timed out or failed on the way` : ''}`,
  }));
}

/** The probe's failed rounds carried in a flow's input, as report rounds. */
export function roundsOfInput(rounds: readonly FailedRound[] | undefined): ProbeRound[] {
  return (rounds ?? []).map((r) => ({
    at: r.at,
    primary: r.firewall === 'primary' ? r.status : r.standby,
    secondary: r.firewall === 'secondary' ? r.status : r.standby,
    action: r.action,
    reason: r.reason,
    failed: failedPhrase(r),
  }));
}

const LOG_HINT = "Every round, failed or not: the `probe round` lines of the health-probe function's log (CloudWatch Logs).";

/** Where the rounds of a real flow come from, or why there are none. */
function roundsNoteOf(source: string, rounds: number, reason: string, pair: PairConfig): string {
  if (rounds > 0) {
    return `The failed rounds the health probe counted before it started this flow, carried in the flow's input (the last ${rounds}; every ${pair.probe.intervalSeconds} s, ${pair.probe.failuresBeforeFailover} failed rounds make a failover). ${LOG_HINT}`;
  }
  switch (source) {
    case 'alarm':
      return `Started by a CloudWatch alarm, which said: ${reason || '(nothing)'}. The trigger carried no probe rounds.`;
    case 'manual':
      return 'Started by a person: the trigger carried no probe rounds.';
    case 'drift':
      return 'Started by the probe to repair drift: no failed rounds behind it.';
    case 'drill':
      return 'Started by the drill schedule: no failed rounds behind it.';
    case 'probe':
      return `The trigger carried no failed rounds (a failback, or a probe older than this report). ${LOG_HINT}`;
    default:
      return `The trigger (${source}) carried no probe rounds.`;
  }
}

function incidentTime(incidentId: string | undefined): number | undefined {
  const iso = incidentId?.split('@').at(-1);
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isFinite(t) ? t : undefined;
}

function notesOf(state: FlowState | undefined, pair: PairConfig): string[] {
  if (!state) return [];
  const notes: string[] = [];
  if (state.recheck) notes.push(`re-check: ${state.recheck.reason} (${pair.firewalls.primary.name} ${state.recheck.statuses.primary}, ${pair.firewalls.secondary.name} ${state.recheck.statuses.secondary}; AWS pointed at ${state.recheck.awsOwner})`);
  for (const b of state.plan?.blockers ?? []) notes.push(`plan blocker: ${b}`);
  for (const n of state.start?.notes ?? []) notes.push(`start: ${n}`);
  if (state.start?.instanceType) notes.push(`start: instance type ${state.start.instanceType}`);
  if (state.ready?.detail) notes.push(`readiness: ${state.ready.detail} after ${state.ready.checks} check(s)${state.ready.restarts ? `, ${state.ready.restarts} restart(s)` : ''}`);
  if (state.cutover) notes.push(`cutover: ${state.cutover.moved.length} change(s), ${state.cutover.unchanged} already in place, ${state.cutover.calls} call(s), ${state.cutover.throttled} throttled, ${(state.cutover.durationMs / 1000).toFixed(1)} s`);
  if (state.fence) notes.push(`fencing: ${state.fence.action}: ${state.fence.detail}`);
  for (const s of state.dns?.skipped ?? []) notes.push(`DNS: ${s}`);
  if (state.dns?.timedOut) notes.push('DNS: Route 53 change not INSYNC within the reporting window (not blocking)');
  const d = state.drill;
  if (d) {
    notes.push(`drill: ${d.outcome ?? 'in progress'}${d.summary ? `: ${d.summary}` : ''}`);
    if (d.bootSeconds !== undefined) notes.push(`drill: ${pair.firewalls[d.standby].name} booted in ${d.bootSeconds.toFixed(1)} s from the start request; ${d.stopped ? 'stopped again' : 'not stopped by the drill'}`);
    for (const c of (d.results ?? []).filter((r) => r.status === 'fail' || r.status === 'unknown' || r.status === 'warn')) notes.push(`drill check ${c.status.toUpperCase()} ${c.check} ${c.subject}: ${c.detail}${c.fix ? ` (fix: ${c.fix})` : ''}`);
    for (const n of d.notes) notes.push(`drill: ${n}`);
  }
  if (state.verify) notes.push(`verify: tunnels up ${state.verify.tunnelsUp.join(', ') || 'none'}${state.verify.tunnelsDown.length ? `; DOWN ${state.verify.tunnelsDown.join(', ')}` : ''}${state.verify.timedOut ? ' (timed out)' : ''}`);
  return notes;
}

/** The rounds of an execution's input when no flow state holds them (a flow that failed at once); none from an input the flow would refuse. */
function inputRounds(raw: unknown): readonly FailedRound[] | undefined {
  const parsed = flowInputSchema.safeParse(raw);
  return parsed.success ? parsed.data.rounds : undefined;
}

export function buildReport(input: BuildInput): ReportModel {
  const x = input.execution;
  const states = flowStates(input.history);
  const final = asFlowState(x.output) ?? states.at(-1)?.flow;
  const rawInput = (x.input ?? {}) as { pair?: unknown; action?: unknown; reason?: unknown; source?: unknown; requestedBy?: unknown; incidentId?: unknown };
  const pairName = final?.input.pair ?? (typeof rawInput.pair === 'string' ? rawInput.pair : undefined);
  const pair = input.config.pairs.find((p) => p.name === pairName) ?? input.config.pairs[0];
  if (!pair) throw new Error('the configuration has no pair');
  const topology = topologyOf(pair);
  const { moves, unread } = movesOf(pair, final);

  const after = input.after ?? deriveAfter(topology, final, moves, 'derived from what the flow verified and moved');
  const before = input.before ?? deriveBefore(topology, after, moves, 'derived: where the flow found what it moved');

  const action = final?.input.action ?? (typeof rawInput.action === 'string' ? rawInput.action : 'unknown');
  const phases: PhaseBar[] = [];
  const incidentAt = input.failureAt ?? incidentTime(final?.input.incidentId ?? (typeof rawInput.incidentId === 'string' ? rawInput.incidentId : undefined));
  if (incidentAt !== undefined && incidentAt <= x.startedAt) {
    phases.push({ id: 'detect', label: phaseLabel('detect'), startedAt: incidentAt, endedAt: input.decidedAt ?? x.startedAt, outcome: `${action} decided` });
  }
  if (final) {
    for (const t of timeline(final)) {
      const endedAt = t.durationMs === undefined ? undefined : t.startedAt + t.durationMs;
      const sub = t.phase === 'boot' ? bootPhases(states, { startedAt: t.startedAt, endedAt: endedAt ?? x.endedAt }) : [];
      phases.push({ id: t.phase, label: phaseLabel(t.phase), startedAt: t.startedAt, endedAt, outcome: t.outcome, ...(sub.length ? { sub } : {}) });
    }
  }

  const errors: ReportModel['errors'][number][] = [];
  const err = final?.error ?? (x.error ? { Error: x.error, Cause: x.cause ?? '' } : undefined);
  if (err) errors.push({ phase: final ? failedPhase(final) : undefined, name: err.Error, message: err.Cause });
  const outcome = final?.result?.outcome ?? (x.status === 'FAILED' ? 'failed' : x.status === 'RUNNING' ? 'in progress' : 'unknown');
  const summary = final?.result?.summary ?? (x.status === 'FAILED' ? `${x.error ?? 'failed'}: ${x.cause ?? ''}` : x.status);

  // Rounds the source saw itself (the rehearsal saw every one), else those the flow's input carries.
  const source = final?.input.source ?? (typeof rawInput.source === 'string' ? rawInput.source : 'unknown');
  const reason = final?.input.reason ?? (typeof rawInput.reason === 'string' ? rawInput.reason : '');
  const rounds = input.rounds ?? roundsOfInput(final?.input.rounds ?? inputRounds(x.input));

  const verdict: ReportModel['verdict'] =
    input.verdict ??
    (outcome === 'succeeded' || outcome === 'noop'
      ? { status: 'consistent', detail: 'as the flow verified at its end (Describe calls after the moves)', problems: [] }
      : { status: 'unknown', detail: 'not checked: run `pan-failover status`', problems: [] });

  return {
    kind: input.kind,
    title: input.title ?? `${pair.name} ${action} ${x.name}`,
    generatedAt: input.generatedAt,
    timeZone: input.config.report?.timeZone,
    pair: pair.name,
    execution: { name: x.name, arn: x.arn, status: x.status, startedAt: x.startedAt, endedAt: x.endedAt },
    action,
    outcome,
    summary,
    from: final?.from,
    target: final?.target,
    topology,
    before,
    after,
    moves,
    phases,
    trigger: {
      source,
      reason,
      requestedBy: final?.input.requestedBy,
      incidentAt,
      rounds,
      roundsNote: input.roundsNote ?? roundsNoteOf(source, rounds.length, reason, pair),
    },
    errors,
    notes: [...notesOf(final, pair), ...unread.map((u) => `unrecognised change: ${u}`), ...(input.notes ?? [])],
    verdict,
    facts: input.facts ?? [],
  };
}
