/**
 * A tiny XML tree and serializer for the simulated firewall's answers and running config.
 * Building a tree (rather than concatenating strings) keeps every value escaped and lets the
 * config xpath subset walk the same structure it serializes.
 */

export interface XmlText {
  readonly kind: 'text';
  readonly value: string;
  /** PAN-OS wraps text-only op results (chassis-ready, test vpn, error lines) in CDATA. */
  readonly cdata: boolean;
}

export interface XmlElement {
  readonly kind: 'element';
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly XmlNode[];
}

export type XmlNode = XmlElement | XmlText;

/** A child given as a plain string becomes an escaped text node. */
export type XmlChild = XmlNode | string;

export function el(name: string, attrs: Readonly<Record<string, string>> = {}, ...children: XmlChild[]): XmlElement {
  return {
    kind: 'element',
    name,
    attrs,
    children: children.map((c) => (typeof c === 'string' ? { kind: 'text', value: c, cdata: false } : c)),
  };
}

/** `<name>value</name>`: most PAN-OS fields are such text leaves. */
export function leaf(name: string, value: string | number): XmlElement {
  return el(name, {}, String(value));
}

/** `<entry name="...">children</entry>`, the PAN-OS list item. */
export function entry(name: string, ...children: XmlChild[]): XmlElement {
  return el('entry', { name }, ...children);
}

export function cdata(value: string): XmlText {
  return { kind: 'text', value, cdata: true };
}

export function escapeText(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeAttr(value: string): string {
  return escapeText(value).replace(/"/g, '&quot;');
}

function serializeText(node: XmlText): string {
  if (!node.cdata) return escapeText(node.value);
  // A literal "]]>" cannot live inside one CDATA section: split it across two.
  return `<![CDATA[${node.value.replace(/]]>/g, ']]]]><![CDATA[>')}]]>`;
}

export function serialize(node: XmlNode): string {
  if (node.kind === 'text') return serializeText(node);
  const attrs = Object.entries(node.attrs)
    .map(([k, v]) => ` ${k}="${escapeAttr(v)}"`)
    .join('');
  if (node.children.length === 0) return `<${node.name}${attrs}/>`;
  return `<${node.name}${attrs}>${node.children.map(serialize).join('')}</${node.name}>`;
}

export function serializeAll(nodes: readonly XmlNode[]): string {
  return nodes.map(serialize).join('');
}

/** Element children only (text between elements is ignored). */
export function childElements(node: XmlElement): XmlElement[] {
  return node.children.filter((c): c is XmlElement => c.kind === 'element');
}
