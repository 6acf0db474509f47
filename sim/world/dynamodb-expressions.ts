/**
 * A small DynamoDB expression engine: ConditionExpression (comparisons `= <> < <= > >=` on N
 * and S, `BETWEEN`, `IN`, `AND`, `OR`, `NOT`, parentheses, `attribute_exists`,
 * `attribute_not_exists`, `begins_with`) and UpdateExpression (`SET` with `+`/`-` and
 * `if_not_exists`, `REMOVE`, `ADD` on numbers), with `#name` and `:value` placeholders.
 *
 * It is strict where DynamoDB is strict, because the product's adapter must work against the
 * real service: reserved words used bare, placeholders that are not defined and placeholders
 * that are defined but unused are all `ValidationException`s, as in DynamoDB.
 */
import { SimAwsError } from './aws-error.js';
import { DYNAMODB_RESERVED_WORDS } from './dynamodb-reserved-words.js';

export type AttributeValue =
  | { readonly S: string }
  | { readonly N: string }
  | { readonly BOOL: boolean }
  | { readonly NULL: true }
  | { readonly B: string }
  | { readonly SS: readonly string[] }
  | { readonly NS: readonly string[] }
  | { readonly L: readonly AttributeValue[] }
  | { readonly M: Readonly<Record<string, AttributeValue>> };

export type Item = Readonly<Record<string, AttributeValue>>;

type PathElement = { readonly name: string } | { readonly index: number };
type Path = readonly PathElement[];

type Operand =
  | { readonly kind: 'path'; readonly path: Path }
  | { readonly kind: 'value'; readonly placeholder: string }
  | { readonly kind: 'call'; readonly fn: 'if_not_exists'; readonly path: Path; readonly fallback: Operand }
  | { readonly kind: 'arith'; readonly op: '+' | '-'; readonly left: Operand; readonly right: Operand };

export type Condition =
  | { readonly kind: 'and' | 'or'; readonly left: Condition; readonly right: Condition }
  | { readonly kind: 'not'; readonly inner: Condition }
  | { readonly kind: 'cmp'; readonly op: Comparator; readonly left: Operand; readonly right: Operand }
  | { readonly kind: 'between'; readonly subject: Operand; readonly low: Operand; readonly high: Operand }
  | { readonly kind: 'in'; readonly subject: Operand; readonly options: readonly Operand[] }
  | { readonly kind: 'exists'; readonly negate: boolean; readonly path: Path }
  | { readonly kind: 'begins_with'; readonly subject: Operand; readonly prefix: Operand };

type Comparator = '=' | '<>' | '<' | '<=' | '>' | '>=';

export interface UpdateActions {
  readonly set: readonly { readonly path: Path; readonly value: Operand }[];
  readonly remove: readonly Path[];
  readonly add: readonly { readonly path: Path; readonly value: Operand }[];
}

export interface ExpressionInputs {
  readonly names?: Readonly<Record<string, string>>;
  readonly values?: Readonly<Record<string, AttributeValue>>;
}

export function validationError(message: string): SimAwsError {
  return new SimAwsError('dynamodb', 'ValidationException', message);
}

// ---------------------------------------------------------------------------------------------
// Tokens

type Token =
  | { readonly t: 'name'; readonly v: string; readonly at: number }
  | { readonly t: 'hash'; readonly v: string; readonly at: number }
  | { readonly t: 'colon'; readonly v: string; readonly at: number }
  | { readonly t: 'num'; readonly v: string; readonly at: number }
  | { readonly t: 'op'; readonly v: string; readonly at: number };

function tokenize(text: string, what: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const rest = text.slice(i);
    const m =
      /^#[A-Za-z0-9_]+/.exec(rest) ??
      /^:[A-Za-z0-9_]+/.exec(rest) ??
      /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest) ??
      /^[0-9]+/.exec(rest) ??
      /^(<>|<=|>=|[=<>(),.[\]+-])/.exec(rest);
    if (m === null)
      throw validationError(`Invalid ${what}: Syntax error; token: "${c}", near: "${rest.slice(0, 12)}"`);
    const v = m[0];
    const t = v.startsWith('#')
      ? 'hash'
      : v.startsWith(':')
        ? 'colon'
        : /^[0-9]/.test(v)
          ? 'num'
          : /^[A-Za-z_]/.test(v)
            ? 'name'
            : 'op';
    tokens.push({ t, v, at: i });
    i += v.length;
  }
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Parser (shared by condition and update expressions)

