/** Small IPv4 helpers for configuration checks (no dependency needed for this much). */

export function isIpv4(value: string): boolean {
  const parts = value.split('.');
  if (parts.length !== 4) return false;
  return parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

export function isIpv4Cidr(value: string): boolean {
  const [addr, len, ...rest] = value.split('/');
  if (rest.length > 0 || addr === undefined || len === undefined) return false;
  if (!/^(0|[1-9]\d?)$/.test(len) || Number(len) > 32) return false;
  return isIpv4(addr);
}

export function ipv4ToNumber(value: string): number {
  return value.split('.').reduce((acc, p) => acc * 256 + Number(p), 0);
}

const ranges = (list: [string, number][]) =>
  list.map(([base, len]) => ({ base: ipv4ToNumber(base), size: 2 ** (32 - len) }));

// RFC 1918 and RFC 6598 (shared address space, usable in VPCs).
const PRIVATE = ranges([
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['100.64.0.0', 10],
]);
const LOOPBACK = ranges([['127.0.0.0', 8]]);
const SPECIAL = ranges([
  ['0.0.0.0', 8],
  ['169.254.0.0', 16],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
]);

export type Ipv4Class = 'private' | 'loopback' | 'special' | 'public';

/** Documentation ranges (192.0.2/24, 198.51.100/24, 203.0.113/24) count as public, as in examples. */
export function classifyIpv4(value: string): Ipv4Class {
  const n = ipv4ToNumber(value);
  const inAny = (list: { base: number; size: number }[]) => list.some((r) => n >= r.base && n < r.base + r.size);
  if (inAny(PRIVATE)) return 'private';
  if (inAny(LOOPBACK)) return 'loopback';
  if (inAny(SPECIAL)) return 'special';
  return 'public';
}

/** The CIDR with its host bits cleared (`10.1.0.5/16` -> `10.1.0.0/16`), as EC2 stores it. */
export function canonicalCidr(value: string): string {
  const [addr = '', len = '0'] = value.split('/');
  const bits = Number(len);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const n = (ipv4ToNumber(addr) & mask) >>> 0;
  return `${[24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join('.')}/${bits}`;
}
