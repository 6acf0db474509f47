/**
 * The xpath subset the controller uses on PAN-OS config: absolute element paths whose steps may
 * carry one `[@attr='value']` predicate, e.g.
 * `/config/devices/entry[@name='localhost.localdomain']/network/interface/ethernet/entry[@name='ethernet1/1']`.
 * A step without a predicate matches every child of that name (as `devices/entry` does on a
 * real firewall). Anything else is refused as a bad xpath rather than guessed at.
 */
import { childElements } from './xml.js';
import type { XmlElement } from './xml.js';

export interface XpathStep {
  readonly name: string;
  readonly predicate: { readonly attr: string; readonly value: string } | undefined;
}

export type XpathParse = { readonly ok: true; readonly steps: readonly XpathStep[] } | { readonly ok: false; readonly reason: string };

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*/;
const PREDICATE = /^\[\s*@([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(?:'([^']*)'|"([^"]*)")\s*\]/;

export function parseXpath(xpath: string): XpathParse {
  const steps: XpathStep[] = [];
  let rest = xpath.trim();
  if (!rest.startsWith('/')) return { ok: false, reason: 'must be an absolute path' };
  while (rest.length > 0) {
    if (!rest.startsWith('/')) return { ok: false, reason: `unexpected "${rest.slice(0, 20)}"` };
    rest = rest.slice(1);
    const name = NAME.exec(rest)?.[0];
    if (name === undefined) return { ok: false, reason: `expected an element name at "${rest.slice(0, 20)}"` };
    rest = rest.slice(name.length);
    let predicate: XpathStep['predicate'];
    const p = PREDICATE.exec(rest);
    if (p) {
      predicate = { attr: p[1] ?? '', value: p[2] ?? p[3] ?? '' };
      rest = rest.slice(p[0].length);
    } else if (rest.startsWith('[')) {
      return { ok: false, reason: `unsupported predicate "${rest.slice(0, 30)}"` };
    }
    steps.push({ name, predicate });
  }
  return { ok: true, steps };
}

function matches(node: XmlElement, step: XpathStep): boolean {
  if (node.name !== step.name) return false;
  return step.predicate === undefined || node.attrs[step.predicate.attr] === step.predicate.value;
}

/** Nodes of `root`'s tree selected by `steps`, in document order. */
export function selectNodes(root: XmlElement, steps: readonly XpathStep[]): XmlElement[] {
  const [first, ...rest] = steps;
  if (first === undefined || !matches(root, first)) return [];
  let current: XmlElement[] = [root];
  for (const step of rest) {
    current = current.flatMap((node) => childElements(node).filter((c) => matches(c, step)));
    if (current.length === 0) break;
  }
  return current;
}
