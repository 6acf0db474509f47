/**
 * Nothing from a firewall (or any other outside source) reaches the operator's terminal raw:
 * the shared escaping functions, the guard the CLI installs on stdout/stderr, and the PAN-OS
 * decoder, which escapes control characters whether they arrive raw or as `&#27;`.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  escapeControlChars,
  guardTerminalOutput,
  isTerminalSafe,
  terminalSafe,
  terminalSafeLine,
} from '#shared/text/terminal.js';
import { interpretResponse, parseXmlDocument } from '#shared/adapters/panos/xml.js';
import { systemInfoFromResult } from '#shared/adapters/panos/parsers.js';
import { FirewallApiError, FirewallMalformedResponseError } from '#shared/errors.js';

const ESC = '\u001b';
const BEL = '\u0007';
/** Clear the screen, retitle the window (OSC 0), 8-bit CSI, a bidi override, a CR that rewrites the line. */
const HOSTILE = `${ESC}[2J${ESC}]0;owned${BEL}\u009b31m\u202eevil\rOK`;
/** Every code point a terminal may act on (C0 but TAB/LF, DEL, C1, bidi and separators). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const DANGEROUS = new RegExp('[\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]', 'u');

describe('terminalSafe / terminalSafeLine', () => {
  it('escapes escape sequences, C1, bidi controls and CR; keeps tab, LF and ordinary text', () => {
    expect(terminalSafe(HOSTILE)).toBe('\\x1b[2J\\x1b]0;owned\\x07\\x9b31m\\u202eevil\\x0dOK');
    expect(terminalSafe('a\tb\nc')).toBe('a\tb\nc');
    expect(terminalSafe('ファイアウォール fw-a 🔥 10.2.11-h12')).toBe('ファイアウォール fw-a 🔥 10.2.11-h12');
    expect(terminalSafe('lone \ud800 half')).toBe('lone \\ud800 half');
  });

  it('terminalSafeLine escapes LF too: one value cannot fake a line of output', () => {
    expect(terminalSafeLine('10.2.11\ndecision: none (active-healthy)')).toBe('10.2.11\\x0adecision: none (active-healthy)');
  });

  it('never leaves a dangerous code point, for any input (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(DANGEROUS.test(terminalSafe(s))).toBe(false);
        expect(DANGEROUS.test(terminalSafeLine(s)) || terminalSafeLine(s).includes('\n')).toBe(false);
        expect(isTerminalSafe(terminalSafe(s))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('escapeControlChars (the decoder\'s rule) keeps TAB, LF and CR and escapes the rest of C0, DEL and C1', () => {
    expect(escapeControlChars(`a\tb\r\nc${ESC}d\u007f\u0085\u009b`)).toBe('a\tb\r\nc\\x1bd\\x7f\\x85\\x9b');
  });
});

describe('guardTerminalOutput', () => {
  function fakeStream() {
    const written: unknown[] = [];
    const stream = {
      write: (chunk: unknown, ..._rest: unknown[]) => {
        written.push(chunk);
        return true;
      },
    };
    return { stream, written };
  }

  it('escapes strings and buffers written to the stream, once even if installed twice', () => {
    const { stream, written } = fakeStream();
    guardTerminalOutput(stream);
    guardTerminalOutput(stream);
    stream.write(`version ${HOSTILE}\n`);
    stream.write(Buffer.from(`${ESC}c reset\n`, 'utf8'));
    expect(written).toEqual(['version \\x1b[2J\\x1b]0;owned\\x07\\x9b31m\\u202eevil\\x0dOK\n', '\\x1bc reset\n']);
  });

  it('leaves a string written in another encoding alone (it is data, not text to show)', () => {
    const { stream, written } = fakeStream();
    guardTerminalOutput(stream);
    (stream.write as (c: unknown, e: string) => boolean)('1b5b324a', 'hex');
    expect(written).toEqual(['1b5b324a']);
  });
});

describe('the PAN-OS decoder escapes control characters', () => {
  const systemInfo = (version: string, hostname = 'fw-a') =>
    `<response status="success"><result><system><hostname>${hostname}</hostname><sw-version>${version}</sw-version><model>PA-VM</model><serial>007</serial></system></result></response>`;

  it('character references to controls (&#27; &#7; &#x9b;) come out escaped', () => {
    const ok = interpretResponse({ status: 200, body: systemInfo('10.2.11&#27;[2J&#27;]0;owned&#7;&#x9b;31m') }, { target: 'fw' });
    const info = systemInfoFromResult(ok.result, 'fw');
    expect(info.swVersion).toBe('10.2.11\\x1b[2J\\x1b]0;owned\\x07\\x9b31m');
    expect(DANGEROUS.test(JSON.stringify(info))).toBe(false);
  });

  it('raw control bytes in text and attributes come out escaped; tab and line ends are kept (CR LF read as LF, as XML says)', () => {
    const doc = parseXmlDocument(`<r a="x${BEL}y"><t>p${ESC}[0mq\u0085</t><u>a\tb\r\nc</u></r>`, 'fw');
    expect(doc).toEqual({ r: { '@_a': 'x\\x07y', t: 'p\\x1b[0mq\\x85', u: 'a\tb\nc' } });
  });

  it('a control character in an element name is refused, and the message does not quote the body', () => {
    const e = (() => {
      try {
        parseXmlDocument(`<a${ESC}]0;owned${BEL}>x</a${ESC}]0;owned${BEL}>`, 'fw');
      } catch (err) {
        return err as Error;
      }
      throw new Error('expected a refusal');
    })();
    expect(e).toBeInstanceOf(FirewallMalformedResponseError);
    expect(e.message).not.toContain('owned');
    expect(DANGEROUS.test(e.message)).toBe(false);
  });

  it('an API error message with escape sequences is escaped in the typed error', () => {
    const body = `<response status="error" code="12"><msg><line>bad ${ESC}]0;owned${BEL} thing</line></msg></response>`;
    const e = (() => {
      try {
        interpretResponse({ status: 200, body }, { target: 'fw' });
      } catch (err) {
        return err as Error;
      }
      throw new Error('expected an error');
    })();
    expect(e).toBeInstanceOf(FirewallApiError);
    expect(e.message).toContain('bad \\x1b]0;owned\\x07 thing');
    expect(DANGEROUS.test(e.message)).toBe(false);
  });
});
