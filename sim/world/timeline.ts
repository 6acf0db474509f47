/**
 * The history of one resource's state, so that Describe calls can show the world as it was
 * `lagMs` ago (EC2's eventual consistency) while mutations act on the current state.
 */

interface Version<T> {
  readonly from: number;
  readonly value: T;
}

/** How long superseded versions are kept; lags longer than this see the oldest kept version. */
const KEEP_MS = 15 * 60_000;

export class Timeline<T> {
  readonly #versions: Version<T>[];

  /** The initial value is visible at any time, however large the lag. */
  constructor(initial: T) {
    this.#versions = [{ from: Number.NEGATIVE_INFINITY, value: initial }];
  }

  get current(): T {
    return (this.#versions[this.#versions.length - 1] as Version<T>).value;
  }

  set(at: number, value: T): void {
    // Versions stay in time order even if a caller is late to apply a timed transition.
    const last = this.#versions[this.#versions.length - 1] as Version<T>;
    this.#versions.push({ from: Math.max(at, last.from), value });
    // Drop versions nobody can see any more, but always keep the one in force at the cut-off.
    const cutoff = at - KEEP_MS;
    while (this.#versions.length > 1 && (this.#versions[1] as Version<T>).from <= cutoff)
      this.#versions.shift();
  }

  /** The value in force at simulated time `t`. */
  at(t: number): T {
    for (let i = this.#versions.length - 1; i >= 0; i--) {
      const v = this.#versions[i] as Version<T>;
      if (v.from <= t) return v.value;
    }
    return (this.#versions[0] as Version<T>).value;
  }
}
