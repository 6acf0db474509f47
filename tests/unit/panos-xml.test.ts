import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FirewallApiError, FirewallAuthError, FirewallMalformedResponseError } from '#shared/errors.js';
import {
  buildErrorResponse,
  buildResponse,
  cdata,
  decodeEntities,
  escapeXml,
  interpretResponse,
  parseChassisReady,
  parseIkeSa,
  parseJobs,
  parseSystemInfo,
  MAX_TAG_CHARS,
  parseXmlDocument,
  toXml,
  type PanosSuccess,
} from '#shared/adapters/panos/index.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/panos/${name}`, import.meta.url), 'utf8');
const ctx = { target: '10.0.0.5:443' };
const ok = (body: string, status = 200): PanosSuccess => interpretResponse({ status, body }, ctx);
const thrown = (fn: () => unknown): Error => {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
};

describe('envelope: success forms', () => {
  it("reads status = 'success' with spaces and single quotes (real keygen body)", () => {
    expect(ok(fixture('keygen-success.xml')).result).toEqual({ key: 'LUFRPT1-REDACTED-API-KEY-BASE64==' });
    expect(ok(fixture('keygen-success-centreon-mock.xml')).result).toEqual({ key: 'D@pAs$W@rD' });
  });

  it('keeps the success code (19) and reads code 7 with an empty result', () => {
    expect(ok(fixture('config-get-success-code19.xml')).code).toBe(19);
    expect(ok(fixture('config-get-object-not-present-code7.xml'))).toEqual({ code: 7, result: '' });
  });

  it('accepts a BOM, leading whitespace, an XML declaration and comments', () => {
    const body = '\uFEFF\n  <?xml version="1.0" encoding="UTF-8"?>\n<!-- hi --><response status="success"><result>x</result></response>\n';
    expect(ok(body).result).toBe('x');
  });

  it('reads CDATA with padding and newlines as text', () => {
    expect(parseChassisReady('<response status="success"><result><![CDATA[\n   yes  \n]]></result></response>')).toBe(true);
    expect(ok('<response status="success"><result><![CDATA[a <b> & c]]></result></response>').result).toBe('a <b> & c');
  });

  it('decodes the predefined entities once and only once', () => {
    expect(ok('<response status="success"><result><m>&lt;a&gt; &amp;lt; &#65;&#x42; &quot;q&apos;</m></result></response>').result).toEqual({
      m: '<a> &lt; AB "q\'',
    });
  });

  it('reads one <entry> as a list of one and several as a list', () => {
    const one = '<response status="success"><result><entry><name>g1</name><gwid>1</gwid></entry></result></response>';
    expect(parseIkeSa(one)).toEqual([{ name: 'g1', gwid: '1' }]);
    const two = one.replace('</entry>', '</entry><entry><name>g2</name><gwid>2</gwid></entry>');
    expect(parseIkeSa(two)).toEqual([
      { name: 'g1', gwid: '1' },
      { name: 'g2', gwid: '2' },
    ]);
  });

  it('takes the first of duplicated elements', () => {
    const body = buildResponse('<system><sw-version>10.1.12</sw-version><sw-version>9.9.9</sw-version><ZTP>a</ZTP><ZTP>b</ZTP></system>');
    expect(parseSystemInfo(body).swVersion).toBe('10.1.12');
  });

  it('accepts element names in another case (IPSec / ipsec)', () => {
    const body = buildResponse('<SYSTEM><Hostname> fw-a </Hostname></SYSTEM>');
    expect(parseSystemInfo(body).hostname).toBe('fw-a');
  });
});

