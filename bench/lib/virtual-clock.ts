/**
 * A discrete-event clock for benchmarks whose every wait is on simulated time (the world's
 * direct ports, token buckets, retries): whenever the work is idle, time jumps to the next
 * sleeper's deadline. The simulated seconds it reports are exact: they do not depend on the
 * machine's speed, its load, or the 1 ms floor of real timers that inflates a fast `SimClock`.
 *
 * Only for work without real I/O: anything that waits on a socket or a real timer would see
 * time jump past it (the world's own periodic timers keep the queue non-empty).
 */
import type { Clock } from '#shared/ports/clock.js';

interface Sleeper {
  readonly at: number;
  readonly seq: number;
  readonly wake: () => void;
}

export class VirtualClockStuckError extends Error {
  override readonly name = 'VirtualClockStuckError';
}

export class VirtualClock implements Clock {
  #now: number;
  #seq = 0;
  #sleepers: Sleeper[] = [];

  constructor(start: number = Date.UTC(2026, 0, 1, 9, 0, 0)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const onAbort = () => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
        reject(signal?.reason as Error);
      };
      const sleeper: Sleeper = {
        at: this.#now + Math.max(0, ms),
        seq: this.#seq++,
        wake: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#sleepers.push(sleeper);
    });
  }

  /** Sleepers not yet woken. */
  get pending(): number {
    return this.#sleepers.length;
  }

  /**
   * Drives time until `work` settles and returns its result (or rethrows its error). Throws
   * `VirtualClockStuckError` if the work is still pending with nobody asleep (it waits on
   * something else) or once `limitMs` of simulated time has passed.
   */
  async run<T>(work: Promise<T>, options: { limitMs?: number } = {}): Promise<T> {
    let settled = false;
    const watched = work.finally(() => {
      settled = true;
    });
    // The outcome is delivered by the `return watched` below; this only keeps an early
    // rejection from being reported as unhandled while time is still being driven.
    watched.catch(() => undefined);
    const limit = this.#now + (options.limitMs ?? 86_400_000);
    for (;;) {
      await idle();
      if (settled) return watched;
      const next = this.#takeEarliest();
      if (next === undefined) throw new VirtualClockStuckError('the work is pending but nothing sleeps on the clock');
      if (next.at > limit) {
        this.#sleepers.push(next);
        throw new VirtualClockStuckError(`the work did not finish within ${options.limitMs ?? 86_400_000} ms of simulated time`);
      }
      this.#now = Math.max(this.#now, next.at);
      next.wake();
    }
  }

  #takeEarliest(): Sleeper | undefined {
    let best: Sleeper | undefined;
    for (const s of this.#sleepers) {
      if (best === undefined || s.at < best.at || (s.at === best.at && s.seq < best.seq)) best = s;
    }
    if (best !== undefined) this.#sleepers = this.#sleepers.filter((s) => s !== best);
    return best;
  }
}

/** A few macrotask turns: the promise chains a wake-up resumed run until they sleep again. */
async function idle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
