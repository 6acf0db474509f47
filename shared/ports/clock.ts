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
