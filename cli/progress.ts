/**
 * What a person sees while a flow runs (`--local`, `--wait`): each phase as it starts and ends,
 * with the time since the flow started, and in the boot phase what readiness sees (instance
 * pending, API refused, 403, chassis-ready no, AutoCom not finished, ready). Pure: built from
 * two successive flow states, whichever way they arrive (the local runner's step results, the
 * deployed execution's history).
 */
import { formatDuration } from '#shared/usecases/flow/notifications.js';
import { PHASES, type FlowState, type Phase } from '#shared/usecases/flow/state.js';

export type ProgressEvent =
  | { readonly kind: 'begin'; readonly phase: Phase; readonly at: number }
  | { readonly kind: 'end'; readonly phase: Phase; readonly at: number; readonly durationMs: number; readonly outcome: string }
  | { readonly kind: 'detail'; readonly phase: Phase; readonly at: number; readonly text: string };

/** Whether a step's result is a flow state (a `notify` step returns `{}`). */
export function isFlowState(v: unknown): v is FlowState {
  return typeof v === 'object' && v !== null && 'phases' in v && 'input' in v;
}

/** The events between two successive states of one flow, in the order they happened. */
export function progressBetween(prev: FlowState | undefined, next: FlowState, now: number): ProgressEvent[] {
  const events: ProgressEvent[] = [];
  for (const phase of PHASES) {
    const was = prev?.phases[phase];
    const is = next.phases[phase];
    if (!is) continue;
    if (!was) events.push({ kind: 'begin', phase, at: is.startedAt });
    if (is.endedAt !== undefined && was?.endedAt === undefined) {
      events.push({ kind: 'end', phase, at: is.endedAt, durationMs: is.endedAt - is.startedAt, outcome: is.outcome ?? 'ok' });
    }
  }
  const startState = next.start?.state;
  if (next.start && startState !== prev?.start?.state && !next.start.done) {
    events.push({ kind: 'detail', phase: 'start', at: now, text: `instance ${startState}` });
  }
  for (const note of next.start?.notes.slice(prev?.start?.notes.length ?? 0) ?? []) events.push({ kind: 'detail', phase: 'start', at: now, text: note });
  // Readiness: a line each time what the poll sees changes (not one per poll).
  if (next.ready && next.ready.detail !== prev?.ready?.detail) {
    events.push({ kind: 'detail', phase: 'boot', at: now, text: readinessWords(next.ready.detail) });
  }
  // Begins first, then details, then ends, each in time order.
  const rank = { begin: 0, detail: 1, end: 2 } as const;
  return events.sort((a, b) => a.at - b.at || rank[a.kind] - rank[b.kind]);
}

/** The readiness check's detail, in the words of someone watching a PAN-OS boot. */
export function readinessWords(detail: string): string {
  if (detail.startsWith('API unreachable') || detail.startsWith('API refused')) return 'management API refuses connections (PAN-OS starting)';
  if (detail.startsWith('API auth')) return 'management API answers 403 (normal during boot)';
  if (detail.startsWith('API timeout')) return 'management API does not answer in time';
  if (detail === 'chassis-ready: no') return 'API answers; chassis-ready: no';
  if (detail === 'AutoCom job not finished') return 'chassis-ready: yes; waiting for the AutoCom job';
  if (detail.startsWith('ready')) return `chassis-ready: yes, AutoCom done: ${detail}`;
  return detail;
}

function clock(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  return `+${s < 600 ? s.toFixed(1) : Math.round(s).toString()}s`.padStart(8);
}

/** One line of the progress display; `t0` is when the flow started. */
export function progressLine(e: ProgressEvent, t0: number): string {
  const head = `${clock(e.at - t0)}  ${e.phase.padEnd(8)}`;
  switch (e.kind) {
    case 'begin':
      return `${head} started`;
    case 'end':
      return `${head} ${/^(failed|deadline)/.test(e.outcome) ? 'FAILED' : 'done'} in ${formatDuration(e.durationMs)} (${e.outcome})`;
    case 'detail':
      return `${head}   ${e.text}`;
  }
}

/** Prints progress as states arrive; one per flow. */
export function progressPrinter(write: (line: string) => void, now: () => number): (state: FlowState) => void {
  let last: FlowState | undefined;
  return (state) => {
    for (const e of progressBetween(last, state, now())) write(progressLine(e, state.startedAt));
    last = state;
  };
}