describe('envelope: errors', () => {
  it('403 Invalid Credential (real body, HTTP 403) -> FirewallAuthError', () => {
    const e = thrown(() => ok(fixture('error-403-invalid-credential.xml'), 403));
    expect(e).toBeInstanceOf(FirewallAuthError);
    expect(e.message).toContain('Invalid Credential');
    expect((e as FirewallAuthError).retryable).toBe(false);
  });

  it('code 403 with HTTP 200, and HTTP 403 with an unparseable body, are auth errors too', () => {
    expect(thrown(() => ok(fixture('error-403-invalid-credential.xml'), 200))).toBeInstanceOf(FirewallAuthError);
    expect(thrown(() => ok('<html>Forbidden</html>', 403))).toBeInstanceOf(FirewallAuthError);
  });

  it('400 with an XML body -> FirewallApiError with code and httpStatus, entity decoded', () => {
    const e = thrown(() => ok(fixture('error-400-bad-request.xml'), 400)) as FirewallApiError;
    expect(e).toBeInstanceOf(FirewallApiError);
    expect(e.code).toBe(400);
    expect(e.httpStatus).toBe(400);
    expect(e.message).toContain('Parameter "format" is required while exporting certificate');
    expect(e.retryable).toBe(false);
  });

  it('joins multi-line CDATA messages (msg/line) and keeps code 12', () => {
    const e = thrown(() => ok(fixture('error-12-multiline-cdata.xml'))) as FirewallApiError;
    expect(e.code).toBe(12);
    expect(e.httpStatus).toBeUndefined();
    expect(e.message).toBe(
      '10.0.0.5:443: tf123456 -> server -> first server  is invalid. HTTP method must be GET, Username/Password must not be empty when Tag Distribution is chosen; tf123456 -> server is invalid (code 12)',
    );
  });

  it('reads messages under msg, msg/line, result/msg and result/msg/line', () => {
    const cases = [
      '<response status="error" code="17"><msg>plain</msg></response>',
      '<response status="error" code="17"><msg><line>plain</line></msg></response>',
      '<response status="error" code="17"><result><msg>plain</msg></result></response>',
      '<response status="error" code="17"><result><msg><line><![CDATA[  plain \n]]></line></msg></result></response>',
    ];
    for (const body of cases) {
      const e = thrown(() => ok(body)) as FirewallApiError;
      expect(e.message).toBe('10.0.0.5:443: plain (code 17)');
      expect(e.code).toBe(17);
    }
  });

  it('an error without code (No such node) has code undefined', () => {
    const e = thrown(() => ok(fixture('error-no-such-node.xml'))) as FirewallApiError;
    expect(e).toBeInstanceOf(FirewallApiError);
    expect(e.code).toBeUndefined();
    expect(e.message).toContain('No such node');
  });

  it('internal error codes are retryable, others are not', () => {
    expect((thrown(() => ok('<response status="error" code="5"><msg>busy</msg></response>')) as FirewallApiError).retryable).toBe(true);
    expect((thrown(() => ok('<response status="error" code="13"><msg>x</msg></response>')) as FirewallApiError).retryable).toBe(false);
  });

  it('5xx with an HTML page -> FirewallApiError with httpStatus, retryable', () => {
    const e = thrown(() => ok('<html><head><title>502 Bad Gateway</title></head><body><hr></body></html>', 502)) as FirewallApiError;
    expect(e).toBeInstanceOf(FirewallApiError);
    expect(e.httpStatus).toBe(502);
    expect(e.code).toBeUndefined();
    expect(e.retryable).toBe(true);
  });

  it('5xx with a success envelope is still an error', () => {
    expect((thrown(() => ok(buildResponse('x'), 503)) as FirewallApiError).httpStatus).toBe(503);
  });

  it('redacts the key should a message ever echo it', () => {
    const e = thrown(() =>
      interpretResponse(
        { status: 200, body: '<response status="error"><msg>bad key SECRETKEY123</msg></response>' },
        { target: 't', redact: (s) => s.split('SECRETKEY123').join('[redacted]') },
      ),
    );
    expect(e.message).not.toContain('SECRETKEY123');
    expect(e.message).toContain('[redacted]');
  });
});

