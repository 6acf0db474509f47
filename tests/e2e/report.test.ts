/**
 * `pan-failover report` and the rehearsal's report, end to end: three reports rendered from what
 * the simulator keeps (the default rehearsal; a failed flow and a no-op flow read back through
 * the real SDK clients, as from AWS), then opened in a real headless Chromium.
 *
 * The browser half needs Debian's `chromium` (`.ci/run` installs it). Without it the browser
 * tests fail in CI (CI=true) and are skipped elsewhere, loudly; the rest does not need it.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportCommand } from '#cli/commands/report.js';
import { rehearsalReport } from '#cli/report/from-rehearsal.js';
import type { ReportModel } from '#cli/report/model.js';
import { writeRehearsalReport } from '#cli/report/write.js';
import { DEFAULT_SCENARIO } from '#cli/commands/rehearse.js';
import { validateConfig } from '#shared/config/load.js';
import { timeline, type FlowState } from '#shared/usecases/flow/state.js';
import { runScenario, scenarioConfig } from '#sim/scenario/run.js';
import { loadScenario } from '#sim/scenario/schema.js';
import { exampleRaw } from '../support/config.js';
import { captureOutput, startCliSim } from '../support/cli-sim.js';

const HOSTILE = '<script>window.__pwned=1</script><img src=x onerror=alert(1)>';
const CHROMIUM = '/usr/bin/chromium';
const OUT = resolve('reports', 'test');

interface Rendered {
  readonly name: string;
  readonly model: ReportModel;
  readonly html: string;
  readonly file: string;
  /** The flow's own record of its moves and phases, to compare the page with. */
  readonly flowMoves: readonly string[];
  readonly flowPhases: readonly string[];
}

const rendered: Rendered[] = [];
let scratch = '';

function hostileConfig() {
  const raw = exampleRaw() as ReturnType<typeof exampleRaw> & { report?: unknown };
  const pair = raw.pairs[0] as { elasticIps: { purpose?: string }[]; readiness?: Record<string, unknown> };
  if (pair.elasticIps[1]) pair.elasticIps[1].purpose = HOSTILE.slice(0, 100);
  pair.readiness = { ...pair.readiness, deadlineSeconds: 60 };
  raw.report = { timeZone: 'Asia/Tokyo' };
  return validateConfig(raw);
}

