/** Just enough XML writing for AWS responses: escaped text elements and `<xxxSet><item>` lists. */

export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => {
    switch (c) {
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '&':
        return '&amp;';
      case "'":
        return '&apos;';
      default:
        return '&quot;';
    }
  });
}

/** `<name>text</name>`, or nothing when the value is absent. */
export function el(name: string, value: string | number | boolean | undefined): string {
  if (value === undefined) return '';
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** `<name>...</name>` around already-built children (never escaped). */
export function node(name: string, children: string): string {
  return `<${name}>${children}</${name}>`;
}

/** EC2's list shape: `<name><item>...</item>...</name>`; an empty list is `<name/>`. */
export function set(name: string, items: readonly string[]): string {
  if (items.length === 0) return `<${name}/>`;
  return `<${name}>${items.map((i) => `<item>${i}</item>`).join('')}</${name}>`;
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';
