/**
 * One look at one firewall's API within a time budget, turned into an `ApiObservation`.
 * Shared by the health probe (liveness + tunnels), the flow's re-check, the readiness wait
 * (chassis-ready + AutoCom) and the post-cutover verification (tunnels).
 */
import { describeApiKeyRef, type FirewallConfig } from '../config/schema.js';
import type { ApiObservation, ApiOutcomeKind } from '../domain/health.js';
import { errorMessage, isPanFailoverError, SecretUnavailableError } from '../errors.js';
import { clockTimeout, type Clock } from '../ports/clock.js';
import { autoCommitState, type AutoCommitState, type FirewallApiFactory } from '../ports/firewall.js';

export interface ObserveOptions {
  readonly timeoutMs: number;
  /** Ask `show chassis-ready` after a successful liveness call. */
  readonly chassis?: boolean;
  /** Ask the AutoCom job state (readiness wait). */
  readonly autoCommit?: boolean;
  /** Ask the IPsec state. */
  readonly tunnels?: boolean;
}

export interface FirewallApiObservation extends ApiObservation {
  readonly autoCommit?: AutoCommitState;
}

const OUTCOME_BY_ERROR: Readonly<Record<string, ApiOutcomeKind>> = {
  FirewallTimeoutError: 'timeout',
  FirewallUnreachableError: 'unreachable',
  FirewallTlsUntrustedError: 'untrusted',
  FirewallAuthError: 'auth',
  FirewallApiError: 'api-error',
  FirewallMalformedResponseError: 'malformed',
  // The key cannot be read: nothing was asked of the firewall, so nothing is known about it.
  SecretUnavailableError: 'no-key',
};

export function outcomeOf(error: unknown): ApiOutcomeKind {
  if (isPanFailoverError(error)) return OUTCOME_BY_ERROR[error.name] ?? 'api-error';
  if (error instanceof DOMException && error.name === 'TimeoutError') return 'timeout';
  if (error instanceof Error && error.name === 'AbortError') return 'timeout';
  return 'api-error';
}

/** The API key read gets twice the firewall's budget, and at least this long. */
export const KEY_READ_MIN_MS = 8000;

export async function observeFirewallApi(
  factory: FirewallApiFactory,
  firewall: FirewallConfig,
  clock: Clock,
  options: ObserveOptions,
): Promise<FirewallApiObservation> {
  // The key first, outside the firewall's budget: a slow Secrets Manager is not a slow firewall.
  // Bounded on its own: a hanging endpoint makes this look `no-key`, not the round hang.
  let api;
  const keyStarted = clock.now();
  const keyBudget = clockTimeout(clock, Math.max(2 * options.timeoutMs, KEY_READ_MIN_MS));
  try {
    api = await Promise.race([
      factory.forFirewall(firewall, { timeoutMs: options.timeoutMs }),
      new Promise<never>((_, reject) =>
        keyBudget.signal.addEventListener('abort', () => reject(new SecretUnavailableError(describeApiKeyRef(firewall.apiKey), 'the read did not finish in time', { retryable: true })), { once: true }),
      ),
    ]);
  } catch (e) {
    const name = e instanceof Error ? e.name : 'Error';
    return { outcome: outcomeOf(e), latencyMs: clock.now() - keyStarted, error: `${name}: ${errorMessage(e)}` };
  } finally {
    keyBudget.dispose();
  }
  const started = clock.now();
  const budget = clockTimeout(clock, options.timeoutMs);
  const call = { signal: budget.signal };
  try {
    const info = await api.systemInfo(call);
    const chassisReady = options.chassis ? await api.chassisReady(call) : undefined;
    // The AutoCom job only matters once the chassis is ready: not asked before (one request less
    // per readiness check of a booting firewall, which is polled once a second per request).
    const autoCommit = options.autoCommit && chassisReady !== false ? autoCommitState(await api.jobs(call)) : undefined;
    // The firewall is alive at this point: a tunnel query that fails (an answer over the size
    // cap on a hub with many SAs, an API error, the budget) leaves the tunnels unknown only.
    let tunnels;
    let tunnelsError: string | undefined;
    let tunnelsOutcome: ApiOutcomeKind | undefined;
    if (options.tunnels) {
      try {
        tunnels = await api.ipsecState(call);
      } catch (e) {
        tunnelsError = `${e instanceof Error ? e.name : 'Error'}: ${errorMessage(e)}`;
        // The budget ran out while the tunnels were read: an API timeout, not tunnels down.
        tunnelsOutcome = budget.signal.aborted ? 'timeout' : outcomeOf(e);
      }
    }
    return {
      outcome: 'ok',
      latencyMs: clock.now() - started,
      swVersion: info.swVersion,
      hostname: info.hostname,
      uptimeSeconds: info.uptimeSeconds,
      chassisReady,
      autoCommit,
      tunnels,
      ...(tunnelsError !== undefined ? { tunnelsError, tunnelsOutcome } : {}),
    };
  } catch (e) {
    const outcome = budget.signal.aborted ? 'timeout' : outcomeOf(e);
    const name = e instanceof Error ? e.name : 'Error';
    return { outcome, latencyMs: clock.now() - started, error: `${name}: ${errorMessage(e)}` };
  } finally {
    budget.dispose();
  }
}
