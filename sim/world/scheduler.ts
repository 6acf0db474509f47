/**
 * Timed transitions of the world (an instance reaching `running`, a DNS change going INSYNC,
 * an alarm evaluation) on the simulated clock.
 *
 * Tasks run in order of their due time and receive that time, not the moment the timer
 * happened to fire: a late timer on a loaded machine does not shift the timeline. Every world
 * operation calls `runDue()` first, so a read never sees a state that should already have
 * changed, whatever the timers do.
 */
import type { Clock } from '#shared/ports/clock.js';

export type ScheduledTask = (at: number) => void;

interface Entry {
  readonly at: number;
  readonly seq: number;
  readonly task: ScheduledTask;
  cancelled: boolean;
}

export interface TaskHandle {
  cancel(): void;
  readonly at: number;
}

export class Scheduler {
  readonly #clock: Clock;
  readonly #queue: Entry[] = [];
  #seq = 0;
  #running = false;
  #closed = false;
  /** Time of the last task run: tasks scheduled in the past run at this time, keeping the log monotonic. */
  #horizon: number;
  #timer: { at: number; abort: AbortController } | undefined;
  /** Failures of tasks, kept for `close()` and tests; a failing task never stops the others. */
  readonly failures: unknown[] = [];

  constructor(clock: Clock) {
    this.#clock = clock;
    this.#horizon = clock.now();
  }

  at(at: number, task: ScheduledTask): TaskHandle {
    const entry: Entry = { at: Math.max(at, this.#horizon), seq: ++this.#seq, task, cancelled: false };
    const index = this.#queue.findIndex((e) => e.at > entry.at);
    if (index === -1) this.#queue.push(entry);
    else this.#queue.splice(index, 0, entry);
    this.#arm();
    return {
      at: entry.at,
      cancel: () => {
        entry.cancelled = true;
      },
    };
  }

  after(delayMs: number, task: ScheduledTask): TaskHandle {
    return this.at(this.#clock.now() + Math.max(0, delayMs), task);
  }

  /** Runs every task due at or before `now` (default: the clock's now), in time order. */
  runDue(now: number = this.#clock.now()): void {
    if (this.#running) return;
    this.#running = true;
    try {
      for (;;) {
        const next = this.#queue[0];
        if (next === undefined || next.at > now) break;
        this.#queue.shift();
        if (next.cancelled) continue;
        this.#horizon = Math.max(this.#horizon, next.at);
        try {
          next.task(next.at);
        } catch (e) {
          this.failures.push(e);
          queueMicrotask(() => {
            throw e;
          });
        }
      }
      this.#horizon = Math.max(this.#horizon, now);
    } finally {
      this.#running = false;
    }
    this.#arm();
  }

  get pending(): number {
    return this.#queue.filter((e) => !e.cancelled).length;
  }

  /** Stops the timer; queued tasks never run. */
  close(): void {
    this.#closed = true;
    this.#queue.length = 0;
    this.#timer?.abort.abort();
    this.#timer = undefined;
  }

  #arm(): void {
    if (this.#closed) return;
    const next = this.#queue.find((e) => !e.cancelled);
    if (next === undefined) {
      this.#timer?.abort.abort();
      this.#timer = undefined;
      return;
    }
    if (this.#timer !== undefined && this.#timer.at <= next.at) return;
    this.#timer?.abort.abort();
    const abort = new AbortController();
    const timer = { at: next.at, abort };
    this.#timer = timer;
    this.#clock.sleep(Math.max(0, next.at - this.#clock.now()), abort.signal).then(
      () => {
        if (this.#timer === timer) this.#timer = undefined;
        this.runDue();
      },
      () => {
        // Aborted: a sooner task re-armed the timer, or the world closed.
      },
    );
  }
}