/** A flow run on a wire simulator, then reported by the CLI command (SDK clients over HTTP). */
async function cliFlow(name: string, input: Record<string, unknown>, faults: boolean): Promise<Rendered> {
  const sim = await startCliSim({ config: hostileConfig(), ...(faults ? { firewalls: { 'fw-b': { faults: { neverReady: true } } } } : {}) });
  try {
    const arn = sim.system.startFlow(input, `report-${name}`);
    const record = await sim.system.waitExecution(arn);
    const file = join(OUT, `${name}.html`);
    const { result, stdout, stderr } = await captureOutput(() => reportCommand({ config: sim.configPath, execution: arn, out: file, json: true }));
    if (!existsSync(file)) throw new Error(`no report written: exit ${result}, ${stdout} ${stderr}`);
    const envelope = JSON.parse(stdout) as { schemaVersion: number; command: string; exitCode: number; result: ReportModel & { file: string } };
    expect([envelope.schemaVersion, envelope.command, envelope.exitCode, envelope.result.file]).toEqual([1, 'report', result, file]);
    const json = envelope.result;
    expect(json.outcome).toBe(name === 'failed-flow' ? 'failed' : 'noop');
    expect(result).toBe(name === 'failed-flow' ? 1 : 0);
    // What the flow itself recorded: its last state in the execution history (the failure has no output).
    const states = sim.system.world.sfn
      .history(arn)
      .filter((e) => e.type === 'TaskSucceeded')
      .map((e) => JSON.parse(e.output ?? 'null') as FlowState | null)
      .filter((s): s is FlowState => s !== null && typeof s === 'object' && 'phases' in s);
    const last = record.output ? (JSON.parse(record.output) as FlowState) : states.at(-1);
    if (!last) throw new Error('no flow state recorded');
    const html = readFileSync(file, 'utf8');
    const model: ReportModel = json;
    return { name, model, html, file, flowMoves: last.cutover?.moved ?? [], flowPhases: timeline(last).map((t) => t.phase) };
  } finally {
    await sim.close();
  }
}

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  scratch = mkdtempSync(join(tmpdir(), 'pan-failover-report-'));
  // 1. The default rehearsal (what `npm start` plays).
  const scenario = await loadScenario(DEFAULT_SCENARIO);
  const run = await runScenario(scenario, { keepOpen: true });
  try {
    // What `npm start` does at its end: the report, with the configuration as written.
    const config = await scenarioConfig(scenario);
    const file = join(OUT, 'rehearsal.html');
    expect(await writeRehearsalReport(run, file, config)).toBe(file);
    const html = readFileSync(file, 'utf8');
    const model = rehearsalReport(run, Date.now(), config);
    if (!model) throw new Error('the rehearsal ran no flow');
    expect(html).toContain('mgmt 10.10.0.10');
    const main = run.report.flows.find((f) => f.outcome === 'succeeded' && f.action === 'failover');
    if (!main?.state) throw new Error(`no successful failover in the rehearsal: ${JSON.stringify({ ok: run.ok, failures: run.failures, flows: run.report.flows.map((f) => [f.name, f.action, f.outcome, f.summary]) })}`);
    rendered.push({ name: 'rehearsal', model, html, file, flowMoves: main.state.cutover?.moved ?? [], flowPhases: ['detect', ...timeline(main.state).map((t) => t.phase)] });
  } finally {
    await run.system.close();
  }
  // 2. A failed flow: the standby never becomes ready (readiness deadline 60 s); a hostile reason.
  rendered.push(await cliFlow('failed-flow', { pair: 'hq-egress', action: 'failover', force: true, source: 'manual', reason: HOSTILE, requestedBy: HOSTILE }, true));
  // 3. A no-op flow: a failover requested while the active firewall is healthy.
  rendered.push(await cliFlow('noop-flow', { pair: 'hq-egress', action: 'failover', source: 'manual', reason: 'stale trigger' }, false));
}, 240_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('report files', () => {
  it('are self-contained: no script, no external reference, under 500 KB', () => {
    expect(rendered.map((r) => r.name)).toEqual(['rehearsal', 'failed-flow', 'noop-flow']);
    for (const r of rendered) {
      expect(statSync(r.file).size, r.name).toBeLessThan(500 * 1024);
      expect(r.html).not.toMatch(/<script/i);
      expect(r.html).not.toMatch(/<[^>]*\s(src|href|xlink:href)\s*=/i);
      expect(r.html).not.toMatch(/url\(|@import/i);
      expect(r.html).toContain("default-src 'none'");
    }
  });

  it('a hostile reason and EIP purpose are text, not markup', () => {
    const failed = rendered.find((r) => r.name === 'failed-flow');
    expect(failed?.html).toContain('&lt;script>window.__pwned=1&lt;/script>&lt;img src=x onerror=alert(1)>');
    expect(failed?.html).not.toContain('<img');
  });

  it('the rehearsal report has the flow moves, the boot sub-phases and both time zones', () => {
    const r = rendered.find((x) => x.name === 'rehearsal');
    expect(r?.model.moves.map((m) => m.key).sort()).toEqual([
      'eip:eipalloc-0e000000000000001',
      'eip:eipalloc-0e000000000000002',
      'route:rtb-0aa00000000000001:0.0.0.0/0',
      'route:rtb-0aa00000000000001:172.16.0.0/12',
      'route:rtb-0aa00000000000002:0.0.0.0/0',
      'route:rtb-0aa00000000000002:172.16.0.0/12',
    ]);
    expect(r?.model.moves.every((m) => m.from === 'primary' && m.to === 'secondary')).toBe(true);
    const boot = r?.model.phases.find((p) => p.id === 'boot');
    expect(boot?.sub?.map((s) => s.label)).toEqual(['instance pending / starting', 'management plane not answering', 'API answers 403 (auth not up yet)', 'API up, chassis-ready no']);
    expect(r?.model.trigger.rounds.filter((x) => x.action === 'failover')).toHaveLength(1);
    // The rounds behind the decision come from the flow's input, as for a real flow: the streak the probe counted.
    expect(r?.model.trigger.source).toBe('probe');
    expect(r?.model.trigger.rounds).toHaveLength(3);
    expect(r?.model.trigger.rounds.every((x) => x.primary !== 'healthy' && (x.failed ?? '').length > 0)).toBe(true);
    expect(r?.model.verdict.status).toBe('consistent');
    const failed = rendered.find((x) => x.name === 'failed-flow');
    expect(failed?.html).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    expect(failed?.html).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d GMT\+9 \(Asia\/Tokyo\)/);
  });

  it('the failed flow names its error and phase; the no-op its reason', () => {
    const failed = rendered.find((x) => x.name === 'failed-flow');
    expect(failed?.model.errors[0]).toMatchObject({ name: 'StandbyNotReadyError', phase: 'boot' });
    const noop = rendered.find((x) => x.name === 'noop-flow');
    expect(noop?.model.outcome).toBe('noop');
    expect(noop?.model.moves).toEqual([]);
  });
});

