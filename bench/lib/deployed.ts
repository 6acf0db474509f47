/**
 * Settings of the deployment that the figures depend on, read from serverless.yml so that a
 * change there (the probe's memory, say) moves every figure that scales with it.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { loadConfigFile } from '#shared/config/load.js';
import type { Config } from '#shared/config/schema.js';
import { DEFAULT_CONFIG } from '#sim/scenario/run.js';
import { probeMemoryFor } from '../../infra/deployment.js';

interface ServerlessFile {
  readonly provider?: { readonly memorySize?: number };
  readonly functions?: Record<string, { readonly memorySize?: number } | undefined>;
}

const file = parse(readFileSync(new URL('../../serverless.yml', import.meta.url), 'utf8')) as ServerlessFile;

/** The memory (MB) the named function runs with: its own `memorySize`, else the provider's. */
export function functionMemoryMb(name: string): number {
  const mb = file.functions?.[name]?.memorySize ?? file.provider?.memorySize;
  if (typeof mb !== 'number' || !(mb >= 128)) throw new Error(`serverless.yml: no memorySize for ${name} or the provider`);
  return mb;
}

/**
 * The health probe's memory (MB) as deployed for the example (serverless.yml takes it from the
 * deployment, which sizes it by the pairs: infra/deployment.ts `probeMemoryFor`).
 */
export const PROBE_MEMORY_MB = probeMemoryFor(await loadConfigFile(DEFAULT_CONFIG));

/** The same for another configuration (the scale section's 50 pairs). */
export function probeMemoryMb(config: Config): number {
  return probeMemoryFor(config);
}
