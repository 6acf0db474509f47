/**
 * Loads the configuration people write (YAML, or JSON which is YAML too) for the CLI, the
 * simulator and the build. Lambda functions load the JSON the build writes (`load-json.ts`).
 */
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { ConfigInvalidError, type ValidationIssue } from '../errors.js';
import type { Config } from './schema.js';
import { readConfigText } from './load-json.js';
import { validateConfig } from './validate.js';

export { validateConfig, findPair } from './validate.js';

export function parseConfig(text: string, source = '(inline)'): Config {
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true, uniqueKeys: true, maxAliasCount: 100 });
  } catch (e) {
    throw new ConfigInvalidError(source, [yamlIssue(e, text)], { cause: e });
  }
  return validateConfig(raw, source);
}

/**
 * A YAML syntax error with the line to fix and its text. The parser reports a line indented
 * deeper than the key above it ("nested mappings are not allowed in compact mappings") at the
 * value of the line above: the line to fix is the next one.
 */
function yamlIssue(e: unknown, text: string): ValidationIssue {
  const first = e instanceof Error ? (e.message.split('\n')[0] ?? 'unreadable') : 'unreadable';
  let reason = first.replace(/ at line \d+, column \d+:?$/, '');
  if (!(e instanceof YAMLParseError) || !e.linePos) return { path: '', message: `not valid YAML/JSON: ${reason}` };
  const lines = text.split(/\r?\n/);
  let { line, col } = e.linePos[0];
  const here = lines[line - 1] ?? '';
  const indent = (l: string) => l.search(/\S/);
  if (e.code === 'BLOCK_AS_IMPLICIT_KEY') {
    const next = lines.findIndex((l, i) => i >= line && l.trim() !== '' && !l.trim().startsWith('#'));
    if (next >= 0 && indent(lines[next] ?? '') > indent(here)) {
      line = next + 1;
      col = indent(lines[next] ?? '') + 1;
      reason = `${reason} (this line is indented deeper than the line above it)`;
    }
  }
  const shown = (lines[line - 1] ?? '').trim();
  return { path: `line ${line}, column ${col}`, message: `not valid YAML/JSON: ${reason}${shown !== '' ? `: ${shown.length > 80 ? `${shown.slice(0, 77)}...` : shown}` : ''}` };
}

export async function loadConfigFile(path: string): Promise<Config> {
  return parseConfig(await readConfigText(path), path);
}
