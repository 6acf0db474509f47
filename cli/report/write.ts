/** Writes a report file and says where (the small hook the rehearsal calls). */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Config } from '#shared/config/schema.js';
import type { ScenarioRun } from '#sim/scenario/run.js';
import { rehearsalReport } from './from-rehearsal.js';
import type { ReportModel } from './model.js';
import { renderReport } from './render.js';

export function defaultReportPath(scenarioName: string): string {
  return resolve('reports', `rehearsal-${scenarioName.replace(/[^A-Za-z0-9._-]/g, '-')}.html`);
}

export async function writeReportFile(model: ReportModel, path: string): Promise<string> {
  const file = resolve(path);
  await mkdir(dirname(file), { recursive: true });
  const html = renderReport(model);
  await writeFile(file, html, 'utf8');
  return file;
}

/** Writes the rehearsal's report; its path, or undefined when no flow ran (nothing to report). */
export async function writeRehearsalReport(run: ScenarioRun, path: string, config?: Config): Promise<string | undefined> {
  const model = rehearsalReport(run, Date.now(), config);
  if (!model) return undefined;
  return writeReportFile(model, path);
}
