/**
 * Time is an input. Lambda uses the system clock; the simulator passes a clock that runs
 * faster than real time, so a seven-minute boot takes seconds while timelines still report
 * simulated minutes.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Resolves after `ms` of this clock's time; rejects with the signal's reason if aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Like `sleep`, for timeouts of network calls. A clock running faster than real time keeps
   * a real-time floor here, so CPU jitter on a busy machine is not mistaken for a dead peer.
   */
  timeoutSleep?(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Epoch milliseconds by which the current invocation must have returned (a Lambda's remaining
   * time, less what returning takes). Work that cannot end before it is not started: retries give
   * up, polls stop, moves are not begun. Absent: no bound.
   */
  readonly deadlineAt?: number;
}

/** `clock` with an invocation deadline (the earlier one if it already has one). */
export function withDeadline(clock: Clock, deadlineAt: number): Clock {
  const at = Math.min(deadlineAt, clock.deadlineAt ?? Number.POSITIVE_INFINITY);
  return {
    now: () => clock.now(),
    sleep: (ms, signal) => clock.sleep(ms, signal),
    ...(clock.timeoutSleep ? { timeoutSleep: (ms: number, signal?: AbortSignal) => clock.timeoutSleep?.(ms, signal) ?? Promise.resolve() } : {}),
    deadlineAt: at,
  };
}

/** Milliseconds until the clock's deadline (infinite without one). */
export function timeLeftMs(clock: Clock): number {
  return clock.deadlineAt === undefined ? Number.POSITIVE_INFINITY : clock.deadlineAt - clock.now();
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/**
 * An AbortSignal that fires after `ms` of `clock` time (simulated time in the simulator).
 * Call `dispose()` when done so no timer is left behind.
 */
export function clockTimeout(clock: Clock, ms: number): { signal: AbortSignal; dispose: () => void } {
  const fired = new AbortController();
  const cancel = new AbortController();
  (clock.timeoutSleep ?? clock.sleep).call(clock, ms, cancel.signal).then(
    () => fired.abort(new DOMException(`timed out after ${ms} ms`, 'TimeoutError')),
    () => undefined,
  );
  return { signal: fired.signal, dispose: () => cancel.abort() };
}
