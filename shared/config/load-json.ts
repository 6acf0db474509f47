/** Loads the JSON configuration the deployment packages with each function (see scripts/build.mjs). */
import { readFile } from 'node:fs/promises';
import { ConfigInvalidError } from '../errors.js';
import type { Config } from './schema.js';
import { validateConfig } from './validate.js';

export async function readConfigText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigInvalidError(path, [{ path: '', message: `cannot read the file (${code})` }], { cause: e });
  }
}

export async function loadJsonConfigFile(path: string): Promise<Config> {
  const text = await readConfigText(path);
  if (text.trim() === '') throw new ConfigInvalidError(path, [{ path: '', message: 'the file is empty: it must hold a configuration' }]);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigInvalidError(path, [{ path: '', message: `not valid JSON: ${(e as Error).message}` }], { cause: e });
  }
  return validateConfig(raw, path);
}
