/**
 * A clock that moves only when told, for tests and benchmarks that must be exact (token-bucket
 * refills, alarm periods, lag windows, boot phases) whatever the machine's load. Implements the
 * same `Clock` port as the speed-factor `SimClock`.
 *
 * - `advance(ms)` / `set(epochMs)`: moves time, waking sleepers in deadline order, each at its
 *   own deadline, and lets the code they resume run before time moves on. When no sleeper is
 *   due, the new time is visible synchronously.
 * - `run(work)`: a discrete-event driver: whenever the work is idle, time jumps to the next
 *   sleeper's deadline, until the work settles. Only for work without real I/O.
 */
import type { Clock } from '#shared/ports/clock.js';

interface Sleeper {
  readonly at: number;
  readonly seq: number;
  readonly wake: () => void;
}

export class ClockStuckError extends Error {
  override readonly name = 'ClockStuckError';
}

export class ManualClock implements Clock {
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
        seq: ++this.#seq,
        wake: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#sleepers.push(sleeper);
      // A zero sleep is due now; it still resolves asynchronously, as a timer would.
      if (ms <= 0) queueMicrotask(() => this.#wakeDue(this.#now));
    });
  }

  /** Sleepers not yet woken. */
  get pendingSleepers(): number {
    return this.#sleepers.length;
  }

  /** Moves time forward by `ms`. */
  advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError('advance needs ms >= 0');
    return this.set(this.#now + ms);
  }

  /** Moves time to `epochMs` (never backwards). */
  async set(epochMs: number): Promise<void> {
    if (epochMs < this.#now) throw new RangeError('time does not go backwards');
    for (;;) {
      // Let code already under way reach its next sleep before deciding what is due.
      await idle();
      const due = this.#takeEarliest(epochMs);
      if (due === undefined) break;
      this.#now = Math.max(this.#now, due.at);
      due.wake();
    }
    this.#now = epochMs;
    await idle();
  }

  /**
   * Drives time until `work` settles and returns its result (or rethrows its error). Throws
   * `ClockStuckError` if the work is still pending with nobody asleep (it waits on something
   * else) or once `limitMs` of clock time has passed.
   */
  async run<T>(work: Promise<T>, options: { limitMs?: number } = {}): Promise<T> {
    let settled = false;
    const watched = work.finally(() => {
      settled = true;
    });
    // Delivered by `return watched`; this only keeps an early rejection from being unhandled.
    watched.catch(() => undefined);
    const limitMs = options.limitMs ?? 86_400_000;
    const limit = this.#now + limitMs;
    for (;;) {
      await idle();
      if (settled) return watched;
      const next = this.#takeEarliest(Infinity);
      if (next === undefined) throw new ClockStuckError('the work is pending but nothing sleeps on the clock');
      if (next.at > limit) {
        this.#sleepers.push(next);
        throw new ClockStuckError(`the work did not finish within ${limitMs} ms of clock time`);
      }
      this.#now = Math.max(this.#now, next.at);
      next.wake();
    }
  }

  #wakeDue(at: number): void {
    for (let due = this.#takeEarliest(at); due !== undefined; due = this.#takeEarliest(at)) due.wake();
  }

  #takeEarliest(notAfter: number): Sleeper | undefined {
    let best: Sleeper | undefined;
    for (const s of this.#sleepers) {
      if (s.at > notAfter) continue;
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
