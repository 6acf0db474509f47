/**
 * The simulator's one clock: simulated time runs `speed` times faster than real time.
 * The world, the firewalls, the probe schedule and the state machine's waits all use it,
 * so a seven-minute boot takes seconds of wall time while timelines report simulated minutes.
 */
import type { Clock } from '#shared/ports/clock.js';

export class SimClock implements Clock {
  readonly speed: number;
  readonly #realStart: number;
  readonly #simStart: number;

  constructor(options: { speed: number; start?: number }) {
    if (!(options.speed > 0)) throw new RangeError('speed must be > 0');
    this.speed = options.speed;
    this.#realStart = performance.now();
    this.#simStart = options.start ?? Date.UTC(2026, 0, 1, 9, 0, 0);
  }

  /** Simulated epoch milliseconds. */
  now(): number {
    return Math.round(this.#simStart + (performance.now() - this.#realStart) * this.speed);
  }

  /** Real milliseconds that `simMs` of simulated time take. */
  toReal(simMs: number): number {
    return simMs / this.speed;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.#sleepReal(Math.max(0, this.toReal(ms)), signal);
  }

  /** Network timeouts never shorter than `timeoutFloorRealMs` of real time (default 250 ms). */
  timeoutSleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.#sleepReal(Math.max(this.timeoutFloorRealMs, this.toReal(ms)), signal);
  }

  timeoutFloorRealMs = 250;

  #sleepReal(realMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        realMs,
      );
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Simulated milliseconds since the clock started. */
  elapsed(): number {
    return this.now() - this.#simStart;
  }
}
