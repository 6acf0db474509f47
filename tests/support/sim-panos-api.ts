/**
 * The simulator's PAN-OS model without HTTPS: a `FirewallApiFactory` whose firewalls answer from
 * a simulated profile through the same response builders and the client's own parsers (the
 * bodies a simulated firewall would serve, parsed as the client parses them). For the
 * preflight's use-case tests, where the wire adds nothing but time; the CLI test uses the real
 * simulator over HTTPS.
 */
import type { FirewallConfig } from '#shared/config/schema.js';
import { parseConfigShow, parseLicenses, parseSystemInfo } from '#shared/adapters/panos/index.js';
import { FirewallUnreachableError } from '#shared/errors.js';
import type { Clock } from '#shared/ports/clock.js';
import type { FirewallApi, FirewallApiFactory } from '#shared/ports/firewall.js';
import { resolveProfile, runningConfig, parseXpath, selectNodes, type FirewallProfile, type FirewallProfileInput } from '#sim/panos/index.js';
import { configShowXml, licensesXml, NOT_PRESENT_XML, systemInfoXml } from '#sim/panos/responses.js';

export class SimPanosApis implements FirewallApiFactory {
  readonly #clock: Clock;
  readonly #profiles = new Map<string, FirewallProfile>();
  /** Firewalls whose API refuses connections. */
  readonly down = new Set<string>();
  /** Every call, as `name method`. */
  readonly calls: string[] = [];

  constructor(clock: Clock, profiles: Readonly<Record<string, FirewallProfileInput>>) {
    this.#clock = clock;
    for (const [name, input] of Object.entries(profiles)) this.#profiles.set(name, resolveProfile(name, input));
  }

  profile(name: string): FirewallProfile {
    const p = this.#profiles.get(name);
    if (!p) throw new Error(`no simulated profile for ${name}`);
    return p;
  }

  /** Replaces profile fields, as `SimFirewall.reconfigure` does. */
  reconfigure(name: string, patch: FirewallProfileInput): void {
    this.#profiles.set(name, resolveProfile(name, { ...this.profile(name), ...patch }));
  }

  forFirewall(firewall: FirewallConfig): Promise<FirewallApi> {
    const name = firewall.name;
    const target = `${firewall.management.host}:${firewall.management.port}`;
    const ctx = { target };
    const answer = <T>(method: string, fn: (p: FirewallProfile) => T): Promise<T> => {
      this.calls.push(`${name} ${method}`);
      if (this.down.has(name)) return Promise.reject(new FirewallUnreachableError(target, 'connect ECONNREFUSED (simulated)'));
      return Promise.resolve(fn(this.profile(name)));
    };
    const refuse = () => Promise.reject(new Error('not used by the preflight'));
    return Promise.resolve({
      target,
      systemInfo: () => answer('systemInfo', (p) => parseSystemInfo(systemInfoXml(p, { now: this.#clock.now(), runningSince: this.#clock.now() - 86_400_000 }), ctx)),
      licenses: () => answer('licenses', (p) => parseLicenses(licensesXml(p, this.#clock.now()), ctx)),
      configShow: (xpath) =>
        answer('configShow', (p) => {
          const parsed = parseXpath(xpath);
          if (!parsed.ok) throw new Error(`bad xpath ${xpath}`);
          const nodes = selectNodes(runningConfig(p), parsed.steps);
          return parseConfigShow(nodes.length === 0 ? NOT_PRESENT_XML : configShowXml(nodes), ctx);
        }),
      chassisReady: refuse,
      jobs: refuse,
      ipsecState: refuse,
    });
  }
}
