/**
 * Pacing for bursts of mutating EC2 calls: a client-side token bucket per API action (EC2
 * throttles per action with a bucket of 50 and a refill of 5/s for ReplaceRoute and
 * AssociateAddress), a concurrency bound, and retries with backoff and jitter for throttling
 * and transient errors. Staying inside the bucket is cheaper than burning the SDK's retries:
 * a large cutover then runs at the bucket's refill rate, which is the physical floor.
 */
import { timeLeftMs, type Clock } from '../ports/clock.js';
import { isPanFailoverError } from '../errors.js';
import { retriedByCaller } from '../runtime/retry-scope.js';

export class TokenBucket {
  readonly #clock: Clock;
  readonly #capacity: number;
  readonly #perMs: number;
  #tokens: number;
  #last: number;
  #queue: Promise<void> = Promise.resolve();

  constructor(clock: Clock, capacity: number, refillPerSecond: number) {
    this.#clock = clock;
    this.#capacity = capacity;
    this.#perMs = refillPerSecond / 1000;
    this.#tokens = capacity;
    this.#last = clock.now();
  }

  /** Resolves when a token is taken; callers are served in order. */
  take(): Promise<void> {
    const turn = this.#queue.then(() => this.#takeNow());
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  /** After a throttling answer the server's bucket is empty whatever ours says: drain ours. */
  drain(): void {
    this.#refill();
    this.#tokens = Math.min(this.#tokens, 0);
  }

  #refill(): void {
    const now = this.#clock.now();
    this.#tokens = Math.min(this.#capacity, this.#tokens + (now - this.#last) * this.#perMs);
    this.#last = now;
  }

  async #takeNow(): Promise<void> {
    for (;;) {
      this.#refill();
      if (this.#tokens >= 1) {
        this.#tokens -= 1;
        return;
      }
      await this.#clock.sleep(Math.ceil((1 - this.#tokens) / this.#perMs));
    }
  }
}

export interface RetryPolicy {
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Which errors to retry (default: every retryable one). */
  readonly retryIf?: (e: unknown) => boolean;
}

/** The least time worth starting one more AWS call with before a deadline. */
export const MIN_CALL_MS = 2_000;

export const DEFAULT_RETRY: RetryPolicy = { attempts: 8, baseDelayMs: 200, maxDelayMs: 10_000 };

export function isRetryable(e: unknown): boolean {
  return isPanFailoverError(e) && e.retryable;
}

/** Throttling and transient transport errors only: what is worth retrying at once, in place. */
export function isThrottleOrTransient(e: unknown): boolean {
  return isPanFailoverError(e) && (e.name === 'AwsThrottledError' || e.name === 'AwsTransientError');
}

export function isThrottle(e: unknown): boolean {
  return isPanFailoverError(e) && e.name === 'AwsThrottledError';
}

/**
 * Runs `call` with retries on retryable errors (exponential backoff, full jitter).
 * `onRetry` sees each retried error (for counting throttles). Terminal errors are rethrown at once.
 * This is the only retry layer of the AWS calls `call` makes: the SDK does not retry them
 * (shared/runtime/retry-scope.ts), so the first throttle reaches `onRetry` and the caller's bucket.
 */
export async function withRetry<T>(
  clock: Clock,
  call: () => Promise<T>,
  policy: RetryPolicy = DEFAULT_RETRY,
  onRetry: (e: unknown, attempt: number) => void = () => undefined,
  random: () => number = Math.random,
): Promise<T> {
  const once = policy.attempts > 1 ? () => retriedByCaller(call) : call;
  for (let attempt = 1; ; attempt++) {
    try {
      return await once();
    } catch (e) {
      if (!(policy.retryIf ?? isRetryable)(e) || attempt >= policy.attempts) throw e;
      const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      const delay = random() * cap;
      // No retry that cannot end before the invocation's deadline: the caller (or the state
      // machine's Retry, after this invocation has ended) tries again.
      if (timeLeftMs(clock) < delay + MIN_CALL_MS) throw e;
      onRetry(e, attempt);
      await clock.sleep(delay);
    }
  }
}

/** Maps `items` through `fn` with at most `limit` in flight; results keep the input order. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
