/**
 * PAN-OS XML: a hardened document parser, the response envelope, and a tiny builder.
 *
 * Parsed shape (what `parseXmlDocument` returns and `toXml` accepts): an element is a string
 * when it has only text (or nothing: `''`), otherwise an object whose keys are child element
 * names, attributes under `@_<name>` and mixed text under `#text`. Children named `entry`,
 * `job`, `line` and `member` are always arrays; any other repeated child becomes an array too.
 * Entity processing is off: a document with a DOCTYPE or any other `<!` declaration is refused,
 * and only the five predefined entities and numeric character references are decoded.
 * Control characters other than TAB, LF and CR, DEL and the C1 controls, raw or as character
 * references (`&#27;`), come out of the decoder as visible escapes (`\x1b`): nothing a firewall
 * sends can reach a terminal as a control sequence.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { FirewallApiError, FirewallAuthError, FirewallMalformedResponseError } from '../../errors.js';
import { escapeControlChars } from '../../text/terminal.js';

export type XmlValue = string | XmlNode | XmlValue[];
export interface XmlNode {
  [key: string]: XmlValue;
}

export const ATTRIBUTE_PREFIX = '@_';
export const TEXT_KEY = '#text';
/** Elements that are lists even when a response happens to carry only one of them. */
export const FORCED_ARRAYS: ReadonlySet<string> = new Set(['entry', 'job', 'line', 'member']);
/** Deeper documents are refused; real PAN-OS responses and configs stay far below. */
const MAX_DEPTH = 100;
/** PAN-OS messages are short; a longer one is cut so a hostile body cannot flood logs. */
const MAX_MESSAGE_CHARS = 500;
const MAX_REASON_CHARS = 200;

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}...` : text;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: ATTRIBUTE_PREFIX,
  textNodeName: TEXT_KEY,
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  cdataPropName: false,
  commentPropName: false,
  allowBooleanAttributes: false,
  maxNestedTags: MAX_DEPTH,
  isArray: (name: string, _jPath: unknown, _isLeaf: boolean, isAttribute: boolean) =>
    !isAttribute && FORCED_ARRAYS.has(name),
});

export function isXmlNode(v: XmlValue | undefined): v is XmlNode {
  return typeof v === 'object' && !Array.isArray(v);
}

/**
 * The longest start tag accepted (name and attributes). PAN-OS tags are short: the longest in
 * the samples is an `<entry name=... admin=... dirtyId=... time=...>` of about 150 characters.
 * The validator collects every attribute of a tag before it judges any, so one hostile tag of
 * 512 KiB costs it seconds of CPU on a small Lambda; this bound refuses it in a linear scan.
 */
export const MAX_TAG_CHARS = 4096;

/**
 * One linear pass before the validator: refuses `<!DOCTYPE`, `<!ENTITY` and every other markup
 * declaration (skipping CDATA sections and comments), and any tag longer than `MAX_TAG_CHARS`
 * (quotes respected, so a `>` inside an attribute value does not end the tag). Returns the
 * reason, or `undefined` when the document may be given to the validator.
 */
function prescan(text: string): string | undefined {
  let pos = 0;
  for (;;) {
    const at = text.indexOf('<', pos);
    if (at < 0) return undefined;
    if (text.startsWith('<![CDATA[', at)) {
      const end = text.indexOf(']]>', at + 9);
      if (end < 0) return 'unterminated CDATA section';
      pos = end + 3;
    } else if (text.startsWith('<!--', at)) {
      const end = text.indexOf('-->', at + 4);
      if (end < 0) return 'unterminated comment';
      pos = end + 3;
    } else if (text.startsWith('<!', at)) {
      return 'DOCTYPE or entity declarations are refused';
    } else {
      const end = tagEnd(text, at + 1);
      if (end - at > MAX_TAG_CHARS) return `a tag longer than ${MAX_TAG_CHARS} characters`;
      // An unterminated tag is left to the validator, which names it.
      if (end >= text.length) return undefined;
      pos = end + 1;
    }
  }
}

/** Index of the `>` that ends the tag opened before `from` (outside quotes), or the length. */
function tagEnd(text: string, from: number): number {
  let quote = '';
  const limit = Math.min(text.length, from + MAX_TAG_CHARS + 1);
  for (let i = from; i < limit; i++) {
    const c = text[i];
    if (quote !== '') {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '>') {
      return i;
    }
  }
  return limit >= text.length ? text.length : limit;
}

const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const ENTITY_REF = /&(lt|gt|amp|quot|apos|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});/g;

/**
 * One pass, so `&amp;lt;` becomes `&lt;` and never `<`. Control characters, raw or decoded from
 * a reference, are escaped (`escapeControlChars`).
 */
export function decodeEntities(s: string): string {
  if (!s.includes('&')) return escapeControlChars(s);
  return escapeControlChars(s.replace(ENTITY_REF, (whole, ref: string) => {
    const named = PREDEFINED[ref];
    if (named !== undefined) return named;
    const cp = ref.startsWith('#x') ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    return cp > 0 && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) ? String.fromCodePoint(cp) : whole;
  }));
}

/** fast-xml-parser's validator error codes (`InvalidTag`, `InvalidAttr`...): names, never body text. */
function validatorCode(code: unknown): string {
  return typeof code === 'string' && /^[A-Za-z]{1,40}$/.test(code) ? code : 'invalid XML';
}

const OWN_PARSE_ERRORS: ReadonlySet<string> = new Set(['document nested too deeply', 'element named __proto__', 'no root element']);

function decodeTree(v: unknown, depth: number): XmlValue {
  if (depth > MAX_DEPTH + 2) throw new Error('document nested too deeply');
  if (typeof v === 'string') return decodeEntities(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map((x) => decodeTree(x, depth + 1));
  if (typeof v === 'object' && v !== null) {
    const out: XmlNode = {};
    for (const [k, child] of Object.entries(v)) {
      // The parser already refuses it; kept so a parser change cannot reopen prototype pollution.
      if (k === '__proto__') throw new Error('element named __proto__');
      out[k] = decodeTree(child, depth + 1);
    }
    return out;
  }
  return '';
}

/**
 * Parses a whole document into the shape described at the top of this file, or throws
 * `FirewallMalformedResponseError` (never anything else) naming `target`.
 */
export function parseXmlDocument(text: string, target: string): XmlNode {
  // Tolerated although XML forbids it: a BOM or whitespace before the declaration.
  const doc = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).trimStart();
  // Validator messages can quote the whole open-tag stack (megabytes on a hostile body): cut.
  const malformed = (reason: string, cause?: unknown) =>
    new FirewallMalformedResponseError(target, `not a PAN-OS XML response: ${truncate(reason, MAX_REASON_CHARS)}`, {
      cause,
      details: { bytes: Buffer.byteLength(text) },
    });
  if (doc === '') throw malformed('empty body');
  const refused = prescan(doc);
  if (refused !== undefined) throw malformed(refused);
  const valid = XMLValidator.validate(doc, { allowBooleanAttributes: false });
  // The validator's own message quotes tag and attribute names from the body: only its code
  // and the position are kept, so no byte of a hostile body is copied into an error.
  if (valid !== true) throw malformed(`${validatorCode(valid.err.code)} (line ${valid.err.line}, column ${valid.err.col})`);
  try {
    const tree = decodeTree(parser.parse(doc), 0);
    if (!isXmlNode(tree)) throw new Error('no root element');
    return tree;
  } catch (e) {
    // The parser's messages may quote the body too: only ours (fixed text) are passed on.
    // No `cause` either: a logger would print the parser's message with it.
    throw malformed(e instanceof Error && OWN_PARSE_ERRORS.has(e.message) ? e.message : 'parser failure');
  }
}

// ---------------------------------------------------------------------------------------------
// Reading parsed nodes

/** Child by name; falls back to a case-insensitive match because PAN-OS mixes `IPSec`/`ipsec`. */
export function child(node: XmlValue | undefined, name: string): XmlValue | undefined {
  if (!isXmlNode(node)) return undefined;
  if (Object.hasOwn(node, name)) return node[name];
  const lower = name.toLowerCase();
  const key = Object.keys(node).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : node[key];
}

/** The value as a list: absent -> [], one -> [it]; builds that duplicate an element yield many. */
export function list(v: XmlValue | undefined): XmlValue[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** Text of an element (first one when duplicated), trimmed; `undefined` when absent or empty. */
export function textOf(v: XmlValue | undefined): string | undefined {
  const first = Array.isArray(v) ? v[0] : v;
  let s: string | undefined;
  if (typeof first === 'string') s = first;
  else if (isXmlNode(first)) {
    const t = first[TEXT_KEY];
    s = typeof t === 'string' ? t : undefined;
  }
  const trimmed = s?.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** `textOf(child(node, name))`. */
export function childText(node: XmlValue | undefined, name: string): string | undefined {
  return textOf(child(node, name));
}

/** Every text fragment under `v`, depth first, attributes excluded. */
function collectText(v: XmlValue | undefined, out: string[], depth = 0): void {
  if (v === undefined || depth > MAX_DEPTH + 2) return;
  if (typeof v === 'string') {
    const t = v.trim();
    if (t !== '') out.push(t);
  } else if (Array.isArray(v)) {
    for (const item of v) collectText(item, out, depth + 1);
  } else {
    for (const [k, item] of Object.entries(v)) {
      if (!k.startsWith(ATTRIBUTE_PREFIX)) collectText(item, out, depth + 1);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Envelope

/** A `status="success"` response. `result` is `undefined` when absent. */
export interface PanosSuccess {
  readonly code: number | undefined;
  readonly result: XmlValue | undefined;
}

export interface ResponseContext {
  /** `host:port`, for error messages. */
  readonly target: string;
  /** Applied to every message taken from a body (the client removes its key, should it ever appear). */
  readonly redact?: (text: string) => string;
}

/** What came back over HTTP. */
export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

interface Envelope {
  readonly status: 'success' | 'error' | 'unauth';
  readonly code: number | undefined;
  readonly result: XmlValue | undefined;
  readonly message: string;
}

function parseCode(raw: string | undefined): number | undefined {
  if (raw === undefined || !/^\s*\d{1,9}\s*$/.test(raw)) return undefined;
  return Number(raw);
}

/** Messages live under `msg`, `msg/line`, `result/msg` or `result/msg/line`; lines are joined. */
function envelopeMessage(response: XmlNode): string {
  const parts: string[] = [];
  collectText(child(response, 'msg'), parts);
  for (const result of list(child(response, 'result'))) collectText(child(result, 'msg'), parts);
  return truncate(parts.join('; '), MAX_MESSAGE_CHARS);
}

function readEnvelope(body: string, target: string): Envelope {
  const doc = parseXmlDocument(body, target);
  const keys = Object.keys(doc);
  const response = doc.response;
  if (keys.length !== 1 || response === undefined || !isXmlNode(response)) {
    // The root's name is quoted only when it is short and plain (`<html>`): it comes from the body.
    const name = keys[0] ?? '';
    const root = keys.length !== 1 ? `${keys.length} root elements` : /^[A-Za-z][A-Za-z0-9_.:-]{0,31}$/.test(name) ? `<${name}>` : 'another element';
    throw new FirewallMalformedResponseError(target, `not a PAN-OS XML response: root is ${root}, expected one <response>`);
  }
  const statusRaw = textOf(response[`${ATTRIBUTE_PREFIX}status`])?.toLowerCase();
  if (statusRaw === 'unauth') {
    // Some PAN-OS versions answer a refused key with HTTP 200 and status="unauth" (code 16).
    return { status: 'unauth', code: parseCode(textOf(response[`${ATTRIBUTE_PREFIX}code`])), result: undefined, message: envelopeMessage(response) };
  }
  if (statusRaw !== 'success' && statusRaw !== 'error') {
    throw new FirewallMalformedResponseError(target, 'not a PAN-OS XML response: <response> without status success or error');
  }
  const result = response.result;
  return {
    status: statusRaw,
    code: parseCode(textOf(response[`${ATTRIBUTE_PREFIX}code`])),
    result: Array.isArray(result) ? result[0] : result,
    message: envelopeMessage(response),
  };
}

const isOk = (status: number) => status >= 200 && status < 300;

/** PAN-OS API error codes that mean the key or its role was refused (panos-xml-api reference). */
const AUTH_CODES: ReadonlySet<number> = new Set([16, 22]);

/**
 * Classifies one HTTP answer: returns the success envelope or throws `FirewallAuthError`
 * (HTTP 403 / code 403), `FirewallApiError` (status="error", or an HTTP error status with or
 * without a parseable body) or `FirewallMalformedResponseError` (HTTP 2xx that is not a
 * PAN-OS response).
 */
export function interpretResponse(answer: HttpAnswer, ctx: ResponseContext): PanosSuccess {
  const { target } = ctx;
  const redact = ctx.redact ?? ((s: string) => s);
  let envelope: Envelope;
  try {
    envelope = readEnvelope(answer.body, target);
  } catch (e) {
    if (answer.status === 403) throw new FirewallAuthError(target, 'HTTP 403 (invalid credential)', { cause: e });
    if (!isOk(answer.status)) {
      throw new FirewallApiError(target, `HTTP ${answer.status} without a PAN-OS response`, {
        cause: e,
        httpStatus: answer.status,
      });
    }
    throw e;
  }
  const message = redact(envelope.message);
  const httpStatus = isOk(answer.status) ? undefined : answer.status;
  // 403 (invalid credential), status="unauth", code 16 (unauthorized) and 22 (session timed out):
  // the firewall answered and refused this key or role; its dataplane says nothing here.
  if (answer.status === 403 || envelope.code === 403 || envelope.status === 'unauth' || (envelope.status === 'error' && AUTH_CODES.has(envelope.code ?? -1))) {
    const why = envelope.status === 'unauth' || AUTH_CODES.has(envelope.code ?? -1) ? `code ${envelope.code ?? 'unauth'}` : '403';
    throw new FirewallAuthError(target, message === '' ? `invalid credential (${why})` : `${message} (${why})`, {
      details: { code: envelope.code, httpStatus },
    });
  }
  if (envelope.status === 'error') {
    const code = envelope.code === undefined ? '' : ` (code ${envelope.code})`;
    throw new FirewallApiError(target, `${message === '' ? 'API error' : message}${code}`, {
      code: envelope.code,
      httpStatus,
    });
  }
  if (httpStatus !== undefined) {
    throw new FirewallApiError(target, `HTTP ${httpStatus} with a success response`, { httpStatus, code: envelope.code });
  }
  return { code: envelope.code, result: envelope.result };
}

// ---------------------------------------------------------------------------------------------
// Builder (used by the PAN-OS simulator and by tests)

const XML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c);
}

/** Text as CDATA, the way PAN-OS wraps text-only results (`]]>` inside is split safely). */
export function cdata(text: string): string {
  return `<![CDATA[${text.split(']]>').join(']]]]><![CDATA[>')}]]>`;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;

function element(name: string, value: XmlValue): string {
  if (!NAME.test(name)) throw new TypeError(`invalid XML element name ${JSON.stringify(name)}`);
  if (Array.isArray(value)) return value.map((v) => element(name, v)).join('');
  if (typeof value === 'string') return value === '' ? `<${name}/>` : `<${name}>${escapeXml(value)}</${name}>`;
  let attrs = '';
  let inner = '';
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith(ATTRIBUTE_PREFIX)) {
      const attr = k.slice(ATTRIBUTE_PREFIX.length);
      if (!NAME.test(attr) || typeof v !== 'string') throw new TypeError(`invalid XML attribute ${JSON.stringify(k)}`);
      attrs += ` ${attr}="${escapeXml(v)}"`;
    } else if (k === TEXT_KEY) {
      inner += typeof v === 'string' ? escapeXml(v) : '';
    } else {
      inner += element(k, v);
    }
  }
  return inner === '' ? `<${name}${attrs}/>` : `<${name}${attrs}>${inner}</${name}>`;
}

/** Serialises the parsed shape back to XML (children of `node`, no wrapper). */
export function toXml(node: XmlNode): string {
  return Object.entries(node)
    .filter(([k]) => !k.startsWith(ATTRIBUTE_PREFIX))
    .map(([k, v]) => (k === TEXT_KEY ? (typeof v === 'string' ? escapeXml(v) : '') : element(k, v)))
    .join('');
}

export interface BuildOptions {
  readonly code?: number;
}

/**
 * `<response status="success"><result>...</result></response>`. `result` is raw XML (a
 * string, inserted as is: use `escapeXml`/`cdata` for text) or a parsed-shape node.
 */
export function buildResponse(result: string | XmlNode, options: BuildOptions = {}): string {
  const code = options.code === undefined ? '' : ` code="${options.code}"`;
  const inner = typeof result === 'string' ? result : toXml(result);
  return `<response status="success"${code}><result>${inner}</result></response>`;
}

/** `<response status="error" code="N"><msg><line>...</line></msg></response>` (lines as CDATA). */
export function buildErrorResponse(lines: readonly string[], options: BuildOptions = {}): string {
  const code = options.code === undefined ? '' : ` code="${options.code}"`;
  const body = lines.map((l) => `<line>${cdata(l)}</line>`).join('');
  return `<response status="error"${code}><msg>${body}</msg></response>`;
}
