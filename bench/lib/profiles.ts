/**
 * The probe policies the bench measures: the schema's defaults (the shipped example's) and the
 * documented fast profile for a warm standby (docs/configuration.md, "A fast profile (warm standby)").
 */
import { parse as parseYaml } from 'yaml';
import { validateConfig } from '#shared/config/load.js';
import { readConfigText } from '#shared/config/load-json.js';
import type { Config } from '#shared/config/schema.js';
import { DEFAULT_CONFIG, overlay } from '#sim/scenario/run.js';

export const PROFILES = {
  default: { probe: { intervalSeconds: 10, timeoutSeconds: 4, failuresBeforeFailover: 3 } },
  fast: { probe: { intervalSeconds: 5, timeoutSeconds: 2, failuresBeforeFailover: 3 } },
} as const;
export type ProfileName = keyof typeof PROFILES;

/** The shipped example (examples/hq-egress.yaml) with `settings` laid over its pair. */
export async function exampleWith(settings: Readonly<Record<string, unknown>>): Promise<Config> {
  const raw = parseYaml(await readConfigText(DEFAULT_CONFIG)) as { pairs: unknown[] };
  return validateConfig({ ...raw, pairs: raw.pairs.map((p) => overlay(p, settings)) }, `${DEFAULT_CONFIG} with ${JSON.stringify(settings)}`);
}
