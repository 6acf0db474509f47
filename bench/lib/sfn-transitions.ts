/**
 * Step Functions Standard bills every state entered (retries included). The local runner's
 * history lists the Task and Wait states it ran and the final Fail/Succeed, not the Choice and
 * Pass states between them; this fills those in from the definition: between two recorded
 * states, the shortest path through unrecorded states only. Where two paths join the same
 * recorded states (a Catch beside a Choice, as on the way to Abort) the history cannot tell
 * which was taken, and the count is a lower bound by those few states.
 */

/** The parts of an ASL state this reads; the rest of the definition is ignored. */
export interface AslState {
  readonly Type: string;
  readonly [key: string]: unknown;
}

export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, AslState>>;
}

/** States the local runner never records (they run inside the engine). */
const SILENT_TYPES = new Set(['Choice', 'Pass']);

export interface TransitionCount {
  /** States entered, as billed. */
  readonly entered: number;
  /** Of which recorded in the history. */
  readonly recorded: number;
  /** Of which filled in (Choice, Pass). */
  readonly inferred: number;
}

const nextsOf = (list: unknown): unknown[] =>
  Array.isArray(list) ? list.map((x: unknown) => (typeof x === 'object' && x !== null ? (x as { Next?: unknown }).Next : undefined)) : [];

function successors(state: AslState): string[] {
  return [state['Next'], state['Default'], ...nextsOf(state['Choices']), ...nextsOf(state['Catch'])].filter(
    (n): n is string => typeof n === 'string',
  );
}

/** Silent states on the shortest path from the successors of `from` to `to`; `undefined` if none. */
function silentSteps(def: AslDefinition, starts: readonly string[], to: string): number | undefined {
  let frontier = [...new Set(starts)];
  const seen = new Set(frontier);
  for (let depth = 0; frontier.length > 0; depth++) {
    if (frontier.includes(to)) return depth;
    const next: string[] = [];
    for (const name of frontier) {
      const state = def.States[name];
      if (state === undefined || !SILENT_TYPES.has(state.Type)) continue;
      for (const s of successors(state)) {
        if (!seen.has(s)) {
          seen.add(s);
          next.push(s);
        }
      }
    }
    frontier = next;
  }
  return undefined;
}

export function countTransitions(def: AslDefinition, history: readonly { readonly state: string }[]): TransitionCount {
  let inferred = 0;
  let previous: string | undefined;
  for (const { state } of history) {
    if (def.States[state] === undefined) throw new RangeError(`history names a state the definition lacks: ${state}`);
    // The same Task twice in a row is a retry of it (Retry re-enters the state).
    if (previous !== state) {
      const starts = previous === undefined ? [def.StartAt] : successors(def.States[previous] as AslState);
      const steps = silentSteps(def, starts, state);
      if (steps === undefined) throw new RangeError(`history goes from ${previous ?? '(start)'} to ${state}: no such path in the definition`);
      inferred += steps;
    }
    previous = state;
  }
  return { entered: history.length + inferred, recorded: history.length, inferred };
}
