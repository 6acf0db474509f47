/**
 * A configuration of `n` pairs shaped like the example (two firewalls with their API keys, four
 * routes in two route tables, two Elastic IPs, one DNS record), each with its own instances,
 * ENIs, route tables, addresses, hosted zone and record name: the shape the IAM size limits are
 * measured on (docs/deployment.md).
 */
import { validateConfig } from '#shared/config/load.js';
import type { Config } from '#shared/config/schema.js';
import { exampleRaw } from './config.js';

const hex = (k: number, width: number) => k.toString(16).padStart(width, '0');

export function manyPairConfig(n: number, options: { fallbackInstanceTypes?: readonly string[] } = {}): Config {
  const raw = exampleRaw();
  const template = JSON.stringify(raw.pairs[0]);
  raw.pairs = Array.from({ length: n }, (_, i) => {
    const k = i + 1;
    // One pass, so that no replacement is replaced again.
    const map: Record<string, string> = {
      'hq-egress': `site-${String(k).padStart(2, '0')}-egress`,
      'fw-a': `fw-${k}a`,
      'fw-b': `fw-${k}b`,
      'i-0a1b2c3d4e5f60001': `i-0a1b2c3d4e${hex(k, 4)}01`,
      'i-0a1b2c3d4e5f60002': `i-0a1b2c3d4e${hex(k, 4)}02`,
      'eni-0a0000000000000': `eni-0a${hex(k, 4)}000000000`,
      'eni-0b0000000000000': `eni-0b${hex(k, 4)}000000000`,
      'rtb-0aa000000000000': `rtb-0aa${hex(k, 4)}00000000`,
      'eipalloc-0e000000000000': `eipalloc-0e${hex(k, 4)}00000000`,
      Z0123456789ABCDEFGHIJ: `Z0123456789ABCDEF${hex(k, 4).toUpperCase()}`,
      '198.51.100.10': `198.51.${100 + Math.floor(k / 100)}.${(k % 100) * 2}`,
      '198.51.100.20': `198.51.${100 + Math.floor(k / 100)}.${(k % 100) * 2 + 1}`,
      '10.10.': `10.${k}.`,
      '10.20.': `10.${100 + k}.`,
      'gp.example.com': `gp-${k}.example.com`,
    };
    const pattern = new RegExp(Object.keys(map).map((x) => x.replaceAll('.', '\\.')).join('|'), 'g');
    const text = template.replace(pattern, (m) => map[m] ?? m);
    const pair = JSON.parse(text) as Record<string, unknown>;
    if (options.fallbackInstanceTypes) pair.start = { ...(pair.start as object | undefined), fallbackInstanceTypes: [...options.fallbackInstanceTypes] };
    return pair;
  });
  return validateConfig(raw);
}