class Parser {
  readonly #tokens: Token[];
  readonly #what: string;
  readonly #text: string;
  readonly #names: Readonly<Record<string, string>>;
  readonly usedNames = new Set<string>();
  readonly usedValues = new Set<string>();
  readonly #values: Readonly<Record<string, AttributeValue>>;
  #pos = 0;

  constructor(text: string, what: string, inputs: ExpressionInputs) {
    this.#text = text;
    this.#what = what;
    this.#tokens = tokenize(text, what);
    this.#names = inputs.names ?? {};
    this.#values = inputs.values ?? {};
  }

  get done(): boolean {
    return this.#pos >= this.#tokens.length;
  }

  peek(offset = 0): Token | undefined {
    return this.#tokens[this.#pos + offset];
  }

  next(): Token {
    const tok = this.#tokens[this.#pos];
    if (tok === undefined) throw this.syntax('<EOF>');
    this.#pos++;
    return tok;
  }

  isKeyword(word: string, offset = 0): boolean {
    const tok = this.peek(offset);
    return tok?.t === 'name' && tok.v.toUpperCase() === word;
  }

  isOp(op: string): boolean {
    const tok = this.peek();
    return tok?.t === 'op' && tok.v === op;
  }

  expectOp(op: string): void {
    const tok = this.next();
    if (tok.t !== 'op' || tok.v !== op) throw this.syntax(tok.v, tok.at);
  }

  syntax(token: string, at = this.#text.length): SimAwsError {
    return validationError(
      `Invalid ${this.#what}: Syntax error; token: "${token}", near: "${this.#text.slice(Math.max(0, at - 8), at + 8)}"`,
    );
  }

