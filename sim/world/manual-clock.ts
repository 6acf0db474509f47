/**
 * A clock that moves only when told (`advance`), for tests that must be exact: token-bucket
 * refills, alarm periods, lag windows. Implements the same `Clock` port as `SimClock`.
 */
import type { Clock } from '#shared/ports/clock.js';

interface Sleeper {
  readonly until: number;
  readonly seq: number;
  readonly resolve: () => void;
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
      const sleeper: Sleeper = {
        until: this.#now + Math.max(0, ms),
        seq: ++this.#seq,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
        reject(signal?.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#sleepers.push(sleeper);
    });
  }

  /**
   * Moves time forward by `ms`, waking sleepers in deadline order, each at its own deadline,
   * and letting the code they resume run before time moves on.
   */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      await flush();
      const due = this.#sleepers
        .filter((s) => s.until <= target)
        .sort((a, b) => a.until - b.until || a.seq - b.seq)[0];
      if (due === undefined) break;
      this.#sleepers = this.#sleepers.filter((s) => s !== due);
      this.#now = Math.max(this.#now, due.until);
      due.resolve();
    }
    this.#now = target;
    await flush();
  }

  /** Sleepers not yet woken. */
  get pendingSleepers(): number {
    return this.#sleepers.length;
  }
}

async function flush(): Promise<void> {
  // A few macrotask turns let promise chains started by a wake-up settle.
  for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
}
