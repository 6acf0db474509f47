/**
 * `npm run bench:readme`: rewrites the README's measured-figures paragraph (between its
 * `bench:figures` markers) from `bench/results.json`, the raw figures of the last `npm run bench`.
 * The text is built only from that file: a figure the run did not produce is left out, never
 * made up. `--check` exits 1 when the README differs (CI can hold them in step if it wants).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROJECT_ROOT } from '#sim/scenario/run.js';

export const START = '<!-- bench:figures:start (npm run bench:readme writes this paragraph from bench/results.json) -->';
export const END = '<!-- bench:figures:end -->';

interface ResultFigure {
  readonly section: string;
  readonly name: string;
  readonly measured: string;
  readonly target: string;
  readonly status: string;
}

export interface BenchResults {
  readonly startedAt: string;
  readonly node: string;
  readonly cpus: number;
  readonly quick: boolean;
  readonly figures: readonly ResultFigure[];
}

/** The figure whose name starts with `name` (leading spaces of sub-rows ignored). */
function find(r: BenchResults, name: string): ResultFigure | undefined {
  return r.figures.find((f) => f.name.trim().startsWith(name));
}

function verdict(f: ResultFigure): string {
  return f.status === 'OK' || f.status === 'MISSED' ? ` (target ${f.target}: ${f.status})` : '';
}

/** The paragraph: one sentence per figure the run produced, in the order a reader asks. */
export function figuresParagraph(r: BenchResults): string {
  const parts: string[] = [];
  const say = (name: string, text: (f: ResultFigure) => string): void => {
    const f = find(r, name);
    if (f) parts.push(text(f));
  };
  say('detection, worst case (hung API, within one invocation)', (f) => `worst-case detection of a hung firewall at the default policy, over failure instants swept across one probe interval: ${f.measured}${verdict(f)}`);
  say('detection, worst case (hung API, across two invocations)', (f) => `the same across the boundary of two probe invocations: ${f.measured}`);
  say('warm standby, default policy', (f) => `warm standby, failure to traffic on the standby at the default policy: ${f.measured}${verdict(f)}`);
  say('warm standby, fast policy', (f) => `at the fast profile (5 s interval, 2 s timeout, 3 failures): ${f.measured}${verdict(f)}`);
  say('detection (failure -> failover decision)', (f) => `the default cold-standby rehearsal detects the failure in ${f.measured}`);
  say('failure -> traffic on the standby', (f) => `and has traffic on the standby after ${f.measured}, almost all of it the standby's start and boot`);
  say('readiness lag', (f) => `readiness is noticed ${f.measured} after the standby is ready${verdict(f)}`);
  say('flow overhead beyond boot', (f) => `the flow adds ${f.measured} beyond the boot${verdict(f)}`);
  say('probe round, 50 pairs, every firewall hung', (f) => `a probe round of 50 pairs with every firewall hung takes ${f.measured}${verdict(f)}`);
  say('EC2 calls per round', (f) => `EC2 calls per round for 1 / 10 / 50 pairs: ${f.measured}`);
  say('probe memory at 50 pairs', (f) => `at 50 pairs the built probe peaks at ${f.measured}${verdict(f)}`);
  say("probe's own CPU of a 50-pair round", (f) => `and its own CPU of a round at that size is ${f.measured}${verdict(f)}`);
  say('50 cutovers at once', (f) => `50 failovers cutting over at once: ${f.measured}${verdict(f)}`);
  say('cutover 500 routes', (f) => `500 routes move in ${f.measured}`);
  say('probe round, both firewalls hung', (f) => `a probe round with both firewalls hung costs ${f.measured}`);
  say('health-probe bundle size', (f) => `the health-probe bundle is ${f.measured}`);
  say('controller, USD a month, 1 pair', (f) => `the controller costs USD ${f.measured} a month for the example${verdict(f)}`);
  say('10 / 50 pairs, USD a month', (f) => `USD ${f.measured} for 10 / 50 pairs`);
  say('with the always-free tiers', (f) => `with the always-free tiers, 1 / 10 / 50 pairs: USD ${f.measured}`);
  say('probe memory: measured peak', (f) => `probe memory for the example: ${f.measured}`);
  const missed = r.figures.filter((f) => f.status === 'MISSED').map((f) => f.name.trim());
  const head = `From \`npm run bench\` of ${r.startedAt.slice(0, 10)} (Node ${r.node.replace(/^v/, '')}, ${r.cpus} shared cores${r.quick ? ', --quick' : ''}; simulated seconds where marked "sim"):`;
  const tail = missed.length > 0 ? ` Missed targets: ${missed.join('; ')}.` : ' Every target was met.';
  return `${head} ${parts.join('; ')}.${tail}`;
}

/** Wraps at about 100 columns, as the README's prose is. */
function wrap(text: string, width = 100): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line.length > 0 && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line.length > 0 ? `${line} ${word}` : word;
  }
  if (line.length > 0) lines.push(line);
  return lines.join('\n');
}

export function replaceParagraph(readme: string, paragraph: string): string {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new RangeError(`README.md has no ${START} ... ${END} markers`);
  return `${readme.slice(0, a + START.length)}\n${wrap(paragraph)}\n${readme.slice(b)}`;
}

async function main(): Promise<number> {
  const results = JSON.parse(await readFile(join(PROJECT_ROOT, 'bench', 'results.json'), 'utf8')) as BenchResults;
  const path = join(PROJECT_ROOT, 'README.md');
  const before = await readFile(path, 'utf8');
  const after = replaceParagraph(before, figuresParagraph(results));
  if (process.argv.includes('--check')) {
    if (after !== before) {
      process.stderr.write('README.md measured figures differ from bench/results.json: run npm run bench:readme\n');
      return 1;
    }
    return 0;
  }
  await writeFile(path, after);
  process.stdout.write(`README.md: measured figures from the bench run of ${results.startedAt}\n`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(2);
    },
  );
}
