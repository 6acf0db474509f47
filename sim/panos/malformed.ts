/**
 * Broken answers for the `malformed` fault: what a client meets when a proxy, a crashed web
 * server or a hostile box stands where the XML API should be. The controller must classify
 * each as a malformed response, never crash, and keep memory bounded.
 */
import type { MalformedKind } from './faults.js';

export interface HttpAnswer {
  readonly status: number;
  readonly statusMessage?: string;
  readonly contentType: string;
  readonly body: string | Buffer;
  /** Send without Content-Length (chunked), so only a streaming size cap protects the reader. */
  readonly chunked?: boolean;
}

/** Bodies larger than the 1 MiB a client may reasonably accept. */
export const HUGE_BODY_BYTES = 3 * 512 * 1024;

const HTML_PAGE = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>502 Bad Gateway</title></head>
<body><h1>Bad Gateway</h1><p>The management server is temporarily unable to service your request.</p></body></html>
`;

let hugeBody: Buffer | undefined;

/** A well-formed PAN-OS-looking response of ~1.5 MiB: only its size is wrong. */
function huge(): Buffer {
  if (hugeBody) return hugeBody;
  const head = '<response status="success"><result><jobs>';
  const tail = '</jobs></result></response>';
  const item = (i: number) => `<job><id>${i}</id><type>Padding</type><details><line>${'x'.repeat(200)}</line></details></job>`;
  const parts: string[] = [head];
  let size = head.length + tail.length;
  for (let i = 1; size < HUGE_BODY_BYTES; i++) {
    const s = item(i);
    parts.push(s);
    size += s.length;
  }
  parts.push(tail);
  hugeBody = Buffer.from(parts.join(''), 'utf8');
  return hugeBody;
}

/** Billion laughs: ten levels of ten-fold expansion (10^10 bytes if a parser expands entities). */
function entityExpansion(): string {
  const levels = ['<!ENTITY lol0 "lollollollollollollollollollol">'];
  for (let i = 1; i <= 9; i++) levels.push(`<!ENTITY lol${i} "${`&lol${i - 1};`.repeat(10)}">`);
  return `<?xml version="1.0"?>
<!DOCTYPE response [
${levels.join('\n')}
]>
<response status="success"><result><system><hostname>&lol9;</hostname><sw-version>&lol9;</sw-version></system></result></response>
`;
}

/** Cut the real answer in the middle: HTTP is complete (Content-Length matches), the XML is not. */
function truncated(normal: HttpAnswer): HttpAnswer {
  const full = Buffer.isBuffer(normal.body) ? normal.body : Buffer.from(normal.body, 'utf8');
  const cut = full.subarray(0, Math.max(1, Math.floor(full.length / 2)));
  return { ...normal, body: cut, chunked: false };
}

export function malformedAnswer(kind: MalformedKind, normal: HttpAnswer): HttpAnswer {
  switch (kind) {
    case 'html':
      return { status: 200, contentType: 'text/html; charset=UTF-8', body: HTML_PAGE };
    case 'truncated':
      return truncated(normal);
    case 'huge':
      return { status: 200, contentType: 'application/xml; charset=UTF-8', body: huge(), chunked: true };
    case 'entity':
      return { status: 200, contentType: 'application/xml; charset=UTF-8', body: entityExpansion() };
  }
}
