/**
 * One retry layer per call. The AWS SDK retries a failed call by itself (3 attempts, throttling
 * included); the project's `withRetry` (shared/usecases/pacing.ts) retries with its own policy,
 * drains its token bucket on a throttle and respects the invocation's deadline. Stacked, one
 * move could cost 3 x 8 requests, and the bucket would learn of a throttle only after the SDK
 * had given up on it. So a call made inside `withRetry` runs in this scope, and the SDK clients'
 * retry strategy (shared/adapters/aws/clients.ts) makes no retry of its own there; everywhere
 * else (status, a DynamoDB write outside any retry loop) the SDK's retries stay as they are.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const scope = new AsyncLocalStorage<true>();

/** Runs `fn` with the caller owning the retries of every AWS call it makes. */
export function retriedByCaller<T>(fn: () => Promise<T>): Promise<T> {
  return scope.run(true, fn);
}

/** True inside `retriedByCaller`: the SDK must not retry. */
export function isRetriedByCaller(): boolean {
  return scope.getStore() === true;
}
