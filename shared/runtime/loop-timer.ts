/**
 * A timeout measured in time the event loop was free to notice an answer.
 *
 * Parsing a firewall's answer is synchronous: while one answer is parsed (a large or hostile
 * body can take seconds on a small Lambda), no other socket is read. A plain `setTimeout` then
 * fires as soon as the loop is free again, before the other firewall's answer, already waiting
 * in the socket, has been read: a healthy firewall would be reported as timed out because its
 * neighbour was slow to parse. That is the one failure this controller must never invent.
 *
 * So a timer that fires late (the loop was blocked for more than `LATE_TOLERANCE_MS` past its
 * due time) is re-armed for the time it lost, and the I/O that queued up meanwhile is processed
 * first. The extensions together never exceed the original budget: a firewall that really does
 * not answer still times out, after at most twice its timeout when the controller is starved.
 */

/** Timer lateness below this is ordinary scheduling noise and grants nothing. */
export const LATE_TOLERANCE_MS = 50;

export interface LoopTimer {
  /** Cancels the timer (idempotent). */
  clear(): void;
  /** Milliseconds granted back so far because the loop was blocked. */
  readonly extendedMs: number;
}

/**
 * Calls `onExpire` once `ms` milliseconds of loop-available time have passed (at most `2 * ms`
 * of wall time when the loop is blocked), unless cleared first. `now` is injectable for tests.
 */
export function loopAwareTimeout(ms: number, onExpire: () => void, now: () => number = () => performance.now()): LoopTimer {
  let handle: ReturnType<typeof setTimeout> | undefined;
  let extendedMs = 0;
  const arm = (delay: number) => {
    const due = now() + delay;
    handle = setTimeout(() => {
      handle = undefined;
      const late = now() - due;
      const grant = Math.min(late, ms - extendedMs);
      if (late > LATE_TOLERANCE_MS && grant > 0) {
        extendedMs += grant;
        arm(grant);
      } else {
        onExpire();
      }
    }, delay);
  };
  arm(ms);
  return {
    clear() {
      if (handle !== undefined) clearTimeout(handle);
      handle = undefined;
    },
    get extendedMs() {
      return extendedMs;
    },
  };
}
