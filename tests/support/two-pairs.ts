/** A configuration with two independent pairs, for tests where one pair's trouble must not touch the other. */
import { validateConfig } from '#shared/config/load.js';
import type { Config } from '#shared/config/schema.js';
import { exampleRaw } from './config.js';

/**
 * The example pair (`hq-egress`: fw-a / fw-b) plus `branch-egress` (fw-c / fw-d) with its own
 * instances, ENIs, route tables, EIPs and DNS name.
 */
export function twoPairConfig(standbyMode: 'cold' | 'warm' = 'cold'): Config {
  const raw = exampleRaw();
  const first = { ...raw.pairs[0], standbyMode };
  const text = JSON.stringify(first)
    .replaceAll('hq-egress', 'branch-egress')
    .replaceAll('fw-a', 'fw-c')
    .replaceAll('fw-b', 'fw-d')
    .replaceAll('i-0a1b2c3d4e5f60001', 'i-0a1b2c3d4e5f60003')
    .replaceAll('i-0a1b2c3d4e5f60002', 'i-0a1b2c3d4e5f60004')
    .replaceAll('eni-0a', 'eni-0c')
    .replaceAll('eni-0b', 'eni-0d')
    .replaceAll('rtb-0aa', 'rtb-0cc')
    .replaceAll('eipalloc-0e', 'eipalloc-0f')
    .replaceAll('198.51.100.10', '198.51.100.30')
    .replaceAll('198.51.100.20', '198.51.100.40')
    .replaceAll('10.10.', '10.30.')
    .replaceAll('10.20.', '10.40.')
    .replaceAll('gp.example.com', 'vpn.example.com');
  raw.pairs = [first, JSON.parse(text) as Record<string, unknown>];
  return validateConfig(raw);
}
