/**
 * Hostile-input properties of the PAN-OS response parser: whatever the bytes, it returns a
 * well-typed value or throws one of the three classification errors. Nothing else, no hang,
 * bounded memory.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FirewallApiError, FirewallAuthError, FirewallMalformedResponseError } from '#shared/errors.js';
import {
  interpretResponse,
  parseChassisReady,
  parseConfigShow,
  parseIkeSa,
  parseIpsecSa,
  parseJobs,
  parseSystemInfo,
  parseVpnFlow,
} from '#shared/adapters/panos/index.js';

const FIXTURES = new URL('../fixtures/panos/', import.meta.url);
const samples = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.xml'))
  .map((f) => readFileSync(new URL(f, FIXTURES), 'utf8'));

const ctx = { target: 'fuzz:443' };
const ALLOWED = [FirewallMalformedResponseError, FirewallApiError, FirewallAuthError];

const isOptionalString = (v: unknown) => v === undefined || typeof v === 'string';

/** Runs every parser on `body`; checks the type of what comes back and the class of what is thrown. */
function parseAll(body: string, httpStatus = 200): void {
  const attempts: (() => void)[] = [
    () => void interpretResponse({ status: httpStatus, body }, ctx),
    () => {
      const info = parseSystemInfo(body, ctx);
      for (const [k, v] of Object.entries(info)) {
        if (k === 'uptimeSeconds') expect(v === undefined || Number.isInteger(v)).toBe(true);
        else if (k === 'advancedRouting') expect(v === undefined || typeof v === 'boolean').toBe(true);
        else expect(isOptionalString(v)).toBe(true);
      }
    },
    () => expect(typeof parseChassisReady(body, ctx)).toBe('boolean'),
    () => {
      for (const job of parseJobs(body, ctx)) expect(Object.values(job).every(isOptionalString)).toBe(true);
    },
    () => {
      for (const sa of parseIkeSa(body, ctx)) expect(Object.values(sa).every(isOptionalString)).toBe(true);
    },
    () => {
      for (const sa of parseIpsecSa(body, ctx)) expect(Object.values(sa).every(isOptionalString)).toBe(true);
    },
    () => {
      for (const f of parseVpnFlow(body, ctx)) {
        expect(typeof f.name).toBe('string');
        expect(typeof f.state).toBe('string');
        expect(typeof f.monitor).toBe('string');
      }
    },
    () => {
      const node = parseConfigShow(body, ctx);
      expect(node === undefined || (typeof node === 'object' && !Array.isArray(node))).toBe(true);
    },
  ];
  for (const attempt of attempts) {
    try {
      attempt();
    } catch (e) {
      if (!ALLOWED.some((cls) => e instanceof cls)) throw e;
      // Messages end up in logs and notifications: bounded whatever the body.
      expect((e as Error).message.length).toBeLessThan(1000);
    }
  }
}

// -- generators ---------------------------------------------------------------------------------

