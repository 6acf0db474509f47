/**
 * Text from outside (a firewall's answer, an AWS error message, a configuration value) made safe
 * for a terminal: every control character a terminal acts on is shown as an escape (`\x1b`,
 * `\u202e`) instead of being written raw, so an answer cannot clear the screen, retitle the
 * window, move the cursor, rewrite a line already printed, or reorder text with bidi controls.
 *
 * Escaped: C0 controls except TAB (and LF where lines are allowed), DEL, the C1 controls
 * (U+0080-U+009F, among them the 8-bit CSI U+009B), the bidi embeddings, overrides and isolates
 * (U+202A-U+202E, U+2066-U+2069), the marks U+200E/U+200F/U+061C, the line and paragraph
 * separators (U+2028/U+2029) and lone surrogates. A backslash is left as it is: the escapes
 * are for reading, not for decoding back.
 */

// Built from code points so this file itself stays free of raw control characters.
const CONTROL_CLASS =
  '[\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069\\ud800-\\udfff]';
/** Everything above plus LF: for one value that must stay on its line. */
const MULTI_LINE = new RegExp(CONTROL_CLASS, 'gu');
const ONE_LINE = new RegExp(`${CONTROL_CLASS}|\\n`, 'gu');
// The `u` flag matches a valid surrogate pair as one code point, so only lone halves hit the class.

function escapeOne(c: string): string {
  const cp = c.codePointAt(0) ?? 0;
  return cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
}

/**
 * For output that may span lines (a whole block the CLI prints): keeps LF and TAB, escapes
 * every other control (CR included: it would let a line overwrite what was printed before it).
 */
export function terminalSafe(text: string): string {
  return text.replace(MULTI_LINE, escapeOne);
}

/** For one value inside a line (a version, a hostname, an error message): LF escaped too. */
export function terminalSafeLine(text: string): string {
  return text.replace(ONE_LINE, escapeOne);
}

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const XML_TEXT_CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;

/**
 * What the PAN-OS XML decoder applies to every text and attribute value: C0 controls other than
 * TAB, LF and CR, DEL and the C1 controls become visible escapes. (XML 1.0 forbids the C0 ones
 * even as character references; PAN-OS never sends any of them.)
 */
export function escapeControlChars(text: string): string {
  return text.replace(XML_TEXT_CONTROLS, escapeOne);
}

/** True when `terminalSafe` would change nothing. */
export function isTerminalSafe(text: string): boolean {
  MULTI_LINE.lastIndex = 0;
  return !MULTI_LINE.test(text);
}

interface WritableLike {
  write: (...args: never[]) => boolean;
}

const GUARDED = Symbol.for('pan-failover.terminal-guard');

/**
 * Makes every string or buffer written to `stream` pass through `terminalSafe` (buffers are
 * read as UTF-8). The CLI installs it on stdout and stderr at start-up, so no command, present
 * or future, can print a byte from outside raw; commands still escape single values with
 * `terminalSafeLine` where a line break inside them would fake a line of output.
 * Idempotent: installing twice wraps once.
 */
export function guardTerminalOutput(stream: WritableLike): void {
  const target = stream as WritableLike & { [GUARDED]?: true; write: (chunk: unknown, ...rest: unknown[]) => boolean };
  if (target[GUARDED]) return;
  const original: (chunk: unknown, ...rest: unknown[]) => boolean = target.write.bind(stream);
  target.write = (chunk: unknown, ...rest: unknown[]) => {
    // A string in another encoding (hex, base64) is not text to show: left as it is.
    const encoding = typeof rest[0] === 'string' ? rest[0].toLowerCase() : 'utf8';
    if (encoding !== 'utf8' && encoding !== 'utf-8') return original(chunk, ...rest);
    if (typeof chunk === 'string') return original(terminalSafe(chunk), ...rest);
    if (chunk instanceof Uint8Array) return original(terminalSafe(Buffer.from(chunk).toString('utf8')), ...rest);
    return original(chunk, ...rest);
  };
  target[GUARDED] = true;
}