  path(): Path {
    const elements: PathElement[] = [this.#pathName()];
    for (;;) {
      if (this.isOp('.')) {
        this.next();
        elements.push(this.#pathName());
      } else if (this.isOp('[')) {
        this.next();
        const n = this.next();
        if (n.t !== 'num') throw this.syntax(n.v, n.at);
        this.expectOp(']');
        elements.push({ index: Number(n.v) });
      } else return elements;
    }
  }

  #pathName(): { name: string } {
    const tok = this.next();
    if (tok.t === 'hash') {
      const name = this.#names[tok.v];
      if (name === undefined) {
        throw validationError(
          `Invalid ${this.#what}: An expression attribute name used in the document path is not defined; attribute name: ${tok.v}`,
        );
      }
      this.usedNames.add(tok.v);
      return { name };
    }
    if (tok.t === 'name') {
      if (DYNAMODB_RESERVED_WORDS.has(tok.v.toUpperCase())) {
        throw validationError(
          `Invalid ${this.#what}: Attribute name is a reserved keyword; reserved keyword: ${tok.v}`,
        );
      }
      return { name: tok.v };
    }
    throw this.syntax(tok.v, tok.at);
  }

  value(): Operand {
    const tok = this.next();
    if (tok.t !== 'colon') throw this.syntax(tok.v, tok.at);
    if (this.#values[tok.v] === undefined) {
      throw validationError(
        `Invalid ${this.#what}: An expression attribute value used in expression is not defined; attribute value: ${tok.v}`,
      );
    }
    this.usedValues.add(tok.v);
    return { kind: 'value', placeholder: tok.v };
  }

  /** A path or a `:value`. */
  operand(): Operand {
    const tok = this.peek();
    if (tok?.t === 'colon') return this.value();
    return { kind: 'path', path: this.path() };
  }
}

export interface ParsedCondition {
  readonly condition: Condition;
  readonly usedNames: ReadonlySet<string>;
  readonly usedValues: ReadonlySet<string>;
}

export function parseCondition(
  text: string,
  inputs: ExpressionInputs,
  what = 'ConditionExpression',
): ParsedCondition {
  if (text.trim() === '') throw validationError(`Invalid ${what}: The expression can not be empty;`);
  const p = new Parser(text, what, inputs);
  const condition = parseOr(p);
  if (!p.done) {
    const tok = p.next();
    throw p.syntax(tok.v, tok.at);
  }
  return { condition, usedNames: p.usedNames, usedValues: p.usedValues };
}

function parseOr(p: Parser): Condition {
  let left = parseAnd(p);
  while (p.isKeyword('OR')) {
    p.next();
    left = { kind: 'or', left, right: parseAnd(p) };
  }
  return left;
}

function parseAnd(p: Parser): Condition {
  let left = parseNot(p);
  while (p.isKeyword('AND')) {
    p.next();
    left = { kind: 'and', left, right: parseNot(p) };
  }
  return left;
}

function parseNot(p: Parser): Condition {
  if (p.isKeyword('NOT')) {
    p.next();
    return { kind: 'not', inner: parseNot(p) };
  }
  return parsePrimary(p);
}

const FUNCTIONS = new Set([
  'attribute_exists',
  'attribute_not_exists',
  'begins_with',
  'attribute_type',
  'contains',
  'size',
]);

function parsePrimary(p: Parser): Condition {
  if (p.isOp('(')) {
    p.next();
    const inner = parseOr(p);
    p.expectOp(')');
    return inner;
  }
  const head = p.peek();
  if (head?.t === 'name' && FUNCTIONS.has(head.v) && p.peek(1)?.t === 'op' && p.peek(1)?.v === '(') {
    p.next();
    p.expectOp('(');
    if (head.v === 'attribute_exists' || head.v === 'attribute_not_exists') {
      const path = p.path();
      p.expectOp(')');
      return { kind: 'exists', negate: head.v === 'attribute_not_exists', path };
    }
    if (head.v === 'begins_with') {
      const subject = p.operand();
      p.expectOp(',');
      const prefix = p.operand();
      p.expectOp(')');
      return { kind: 'begins_with', subject, prefix };
    }
    throw validationError(
      `Invalid ConditionExpression: the simulator does not implement the function ${head.v}`,
    );
  }
  const subject = p.operand();
  if (p.isKeyword('BETWEEN')) {
    p.next();
    const low = p.operand();
    if (!p.isKeyword('AND')) {
      const tok = p.next();
      throw p.syntax(tok.v, tok.at);
    }
    p.next();
    return { kind: 'between', subject, low, high: p.operand() };
  }
  if (p.isKeyword('IN')) {
    p.next();
    p.expectOp('(');
    const options = [p.operand()];
    while (p.isOp(',')) {
      p.next();
      options.push(p.operand());
    }
    p.expectOp(')');
    return { kind: 'in', subject, options };
  }
  const tok = p.next();
  if (tok.t !== 'op' || !['=', '<>', '<', '<=', '>', '>='].includes(tok.v)) throw p.syntax(tok.v, tok.at);
  return { kind: 'cmp', op: tok.v as Comparator, left: subject, right: p.operand() };
}

export interface ParsedUpdate {
  readonly actions: UpdateActions;
  readonly usedNames: ReadonlySet<string>;
  readonly usedValues: ReadonlySet<string>;
}

export function parseUpdate(text: string, inputs: ExpressionInputs): ParsedUpdate {
  const what = 'UpdateExpression';
  const p = new Parser(text, what, inputs);
  const set: { path: Path; value: Operand }[] = [];
  const remove: Path[] = [];
  const add: { path: Path; value: Operand }[] = [];
  const seen = new Set<string>();
  if (p.done) throw validationError(`Invalid ${what}: The expression can not be empty;`);
  while (!p.done) {
    const clause = p.next();
    const word = clause.t === 'name' ? clause.v.toUpperCase() : '';
    if (!['SET', 'REMOVE', 'ADD', 'DELETE'].includes(word)) throw p.syntax(clause.v, clause.at);
    if (seen.has(word)) {
      throw validationError(
        `Invalid ${what}: The "${word}" section can only be used once in an update expression;`,
      );
    }
    seen.add(word);
    if (word === 'DELETE') throw validationError(`Invalid ${what}: the simulator does not implement DELETE`);
    do {
      if (p.isOp(',')) p.next();
      const path = p.path();
      if (word === 'SET') {
        p.expectOp('=');
        set.push({ path, value: parseSetValue(p) });
      } else if (word === 'ADD') {
        add.push({ path, value: p.value() });
      } else remove.push(path);
    } while (p.isOp(','));
  }
  return { actions: { set, remove, add }, usedNames: p.usedNames, usedValues: p.usedValues };
}

function parseSetValue(p: Parser): Operand {
  const left = parseSetTerm(p);
  if (p.isOp('+') || p.isOp('-')) {
    const op = p.next().v as '+' | '-';
    return { kind: 'arith', op, left, right: parseSetTerm(p) };
  }
  return left;
}

function parseSetTerm(p: Parser): Operand {
  if (p.isKeyword('IF_NOT_EXISTS') && p.peek(1)?.v === '(') {
    p.next();
    p.expectOp('(');
    const path = p.path();
    p.expectOp(',');
    const fallback = p.operand();
    p.expectOp(')');
    return { kind: 'call', fn: 'if_not_exists', path, fallback };
  }
  return p.operand();
}

/** DynamoDB rejects placeholders that no expression of the request uses. */
export function checkAllUsed(
  inputs: ExpressionInputs,
  parsed: readonly { usedNames: ReadonlySet<string>; usedValues: ReadonlySet<string> }[],
): void {
  const names = new Set(parsed.flatMap((x) => [...x.usedNames]));
  const values = new Set(parsed.flatMap((x) => [...x.usedValues]));
  const unusedValues = Object.keys(inputs.values ?? {}).filter((k) => !values.has(k));
  if (unusedValues.length > 0) {
    throw validationError(
      `Value provided in ExpressionAttributeValues unused in expressions: keys: {${unusedValues.join(', ')}}`,
    );
  }
  const unusedNames = Object.keys(inputs.names ?? {}).filter((k) => !names.has(k));
  if (unusedNames.length > 0) {
    throw validationError(
      `Value provided in ExpressionAttributeNames unused in expressions: keys: {${unusedNames.join(', ')}}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluation

function getPath(item: Item, path: Path): AttributeValue | undefined {
  let current: AttributeValue | undefined;
  for (const [i, el] of path.entries()) {
    if (i === 0) {
      if (!('name' in el)) return undefined;
      current = item[el.name];
    } else if (current === undefined) return undefined;
    else if ('name' in el) current = 'M' in current ? current.M[el.name] : undefined;
    else current = 'L' in current ? current.L[el.index] : undefined;
  }
  return current;
}

function resolve(operand: Operand, item: Item, inputs: ExpressionInputs): AttributeValue | undefined {
  switch (operand.kind) {
    case 'path':
      return getPath(item, operand.path);
    case 'value':
      return inputs.values?.[operand.placeholder];
    case 'call':
      return getPath(item, operand.path) ?? resolve(operand.fallback, item, inputs);
    case 'arith': {
      const l = resolve(operand.left, item, inputs);
      const r = resolve(operand.right, item, inputs);
      if (l === undefined || r === undefined || !('N' in l) || !('N' in r)) {
        throw validationError(
          'The provided expression refers to an attribute that does not exist in the item, or an operand is not a number',
        );
      }
      return { N: formatNumber(operand.op === '+' ? Number(l.N) + Number(r.N) : Number(l.N) - Number(r.N)) };
    }
  }
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? n.toFixed(0) : String(n);
}

/** Equality across types, numbers compared by value (`1` = `1.0`). */
export function attributeEquals(a: AttributeValue, b: AttributeValue): boolean {
  if ('N' in a && 'N' in b) return Number(a.N) === Number(b.N);
  if ('S' in a && 'S' in b) return a.S === b.S;
  if ('BOOL' in a && 'BOOL' in b) return a.BOOL === b.BOOL;
  if ('NULL' in a && 'NULL' in b) return true;
  if ('B' in a && 'B' in b) return a.B === b.B;
  if ('SS' in a && 'SS' in b) return sameSet(a.SS, b.SS);
  if ('NS' in a && 'NS' in b) return sameSet(a.NS.map(Number).map(String), b.NS.map(Number).map(String));
  if ('L' in a && 'L' in b)
    return a.L.length === b.L.length && a.L.every((x, i) => attributeEquals(x, b.L[i] as AttributeValue));
  if ('M' in a && 'M' in b) {
    const ka = Object.keys(a.M);
    return (
      ka.length === Object.keys(b.M).length &&
      ka.every((k) => b.M[k] !== undefined && attributeEquals(a.M[k] as AttributeValue, b.M[k]))
    );
  }
  return false;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sb = new Set(b);
  return a.length === b.length && a.every((x) => sb.has(x));
}

/** Ordering of two N or two S (or B) values; `undefined` when they cannot be ordered. */
function order(a: AttributeValue | undefined, b: AttributeValue | undefined): number | undefined {
  if (a === undefined || b === undefined) return undefined;
  if ('N' in a && 'N' in b) return Math.sign(Number(a.N) - Number(b.N));
  if ('S' in a && 'S' in b) return a.S < b.S ? -1 : a.S > b.S ? 1 : 0;
  if ('B' in a && 'B' in b) return a.B < b.B ? -1 : a.B > b.B ? 1 : 0;
  return undefined;
}

export function evaluate(condition: Condition, item: Item | undefined, inputs: ExpressionInputs): boolean {
  const it = item ?? {};
  switch (condition.kind) {
    case 'and':
      return evaluate(condition.left, item, inputs) && evaluate(condition.right, item, inputs);
    case 'or':
      return evaluate(condition.left, item, inputs) || evaluate(condition.right, item, inputs);
    case 'not':
      return !evaluate(condition.inner, item, inputs);
    case 'exists':
      return (getPath(it, condition.path) !== undefined) !== condition.negate;
    case 'begins_with': {
      const s = resolve(condition.subject, it, inputs);
      const prefix = resolve(condition.prefix, it, inputs);
      return s !== undefined && prefix !== undefined && 'S' in s && 'S' in prefix && s.S.startsWith(prefix.S);
    }
    case 'in': {
      const s = resolve(condition.subject, it, inputs);
      return (
        s !== undefined &&
        condition.options.some((o) => {
          const v = resolve(o, it, inputs);
          return v !== undefined && attributeEquals(s, v);
        })
      );
    }
    case 'between': {
      const s = resolve(condition.subject, it, inputs);
      const lo = order(s, resolve(condition.low, it, inputs));
      const hi = order(s, resolve(condition.high, it, inputs));
      return lo !== undefined && hi !== undefined && lo >= 0 && hi <= 0;
    }
    case 'cmp': {
      const l = resolve(condition.left, it, inputs);
      const r = resolve(condition.right, it, inputs);
      const equal = l !== undefined && r !== undefined && attributeEquals(l, r);
      if (condition.op === '=') return equal;
      // A missing attribute is "not equal" to any value, as in DynamoDB.
      if (condition.op === '<>') return !equal;
      const c = order(l, r);
      if (c === undefined) return false;
      switch (condition.op) {
        case '<':
          return c < 0;
        case '<=':
          return c <= 0;
        case '>':
          return c > 0;
        case '>=':
          return c >= 0;
      }
    }
  }
}

function setPath(item: Record<string, AttributeValue>, path: Path, value: AttributeValue | undefined): void {
  const [head, ...rest] = path;
  if (head === undefined || !('name' in head))
    throw validationError('Invalid UpdateExpression: the document path must start with a name');
  if (rest.length === 0) {
    if (value === undefined) delete item[head.name];
    else item[head.name] = value;
    return;
  }
  const container = item[head.name];
  item[head.name] = setIn(container, rest, value);
}

function setIn(
  container: AttributeValue | undefined,
  path: Path,
  value: AttributeValue | undefined,
): AttributeValue {
  const [head, ...rest] = path;
  if (head === undefined) throw validationError('Invalid UpdateExpression: empty document path');
  if ('name' in head) {
    if (container === undefined || !('M' in container)) {
      throw validationError('The document path provided in the update expression is invalid for update');
    }
    const m: Record<string, AttributeValue> = { ...container.M };
    if (rest.length === 0) {
      if (value === undefined) delete m[head.name];
      else m[head.name] = value;
    } else m[head.name] = setIn(m[head.name], rest, value);
    return { M: m };
  }
  if (container === undefined || !('L' in container)) {
    throw validationError('The document path provided in the update expression is invalid for update');
  }
  const l = [...container.L];
  if (rest.length === 0) {
    if (value === undefined) l.splice(head.index, 1);
    else if (head.index >= l.length) l.push(value);
    else l[head.index] = value;
  } else l[head.index] = setIn(l[head.index], rest, value);
  return { L: l };
}

/** The item after the update (a new object; `item` is not changed). */
export function applyUpdate(item: Item, actions: UpdateActions, inputs: ExpressionInputs): Item {
  const out: Record<string, AttributeValue> = { ...item };
  // Every operand reads the item as it was before the update, as in DynamoDB.
  const sets = actions.set.map((s) => ({ path: s.path, value: resolve(s.value, item, inputs) }));
  const adds = actions.add.map((a) => {
    const delta = resolve(a.value, item, inputs);
    const current = getPath(item, a.path);
    if (delta === undefined || !('N' in delta) || (current !== undefined && !('N' in current))) {
      throw validationError('Invalid UpdateExpression: the simulator implements ADD for numbers only');
    }
    const base = current === undefined ? 0 : Number(current.N);
    return { path: a.path, value: { N: formatNumber(base + Number(delta.N)) } };
  });
  for (const s of sets) {
    if (s.value === undefined) {
      throw validationError('The provided expression refers to an attribute that does not exist in the item');
    }
    setPath(out, s.path, s.value);
  }
  for (const a of adds) setPath(out, a.path, a.value);
  for (const path of actions.remove) {
    if (getPath(out, path) !== undefined) setPath(out, path, undefined);
  }
  return out;
}
