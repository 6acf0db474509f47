/**
 * Turns the request parameters (`type`, `cmd`, `action`, `xpath`) into the command the
 * simulated firewall answers. Operational commands arrive as XML (`<show><system><info/>...`)
 * and are walked against a small grammar of the commands the controller uses; anything else
 * gets the error a real firewall gives (code 17 for an unknown element, 18 for XML that does
 * not parse, 400 for bad parameters).
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export const OP_COMMANDS = [
  'show system info',
  'show chassis-ready',
  'show jobs all',
  'show vpn ike-sa',
  'show vpn ipsec-sa',
  'show vpn flow',
  'request license info',
] as const;
export type OpCommand = (typeof OP_COMMANDS)[number];

export type ApiRequest =
  | { readonly kind: 'op'; readonly op: OpCommand; readonly args: Readonly<Record<string, string>> }
  | { readonly kind: 'config'; readonly action: 'show' | 'get'; readonly xpath: string }
  | { readonly kind: 'version' }
  | { readonly kind: 'op-error'; readonly code: 17 | 18; readonly message: string }
  | { readonly kind: 'bad-request'; readonly message: string };

/** Key under which `requests()` counts a request. */
export function requestLabel(request: ApiRequest): string {
  switch (request.kind) {
    case 'op':
      return request.op;
    case 'config':
      return `config ${request.action}`;
    case 'version':
      return 'version';
    case 'op-error':
      return 'op (invalid)';
    case 'bad-request':
      return 'bad request';
  }
}

interface CmdNode {
  readonly name: string;
  readonly children: readonly CmdNode[];
  readonly text: string;
}

interface CmdSpec {
  /** Sub-commands; absent on a leaf. */
  readonly sub?: Readonly<Record<string, CmdSpec>>;
  /** Elements a leaf accepts as text arguments (`<flow><name>T</name></flow>`). */
  readonly args?: readonly string[];
}

const LEAF: CmdSpec = {};
const OP_GRAMMAR: Readonly<Record<string, CmdSpec>> = {
  show: {
    sub: {
      system: { sub: { info: LEAF } },
      'chassis-ready': LEAF,
      jobs: { sub: { all: LEAF } },
      vpn: { sub: { 'ike-sa': LEAF, 'ipsec-sa': LEAF, flow: { args: ['name'] } } },
    },
  },
  request: { sub: { license: { sub: { info: LEAF } } } },
};

const cmdParser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: true,
  processEntities: false,
  parseTagValue: false,
  trimValues: true,
});

type OrderedItem = Record<string, unknown>;

function toNodes(items: unknown): CmdNode[] {
  if (!Array.isArray(items)) return [];
  const nodes: CmdNode[] = [];
  for (const item of items as OrderedItem[]) {
    for (const [key, value] of Object.entries(item)) {
      if (key === '#text' || key === ':@') continue;
      const children = toNodes(value);
      const text = Array.isArray(value)
        ? (value as OrderedItem[])
            .map((v) => v['#text'])
            .filter((t) => t !== undefined)
            .map(String)
            .join('')
        : '';
      nodes.push({ name: key, children, text });
    }
  }
  return nodes;
}

const unexpected = (path: readonly string[]) =>
  ({ kind: 'op-error', code: 17, message: ` ${path.join(' -> ')} is unexpected` }) as const;

function walk(node: CmdNode, spec: CmdSpec, path: string[]): ApiRequest {
  const here = [...path, node.name];
  if (spec.sub) {
    const [child, ...others] = node.children;
    if (child === undefined) return { kind: 'op-error', code: 17, message: ` ${here.join(' -> ')} is incomplete` };
    const next = spec.sub[child.name];
    if (next === undefined || others.length > 0) return unexpected([...here, (next ? others[0] : child)?.name ?? '']);
    return walk(child, next, here);
  }
  const args: Record<string, string> = {};
  for (const child of node.children) {
    if (!(spec.args ?? []).includes(child.name) || child.children.length > 0) return unexpected([...here, child.name]);
    args[child.name] = child.text.trim();
  }
  const op = here.join(' ');
  if (!(OP_COMMANDS as readonly string[]).includes(op)) return unexpected(here);
  return { kind: 'op', op: op as OpCommand, args };
}

export function parseOpCommand(cmd: string): ApiRequest {
  const valid = XMLValidator.validate(cmd);
  if (valid !== true) return { kind: 'op-error', code: 18, message: 'Malformed Command' };
  const roots = toNodes(cmdParser.parse(cmd));
  const [root, ...others] = roots;
  if (root === undefined || others.length > 0) return { kind: 'op-error', code: 18, message: 'Malformed Command' };
  const spec = OP_GRAMMAR[root.name];
  if (spec === undefined) return unexpected([root.name]);
  return walk(root, spec, []);
}

export function parseApiRequest(params: URLSearchParams): ApiRequest {
  const type = params.get('type');
  switch (type) {
    case null:
    case '':
      return { kind: 'bad-request', message: 'Parameter "type" is required' };
    case 'version':
      return { kind: 'version' };
    case 'op': {
      const cmd = params.get('cmd');
      if (cmd === null || cmd.trim() === '') return { kind: 'bad-request', message: 'Parameter "cmd" is required' };
      return parseOpCommand(cmd);
    }
    case 'config': {
      const action = params.get('action');
      if (action !== 'show' && action !== 'get') {
        return { kind: 'bad-request', message: `Illegal value for parameter "action" [${action ?? ''}]` };
      }
      const xpath = params.get('xpath');
      if (xpath === null || xpath.trim() === '') return { kind: 'bad-request', message: 'Parameter "xpath" is required' };
      return { kind: 'config', action, xpath };
    }
    default:
      return { kind: 'bad-request', message: `Illegal value for parameter "type" [${type}]` };
  }
}
