/** Small factory for configurations in tests: the example topology, with overrides. */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { validateConfig } from '#shared/config/load.js';
import type { Config, PairConfig } from '#shared/config/schema.js';

const EXAMPLE = new URL('../../examples/hq-egress.yaml', import.meta.url);

/** The example file as a plain (mutable) object. */
export function exampleRaw(): { version: 1; pairs: Record<string, unknown>[] } {
  return parse(readFileSync(EXAMPLE, 'utf8')) as { version: 1; pairs: Record<string, unknown>[] };
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

function merge(base: unknown, patch: unknown): unknown {
  if (patch === undefined) return base;
  if (Array.isArray(patch) || typeof patch !== 'object' || patch === null) return patch;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(patch)) out[k] = merge(out[k], v);
  return out;
}

/** A valid config whose single pair is the example pair with `patch` deep-merged into it. */
export function makeConfig(patch: DeepPartial<PairConfig> = {}): Config {
  const raw = exampleRaw();
  raw.pairs[0] = merge(raw.pairs[0], patch) as Record<string, unknown>;
  return validateConfig(raw);
}

export function makePair(patch: DeepPartial<PairConfig> = {}): PairConfig {
  const pair = makeConfig(patch).pairs[0];
  if (!pair) throw new Error('no pair');
  return pair;
}

/**
 * `config` with every firewall's API key in Secrets Manager (`pan-failover/<firewall>/api-key`)
 * instead of the example's Parameter Store parameters: the tests of the Secrets Manager path.
 */
export function keysInSecretsManager(config: Config = makeConfig()): Config {
  const raw = JSON.parse(JSON.stringify(config)) as { pairs: { firewalls: Record<string, { name: string; apiKey: unknown }> }[] };
  for (const pair of raw.pairs) for (const fw of Object.values(pair.firewalls)) fw.apiKey = { secretsManager: `pan-failover/${fw.name}/api-key` };
  return validateConfig(raw);
}