const chromium = existsSync(CHROMIUM);
if (!chromium) {
  process.stderr.write(`\n*** ${CHROMIUM} is missing: the report's browser tests ${process.env.CI ? 'FAIL' : 'are SKIPPED'} (apt-get update && apt-get install -y chromium) ***\n\n`);
}

describe.skipIf(!chromium && !process.env.CI)('reports in headless Chromium', () => {
  let browser: BrowserContext | undefined;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get update && apt-get install -y chromium)`);
    const { chromium: driver } = await import('playwright-core');
    browser = await driver.launchPersistentContext(mkdtempSync(join(scratch || tmpdir(), 'chromium-')), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1600, height: 900 },
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  for (const name of ['rehearsal', 'failed-flow', 'noop-flow']) {
    it(`${name}: loads offline without errors; one node per configured object; moves and phases as the flow recorded them`, async () => {
      const r = rendered.find((x) => x.name === name);
      if (!r || !browser) throw new Error('not rendered');
      const page = await browser.newPage();
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('requestfailed', (q) => problems.push(`request failed: ${q.url()}`));
      page.on('request', (q) => requests.push(q.url()));
      const url = pathToFileURL(r.file).href;
      await page.goto(url, { waitUntil: 'load' });
      expect(problems).toEqual([]);
      expect(requests).toEqual([url]);

      const t = r.model.topology;
      for (const which of ['before', 'after']) {
        const count = (node: string) => page.locator(`[data-diagram="${which}"] [data-node="${node}"]`).count();
        expect(await count('firewall')).toBe(2);
        expect(await count('route-table')).toBe(t.routeTables.length);
        expect(await count('route')).toBe(t.routeTables.reduce((s, x) => s + x.routes.length, 0));
        expect(await count('eip')).toBe(t.eips.length);
        expect(await count('dns')).toBe(t.dns.length);
        const highlighted = await page.locator(`[data-diagram="${which}"] [data-moved="true"]`).evaluateAll((els) => els.map((e) => e.getAttribute('data-key')));
        expect(highlighted.sort(), `${which}: highlighted moves`).toEqual(r.model.moves.map((m) => m.key).sort());
      }
      // The page's moves are the flow's own record of them (its change labels), one row each.
      expect(await page.locator('[data-move]').count()).toBe(r.flowMoves.length + r.model.moves.filter((m) => m.kind === 'dns').length);
      const phases = await page.locator('svg.gantt [data-phase]').evaluateAll((els) => els.map((e) => e.getAttribute('data-phase')));
      expect(phases).toEqual(r.flowPhases);
      // The hostile value is on the page as text, and did nothing.
      if (name === 'failed-flow') {
        expect(await page.locator('#trigger').innerText()).toContain('<script>window.__pwned=1</script>');
        expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
        expect(await page.locator('script, img').count()).toBe(0);
      }
      mkdirSync(join(OUT, 'screenshots'), { recursive: true });
      await page.screenshot({ path: join(OUT, 'screenshots', `${name}.png`), fullPage: true });
      await page.emulateMedia({ colorScheme: 'dark' });
      await page.screenshot({ path: join(OUT, 'screenshots', `${name}-dark.png`), fullPage: true });
      await page.close();
    }, 60_000);
  }
});
