/**
 * docs/failure-modes.md cites, under each failure scenario, the tests that prove it, as
 * `- \`<dir>/<file>.test.ts > [describe > ...] test name\``. A renamed or removed test would
 * leave the document citing proof that no longer exists: every cited file must exist and every
 * part of every cited name must appear in that file as written (a title with `%s` placeholders,
 * from `it.each`, is matched on its fixed parts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url);
const DOC = readFileSync(new URL('docs/failure-modes.md', ROOT), 'utf8');
/** The cited name ends at its closing backtick; a note may follow it. */
const CITATION = /^- `([a-z0-9/._-]+\.test\.ts) > ([^`]+)`/gm;

interface Citation {
  readonly file: string;
  readonly names: readonly string[];
  readonly line: string;
}

function citations(): Citation[] {
  return [...DOC.matchAll(CITATION)].map((m) => ({ file: m[1] ?? '', names: (m[2] ?? '').split(' > '), line: m[0] }));
}

/** The test file's text with escaped quotes undone, as the titles read at run time. */
function source(file: string): string {
  return readFileSync(new URL(`tests/${file}`, ROOT), 'utf8').replace(/\\(['"`])/g, '$1');
}

/**
 * A title appears in the source as written, or as a title with variable parts (`it.each`'s
 * `%s`, a template literal's `${...}`) that stand for the cited name's.
 */
function appears(text: string, title: string): boolean {
  if (text.includes(title)) return true;
  const variable = /(?:it|describe|test)(?:\.each\([^]*?\))?\(\s*(['"`])((?:(?!\1).)*(?:%s|\$\{)(?:(?!\1).)*)\1/g;
  return [...text.matchAll(variable)].some((m) => {
    const fixed = (m[2] ?? '').split(/%s|\$\{[^}]*\}/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    return new RegExp(`^${fixed.join('.+')}$`).test(title);
  });
}

describe('docs/failure-modes.md cites tests that exist', () => {
  const all = citations();

  it('finds the citations (the format did not drift away from the pattern)', () => {
    // Every failure scenario cites at least one test; there are dozens.
    expect(all.length).toBeGreaterThan(100);
    const looksLikeCitation = DOC.split('\n').filter((l) => /^- `[a-z0-9/._-]+\.test\.ts/.test(l));
    expect(looksLikeCitation).toHaveLength(all.length);
  });

  it('every cited file exists and contains every part of the cited name', () => {
    const missing: string[] = [];
    for (const c of all) {
      if (!existsSync(new URL(`tests/${c.file}`, ROOT))) {
        missing.push(`${c.line} (no such file)`);
        continue;
      }
      const text = source(c.file);
      for (const name of c.names) if (!appears(text, name)) missing.push(`${c.line} (no "${name}")`);
    }
    expect(missing).toEqual([]);
  });

  it('would notice a renamed test (the check can fail)', () => {
    expect(appears("it('the real name', () => {})", 'the real name')).toBe(true);
    expect(appears("it('the real name', () => {})", 'a renamed name')).toBe(false);
    expect(appears("it.each(cases)('AWS unreachable: %s exits 3', () => {})", 'AWS unreachable: status exits 3')).toBe(true);
    expect(appears('it(`takes the lock when its holder is ${ended}`, async () => {})', 'takes the lock when its holder is ABORTED')).toBe(true);
    expect(appears('it(`takes the lock when its holder is ${ended}`, async () => {})', 'gives the lock when its holder is ABORTED')).toBe(false);
  });
});
