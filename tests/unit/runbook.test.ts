/**
 * The runbook in English and Japanese is kept in step, and every notification the code can
 * publish has its section in both (the link in each message goes to `#<kind>`), starting with
 * the first five minutes and followed by a decision tree.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REASON_CODES } from '#shared/domain/health.js';
import { ALERT_CODES, DECISION_ALERTS, DRILL_KINDS, FLOW_KINDS, NOTIFICATION_KINDS, PAUSE_KINDS, PROBE_KINDS } from '#shared/notify/kinds.js';
import { TEXTS } from '#shared/notify/texts.js';

const DOCS = new URL('../../docs/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, DOCS), 'utf8');

interface Section {
  readonly level: number;
  readonly id: string;
  readonly body: string;
}

/**
 * The `##` and `###` sections of a runbook, each with the anchor on the line before its heading
 * (`<a id="...">`: the same anchors in both languages, whatever the heading's words). A heading
 * without one is an error: it could not be matched across the languages.
 */
export function sections(markdown: string): Section[] {
  const lines = markdown.split('\n');
  const out: { level: number; id: string; start: number }[] = [];
  let fenced = false;
  lines.forEach((line, i) => {
    if (line.startsWith('```')) fenced = !fenced;
    const heading = fenced ? null : /^(#{2,3}) /.exec(line);
    if (!heading) return;
    const anchor = /^<a id="([a-z0-9-]+)"><\/a>$/.exec(lines[i - 1] ?? '');
    if (!anchor) throw new Error(`line ${i + 1}: heading without an <a id> anchor on the line before: ${line}`);
    out.push({ level: heading[1]!.length, id: anchor[1]!, start: i });
  });
  return out.map((s, k) => ({ level: s.level, id: s.id, body: lines.slice(s.start, out[k + 1]?.start ?? lines.length).join('\n') }));
}

const en = sections(read('runbook.md'));
const ja = sections(read('runbook.ja.md'));

const FIRST_FIVE = { en: '**The first five minutes.**', ja: '**最初の 5 分**' } as const;
const TREE = { en: '**Decision tree.**', ja: '**判断の流れ**' } as const;
const POINTS = {
  en: ['*What it means:*', '*What to check:*', '*Whether to act:*'],
  ja: ['*何が起きたか:*', '*何を確認するか:*', '*対応が必要か:*'],
} as const;

describe('docs/runbook.md and docs/runbook.ja.md', () => {
  it('have the same sections, at the same levels, in the same order', () => {
    expect(ja.map((s) => `${s.level} ${s.id}`)).toEqual(en.map((s) => `${s.level} ${s.id}`));
    expect(new Set(en.map((s) => s.id)).size).toBe(en.length);
  });

  it('the parity check fails when a section is missing in one language, or its anchor differs', () => {
    const text = read('runbook.ja.md');
    const dropped = text.replace(/<a id="alert-canary-down"><\/a>\n### [^\n]*\n/, '');
    expect(sections(dropped).map((s) => s.id)).not.toEqual(en.map((s) => s.id));
    expect(() => sections(text.replace('<a id="alert-cooldown"></a>\n', ''))).toThrow(/heading without an <a id> anchor/);
  });

  it('give every notification the code can publish its own section, in both languages', () => {
    for (const [language, list] of [['en', en], ['ja', ja]] as const) {
      for (const kind of NOTIFICATION_KINDS) {
        const section = list.find((s) => s.id === kind);
        expect(section, `${language}: no section #${kind}`).toBeDefined();
        // It starts with the first five minutes (what it means, what to check, whether to act), then a decision tree.
        const body = section?.body ?? '';
        const afterHeading = body.split('\n').slice(1).join('\n').trimStart();
        expect(afterHeading.startsWith(FIRST_FIVE[language]), `${language} #${kind} starts with the first five minutes`).toBe(true);
        const at = POINTS[language].map((p) => body.indexOf(p));
        expect(at.every((i) => i > 0), `${language} #${kind}: ${POINTS[language].join(', ')}`).toBe(true);
        expect(body.indexOf(TREE[language]), `${language} #${kind}: decision tree after the first five minutes`).toBeGreaterThan(Math.max(...at));
      }
    }
  });

  it('list every subject in the table at the top, linking its section', () => {
    for (const [language, list] of [['en', en], ['ja', ja]] as const) {
      const top = list.find((s) => s.id === 'reading-a-notification')?.body ?? '';
      for (const kind of NOTIFICATION_KINDS) expect(top, `${language}: table row for #${kind}`).toContain(`](#${kind})`);
    }
  });

  it('link only anchors that exist', () => {
    for (const [name, list] of [['runbook.md', en], ['runbook.ja.md', ja]] as const) {
      const ids = new Set(list.map((s) => s.id));
      const links = [...read(name).matchAll(/\]\(#([a-z0-9-]+)\)/g)].map((m) => m[1]!);
      expect(links.filter((l) => !ids.has(l)), name).toEqual([]);
    }
  });
});

describe('notification kinds', () => {
  it('cover every alert the probe can send: each alerting decision code, and the probe\'s own', () => {
    const alerting = REASON_CODES.flatMap((c) => (DECISION_ALERTS[c] ? [DECISION_ALERTS[c]] : []));
    for (const code of alerting) expect(ALERT_CODES).toContain(code);
    for (const code of ['drift', 'flow-attempts-exhausted', 'failover-blocked-by-lock', 'failover-paused'] as const) expect(ALERT_CODES).toContain(code);
    expect(PROBE_KINDS).toEqual(expect.arrayContaining(ALERT_CODES.map((c) => `alert-${c}`)));
  });

  it('are the flow, probe, pause and drill kinds, each with its sentences in both languages', () => {
    expect([...NOTIFICATION_KINDS].sort()).toEqual([...FLOW_KINDS, ...PROBE_KINDS, ...PAUSE_KINDS, ...DRILL_KINDS].sort());
    for (const kind of NOTIFICATION_KINDS) {
      expect(typeof TEXTS.en[kind]).toBe('function');
      expect(typeof TEXTS.ja[kind]).toBe('function');
    }
  });
});