describe('envelope: malformed bodies (HTTP 200)', () => {
  const malformed: [string, string][] = [
    ['empty body', ''],
    ['whitespace only', '  \n '],
    ['HTML error page', '<!DOCTYPE html><html><body><h1>Service Unavailable</h1></body></html>'],
    ['XHTML page', '<html><body><p>Service Unavailable</p></body></html>'],
    ['plain text', 'Service Unavailable'],
    ['JSON', '{"status":"success"}'],
    ['truncated XML', fixture('show-system-info-pa850-10.1.12.xml').slice(0, 900)],
    ['truncated inside CDATA', '<response status="success"><result><![CDATA[ye'],
    ['truncated comment', '<response status="success"><!-- x'],
    ['no status', '<response><result/></response>'],
    ['unknown status', '<response status="maybe"><result/></response>'],
    ['two roots', '<response status="success"><result/></response><response status="error"/>'],
    ['wrong root', '<reply status="success"><result/></reply>'],
    ['text after the root', '<response status="success"><result/></response>garbage'],
    ['mismatched tags', '<response status="success"><result></response></result>'],
    ['bare ampersand', '<response status="success"><result>a & b</result></response>'],
    ['__proto__ element', '<response status="success"><result><__proto__><polluted>1</polluted></__proto__></result></response>'],
    ['nested too deeply', `<response status="success"><result>${'<a>'.repeat(200)}${'</a>'.repeat(200)}</result></response>`],
  ];

  it.each(malformed)('%s -> FirewallMalformedResponseError', (_label, body) => {
    const e = thrown(() => ok(body));
    expect(e).toBeInstanceOf(FirewallMalformedResponseError);
    expect(e.message.startsWith('10.0.0.5:443: ')).toBe(true);
  });

  it('does not pollute Object.prototype', () => {
    thrown(() => ok(malformed.find(([label]) => label === '__proto__ element')![1]));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses DOCTYPE and entity declarations instead of expanding them (billion laughs)', () => {
    const laughs =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' +
      Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`).join('') +
      ']><response status="success"><result>&lol9;</result></response>';
    const e = thrown(() => ok(laughs));
    expect(e).toBeInstanceOf(FirewallMalformedResponseError);
    expect(e.message).toContain('DOCTYPE');
    for (const body of [
      '<!DOCTYPE response><response status="success"><result/></response>',
      '<response status="success"><!ENTITY x "y"><result/></response>',
      '<!DOCTYPE response SYSTEM "file:///etc/passwd"><response status="success"><result/></response>',
    ]) {
      expect(thrown(() => ok(body))).toBeInstanceOf(FirewallMalformedResponseError);
    }
  });

  it('leaves a reference to an undeclared entity as literal text (never expanded)', () => {
    expect(ok('<response status="success"><result>&lol9;</result></response>').result).toBe('&lol9;');
  });

  it('allows "<!DOCTYPE" inside CDATA (it is text there)', () => {
    expect(ok('<response status="success"><result><![CDATA[<!DOCTYPE x>]]></result></response>').result).toBe('<!DOCTYPE x>');
  });

  it('refuses a tag longer than MAX_TAG_CHARS before the validator collects its attributes', () => {
    // 512 KiB of unquoted attributes in one tag: the validator alone spends about a second on it.
    const hostile = `<response ${'a=1 '.repeat(128 * 1024 - 4)}>`;
    const e = thrown(() => ok(hostile));
    expect(e).toBeInstanceOf(FirewallMalformedResponseError);
    expect(e.message).toContain(`a tag longer than ${MAX_TAG_CHARS} characters`);
    // Quoted values may hide '>' characters: the tag still ends only outside quotes.
    const quoted = `<response ${'a="1>" '.repeat(2000)}>`;
    expect(thrown(() => ok(quoted)).message).toContain(`a tag longer than ${MAX_TAG_CHARS} characters`);
    // An unterminated long tag at the end of the body is refused the same way.
    expect(thrown(() => ok(`<response status="success"><result><e ${'x'.repeat(MAX_TAG_CHARS)}`)).message).toContain('a tag longer than');
  });

  it('accepts long but real-sized tags, and a > inside a quoted attribute value', () => {
    const name = 'n'.repeat(MAX_TAG_CHARS - 40);
    const doc = parseXmlDocument(`<r><entry name="${name}" op="a>b"/></r>`, 't');
    expect(doc).toEqual({ r: { entry: [{ '@_name': name, '@_op': 'a>b' }] } });
  });

  it('the malformed error carries no body content', () => {
    const e = thrown(() => ok('<html>LUFRPT1-secret-looking</html>'));
    expect(e.message).not.toContain('LUFRPT1');
  });

  it('a malformed body with 4xx other than 403 is an API error with that status', () => {
    const e = thrown(() => ok('<html>Not Found</html>', 404)) as FirewallApiError;
    expect(e).toBeInstanceOf(FirewallApiError);
    expect(e.httpStatus).toBe(404);
    expect(e.retryable).toBe(false);
  });
});

describe('parseXmlDocument', () => {
  it('forces arrays for entry, job, line and member only', () => {
    expect(parseXmlDocument('<r><entry/><job>j</job><line>l</line><member>m</member><other>o</other></r>', 't')).toEqual({
      r: { entry: [''], job: ['j'], line: ['l'], member: ['m'], other: 'o' },
    });
  });

  it('keeps attributes under @_ and mixed text under #text', () => {
    expect(parseXmlDocument(`<r><e name='a' v="&amp;">text</e></r>`, 't')).toEqual({
      r: { e: { '@_name': 'a', '@_v': '&', '#text': 'text' } },
    });
  });
});

describe('decodeEntities', () => {
  it('leaves unknown and out-of-range references alone', () => {
    expect(decodeEntities('&nbsp; &#0; &#x110000; &#xD800; &amp;')).toBe('&nbsp; &#0; &#x110000; &#xD800; &');
  });
});

describe('builder', () => {
  it('builds what the parser reads back (round trip through the parsed shape)', () => {
    const system = {
      system: {
        hostname: 'fw-a & <b>',
        'sw-version': '10.2.11-h12',
        uptime: '0 days, 0:19:41',
        plugin_versions: { entry: [{ '@_name': 'dlp', '@_version': '3.0.9', pkginfo: 'dlp-3.0.9' }] },
      },
    };
    const body = buildResponse(system);
    expect(ok(body).result).toEqual(system);
    expect(parseSystemInfo(body)).toMatchObject({ hostname: 'fw-a & <b>', swVersion: '10.2.11-h12', uptimeSeconds: 1181 });
  });

  it('builds lists, empty elements, success codes and error envelopes', () => {
    expect(toXml({ member: ['a', 'b'], 'dhcp-client': '' })).toBe('<member>a</member><member>b</member><dhcp-client/>');
    expect(buildResponse('', { code: 7 })).toBe('<response status="success" code="7"><result></result></response>');
    const error = buildErrorResponse(['first ]]> line', 'second'], { code: 12 });
    const e = thrown(() => ok(error)) as FirewallApiError;
    expect(e.code).toBe(12);
    expect(e.message).toBe('10.0.0.5:443: first ]]> line; second (code 12)');
  });

  it('escapes and wraps text', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
    expect(ok(buildResponse(cdata('yes'))).result).toBe('yes');
  });

  it('refuses invalid element names', () => {
    expect(() => toXml({ 'bad name': 'x' })).toThrow(TypeError);
  });

  it('reads jobs built with the builder', () => {
    const body = buildResponse({ job: [{ id: '1', type: 'AutoCom', status: 'FIN', result: 'OK' }] });
    expect(parseJobs(body)).toEqual([{ id: '1', type: 'AutoCom', status: 'FIN', result: 'OK' }]);
  });
});
