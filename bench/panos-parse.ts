/**
 * Parser throughput on real samples and on hostile bodies at the 512 KiB cap.
 * Run alone: `npx tsx bench/panos-parse.ts`; `npm run bench` includes it. Figures depend on the
 * machine; compare runs, not numbers.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { interpretResponse, parseSystemInfo, parseVpnFlow } from '#shared/adapters/panos/index.js';

const FIXTURES = new URL('../tests/fixtures/panos/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, FIXTURES), 'utf8');
const CAP = 512 * 1024;

export interface ParseTiming {
  readonly label: string;
  readonly msPerParse: number;
  readonly hostile: boolean;
}

function attempt(fn: () => void): void {
  try {
    fn();
  } catch {
    // Hostile bodies are expected to be refused; only the time matters here.
  }
}

function time(label: string, runs: number, fn: () => void, hostile = false): ParseTiming {
  attempt(fn);
  const start = performance.now();
  for (let i = 0; i < runs; i++) attempt(fn);
  return { label, msPerParse: (performance.now() - start) / runs, hostile };
}

/** The hostile bodies, each made as large as `cap` allows. */
function hostileBodies(cap: number): Record<string, string> {
  return {
    'many <entry/> siblings': `<response status="success"><result>${'<entry/>'.repeat(cap / 8 - 20)}</result></response>`,
    'unclosed tags': '<a>'.repeat(cap / 3),
    'unquoted attributes': `<response ${'a=1 '.repeat(cap / 4 - 4)}>`,
    'unterminated CDATA starts': '<![CDATA['.repeat(Math.floor(cap / 9)),
  };
}

/** The slowest hostile body at `cap` bytes, ms per parse (per-command caps: RESPONSE_CAPS). */
export function worstHostileAt(cap: number, scale = 1): ParseTiming {
  const ctx = { target: 'bench:443' };
  return Object.entries(hostileBodies(cap))
    .map(([label, body]) => time(`hostile at ${cap / 1024} KiB: ${label}`, Math.max(1, Math.round(5 * scale)), () => interpretResponse({ status: 200, body }, ctx), true))
    .reduce((a, b) => (b.msPerParse > a.msPerParse ? b : a));
}

/** `scale` < 1 runs fewer repetitions (quick bench). */
export function parseTimings(scale = 1): ParseTiming[] {
  const runs = (n: number) => Math.max(1, Math.round(n * scale));
  const ctx = { target: 'bench:443' };
  const results = [
    time('show system info (PA-850, 2.7 KB)', runs(2000), () => parseSystemInfo(read('show-system-info-pa850-10.1.12.xml'), ctx)),
    time('show vpn flow detailed (1.8 KB)', runs(2000), () => parseVpnFlow(read('show-vpn-flow-detail-active.xml'), ctx)),
  ];
  const samples = readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.xml'))
    .map(read);
  results.push(
    time(`all ${samples.length} samples, envelope only`, runs(200), () => {
      for (const s of samples) attempt(() => interpretResponse({ status: 200, body: s }, ctx));
    }),
  );
  const hostile: Record<string, string> = {
    'many <entry/> siblings': `<response status="success"><result>${'<entry/>'.repeat(CAP / 8 - 20)}</result></response>`,
    'unclosed tags': '<a>'.repeat(CAP / 3),
    'unquoted attributes': `<response ${'a=1 '.repeat(CAP / 4 - 4)}>`,
    'unterminated CDATA starts': '<![CDATA['.repeat(CAP / 9),
    'billion laughs (refused)': `<!DOCTYPE l [<!ENTITY a "${'x'.repeat(100)}">]><response status="success"><result>&a;</result></response>`,
  };
  for (const [label, body] of Object.entries(hostile)) {
    results.push(time(`hostile: ${label}`, runs(5), () => interpretResponse({ status: 200, body }, ctx), true));
  }
  return results;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const t of parseTimings()) console.log(`${t.label.padEnd(48)} ${t.msPerParse.toFixed(3).padStart(10)} ms/parse`);
}