const xmlish = fc.string({
  unit: fc.constantFrom('<', '>', '/', '!', '?', '[', ']', '&', ';', '"', "'", '=', ' ', '\n', '-', 'a', 'e', 'x', '#', '\u0000', '\uFEFF', 'é'),
  maxLength: 20,
});

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.nat({ max: 40 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(xmlish, fc.string({ maxLength: 10 })) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), len: fc.nat({ max: 200 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), char: fc.constantFrom('<', '>', '/', '"', '&', ']', 'x', ' ') }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(text: string, m: Mutation): string {
  const at = text.length === 0 ? 0 : m.at % (text.length + 1);
  switch (m.kind) {
    case 'delete':
      return text.slice(0, at) + text.slice(at + m.len);
    case 'insert':
      return text.slice(0, at) + m.text + text.slice(at);
    case 'duplicate':
      return text.slice(0, at + m.len) + text.slice(at, at + m.len) + text.slice(at + m.len);
    case 'truncate':
      return text.slice(0, at);
    case 'swap':
      return text.slice(0, at) + m.char + text.slice(at + 1);
  }
}

const mutatedSample = fc
  .tuple(fc.constantFrom(...samples), fc.array(mutation, { minLength: 1, maxLength: 6 }))
  .map(([sample, ms]) => ms.reduce(mutate, sample));

const NAMES = [
  'response', 'result', 'entry', 'entries', 'job', 'line', 'member', 'msg', 'system', 'IPSec', 'ipsec', 'name', 'id', 'gwid',
  'tid', 'state', 'mon', 'monitor', 'on', 'status', 'uptime', 'sw-version', 'advanced-routing', 'type', 'constructor',
  'toString', 'hasOwnProperty', 'valueOf', 'gateway', 'peerip', 'x',
];
const text = fc.oneof(
  fc.constantFrom('', 'yes', 'no', 'active', 'up', 'off', 'True', '0 days, 0:19:41', 'AutoCom', 'FIN', 'OK', '7', '403'),
  fc.string({ maxLength: 12 }).map((s) => s.replace(/[<&]/g, '')),
  fc.string({ maxLength: 12 }).map((s) => `<![CDATA[${s.replace(/]]>/g, '')}]]>`),
);
const attrs = fc
  .array(
    fc.tuple(fc.constantFrom('status', 'code', 'name', 'count'), fc.constantFrom('success', 'error', '7', '19', '403', '12', 'x', ' success ')),
    { maxLength: 3 },
  )
  .map((pairs) => [...new Map(pairs)].map(([k, v]) => ` ${k}="${v}"`).join(''));
const { tree } = fc.letrec<{ tree: string }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text,
    fc
      .tuple(fc.constantFrom(...NAMES), attrs, fc.array(tie('tree'), { maxLength: 4 }))
      .map(([name, a, children]) => `<${name}${a}>${children.join('')}</${name}>`),
  ),
}));
const structured = fc
  .tuple(fc.constantFrom('success', 'error', "success' code='7", 'success" code="19'), fc.array(tree, { maxLength: 4 }))
  .map(([status, children]) => `<response status="${status}"><result>${children.join('')}</result></response>`);

// -- properties ---------------------------------------------------------------------------------

function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

describe('PAN-OS response parser under hostile input', () => {
  it('only ever throws the three classification errors, over 11,000 inputs, with bounded memory', () => {
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    let runs = 0;
    const count = () => {
      runs += 1;
    };

    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (s) => (count(), parseAll(s))), { numRuns: 2500 });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => (count(), parseAll(new TextDecoder().decode(bytes)))),
      { numRuns: 1500 },
    );
    fc.assert(fc.property(mutatedSample, (s) => (count(), parseAll(s))), { numRuns: 3500 });
    fc.assert(
      fc.property(structured, fc.constantFrom(200, 400, 403, 500), (s, status) => (count(), parseAll(s, status))),
      { numRuns: 3500 },
    );

    expect(runs).toBeGreaterThanOrEqual(11_000);
    collectGarbage();
    const grownMb = (process.memoryUsage().heapUsed - before) / 1024 / 1024;
    // Leaks would grow with the number of runs; a few MB is code and caches warming up.
    expect(grownMb).toBeLessThan(24);
  }, 120_000);

  it('every real sample still parses or classifies after a single mutation (smoke of the generator)', () => {
    // Guards the generator itself: unmutated samples must be accepted, so the mutations are what fails.
    for (const s of samples.filter((x) => x.trimStart().startsWith('<response') || x.includes('<?xml'))) {
      expect(() => interpretResponse({ status: 200, body: s }, ctx)).not.toThrow(FirewallMalformedResponseError);
    }
  });

  it.each([
    ['unclosed tags', '<a>'.repeat(170_000)],
    ['unterminated CDATA starts', '<![CDATA['.repeat(58_000)],
    ['unquoted attributes', `<response ${'a=1 '.repeat(130_000)}>`],
    ['open angle brackets', '<'.repeat(500_000)],
    ['closing-tag prefixes', `<r>${'</'.repeat(250_000)}`],
    ['many siblings', `<response status="success"><result>${'<entry/>'.repeat(60_000)}</result></response>`],
  ])('a hostile body of about 512 KiB (%s) is classified, not hung on', (_label, body) => {
    // Every parser goes through the same envelope parse; once is enough here.
    try {
      interpretResponse({ status: 200, body }, ctx);
    } catch (e) {
      expect(ALLOWED.some((cls) => e instanceof cls)).toBe(true);
      expect((e as Error).message.length).toBeLessThan(1000);
    }
  }, 60_000);
});
