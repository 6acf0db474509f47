/**
 * The part of DynamoDB's condition expressions the controller sends, and nothing more
 * (the adapter's conditions are in shared/adapters/aws/dynamodb-store.ts):
 *
 *     condition  := comparison { OR comparison }
 *     comparison := attribute_not_exists(name) | name = :value | name < :value
 *
 * `name` is a top-level attribute name written bare; `=` compares S or N values, `<` N values.
 * Anything else DynamoDB accepts (AND, NOT, parentheses, `<>` `<=` `>` `>=`, BETWEEN, IN, the
 * other functions, `#name` placeholders, nested paths, an attribute on the right-hand side) is
 * refused with a `ValidationException` whose message starts "Unsupported by the simulator" and
 * names the construct: a product change that needs more fails in the first test that runs it,
 * and the simulator grows then, with a test, rather than carrying an untested engine.
 *
 * It is strict where DynamoDB is strict, because the product's adapter must work against the
 * real service: reserved words used bare, placeholders that are not defined and placeholders
 * that are defined but unused are `ValidationException`s with DynamoDB's own messages.
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

export type Comparison =
  | { readonly kind: 'not_exists'; readonly name: string }
  | { readonly kind: '=' | '<'; readonly name: string; readonly value: string };

/** The comparisons joined by OR (one element: no OR). */
export interface ParsedCondition {
  readonly anyOf: readonly Comparison[];
  readonly usedValues: ReadonlySet<string>;
}

export type ExpressionValues = Readonly<Record<string, AttributeValue>>;

export function validationError(message: string): SimAwsError {
  return new SimAwsError('dynamodb', 'ValidationException', message);
}

/** The refusal of anything DynamoDB has but the simulator does not implement. */
export function unsupported(construct: string, where: string): SimAwsError {
  return validationError(
    `Unsupported by the simulator: ${construct} in ${where} (it implements what the controller sends; see docs/simulator.md)`,
  );
}

// ---------------------------------------------------------------------------------------------
// Tokens: DynamoDB's whole lexical set, so that a construct outside the subset is named.

interface Token {
  readonly t: 'name' | 'hash' | 'colon' | 'op';
  readonly v: string;
  readonly at: number;
}

const TOKEN = /\s*(?:(#[A-Za-z0-9_]+)|(:[A-Za-z0-9_]+)|([A-Za-z_][A-Za-z0-9_]*)|(<>|<=|>=|[=<>(),.[\]+-]|[0-9]+))/y;

function tokenize(text: string, where: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  for (;;) {
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (m === null) {
      const rest = text.slice(start).trimStart();
      if (rest === '') return tokens;
      throw validationError(`Invalid ${where}: Syntax error; token: "${rest[0] ?? ''}", near: "${rest.slice(0, 12)}"`);
    }
    const v = m[0].trimStart();
    const t = m[1] !== undefined ? 'hash' : m[2] !== undefined ? 'colon' : m[3] !== undefined ? 'name' : 'op';
    tokens.push({ t, v, at: TOKEN.lastIndex - v.length });
  }
}

/** What a token outside the subset is, in DynamoDB's terms; `undefined` for plain syntax errors. */
function constructOf(tok: Token, next: Token | undefined): string | undefined {
  if (tok.t === 'hash') return `expression attribute name ${tok.v}`;
  if (tok.t === 'name' && ['AND', 'NOT', 'BETWEEN', 'IN'].includes(tok.v.toUpperCase())) return tok.v.toUpperCase();
  if (tok.t === 'name' && next?.v === '(') return `function ${tok.v}()`;
  if (tok.t === 'op' && ['<>', '<=', '>', '>='].includes(tok.v)) return `comparator ${tok.v}`;
  if (tok.t === 'op' && (tok.v === '(' || tok.v === ')')) return 'parentheses';
  if (tok.t === 'op' && (tok.v === '.' || tok.v === '[')) return 'nested document path';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Parser

class Parser {
  readonly #tokens: Token[];
  readonly #text: string;
  readonly #where: string;
  readonly #values: ExpressionValues;
  readonly usedValues = new Set<string>();
  #pos = 0;

  constructor(text: string, where: string, values: ExpressionValues) {
    this.#text = text;
    this.#where = where;
    this.#values = values;
    this.#tokens = tokenize(text, where);
  }

  get done(): boolean {
    return this.#pos >= this.#tokens.length;
  }

  peek(offset = 0): Token | undefined {
    return this.#tokens[this.#pos + offset];
  }

  next(): Token {
    const tok = this.#tokens[this.#pos];
    if (tok === undefined) throw this.#syntax('<EOF>', this.#text.length);
    this.#pos++;
    return tok;
  }

  /** The error for a token the subset has no place for: named if DynamoDB knows it. */
  refuse(tok: Token): SimAwsError {
    const construct = constructOf(tok, this.#tokens[this.#tokens.indexOf(tok) + 1]);
    return construct === undefined ? this.#syntax(tok.v, tok.at) : unsupported(construct, this.#where);
  }

  #syntax(token: string, at: number): SimAwsError {
    return validationError(
      `Invalid ${this.#where}: Syntax error; token: "${token}", near: "${this.#text.slice(Math.max(0, at - 8), at + 8)}"`,
    );
  }

  expect(v: string): void {
    const tok = this.next();
    if (tok.v !== v) throw this.refuse(tok);
  }

  /** A top-level attribute name written bare, not a reserved word. */
  name(): string {
    const tok = this.next();
    if (tok.t !== 'name' || constructOf(tok, this.peek()) !== undefined) throw this.refuse(tok);
    if (DYNAMODB_RESERVED_WORDS.has(tok.v.toUpperCase())) {
      throw validationError(`Invalid ${this.#where}: Attribute name is a reserved keyword; reserved keyword: ${tok.v}`);
    }
    const after = this.peek();
    if (after !== undefined && (after.v === '.' || after.v === '[')) throw this.refuse(after);
    return tok.v;
  }

  /** A `:value` placeholder, which must be defined. */
  value(): string {
    const tok = this.next();
    if (tok.t === 'name') throw unsupported('an attribute on the right-hand side of a comparison', this.#where);
    if (tok.t !== 'colon') throw this.refuse(tok);
    if (this.#values[tok.v] === undefined) {
      throw validationError(
        `Invalid ${this.#where}: An expression attribute value used in expression is not defined; attribute value: ${tok.v}`,
      );
    }
    this.usedValues.add(tok.v);
    return tok.v;
  }
}

export function parseCondition(text: string, values: ExpressionValues = {}, where = 'ConditionExpression'): ParsedCondition {
  if (text.trim() === '') throw validationError(`Invalid ${where}: The expression can not be empty;`);
  const p = new Parser(text, where, values);
  const anyOf = [parseComparison(p)];
  while (!p.done) {
    const tok = p.next();
    if (tok.t !== 'name' || tok.v.toUpperCase() !== 'OR') throw p.refuse(tok);
    anyOf.push(parseComparison(p));
  }
  return { anyOf, usedValues: p.usedValues };
}

function parseComparison(p: Parser): Comparison {
  const head = p.peek();
  if (head?.t === 'name' && head.v === 'attribute_not_exists' && p.peek(1)?.v === '(') {
    p.next();
    p.next();
    const name = p.name();
    p.expect(')');
    return { kind: 'not_exists', name };
  }
  if (head?.t === 'colon') throw unsupported('a value on the left-hand side of a comparison', 'ConditionExpression');
  const name = p.name();
  const op = p.next();
  if (op.v !== '=' && op.v !== '<') throw p.refuse(op);
  return { kind: op.v, name, value: p.value() };
}

/** DynamoDB rejects placeholders that the request's expressions do not use. */
export function checkAllUsed(values: ExpressionValues, parsed: ParsedCondition | undefined): void {
  const unused = Object.keys(values).filter((k) => parsed?.usedValues.has(k) !== true);
  if (unused.length > 0) {
    throw validationError(`Value provided in ExpressionAttributeValues unused in expressions: keys: {${unused.join(', ')}}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/** Whether the item (`undefined`: there is none) satisfies the condition. */
export function evaluate(condition: ParsedCondition, item: Item | undefined, values: ExpressionValues): boolean {
  return condition.anyOf.some((c) => holds(c, item?.[c.name], values));
}

function holds(c: Comparison, attribute: AttributeValue | undefined, values: ExpressionValues): boolean {
  if (c.kind === 'not_exists') return attribute === undefined;
  const value = values[c.value];
  if (value === undefined) throw validationError(`An expression attribute value used in expression is not defined; attribute value: ${c.value}`);
  if (c.kind === '=') {
    if ('N' in value) return attribute !== undefined && 'N' in attribute && Number(attribute.N) === Number(value.N);
    if ('S' in value) return attribute !== undefined && 'S' in attribute && attribute.S === value.S;
    throw unsupported(`= on a ${Object.keys(value)[0] ?? '?'} value`, 'ConditionExpression');
  }
  if (!('N' in value)) throw unsupported(`< on a ${Object.keys(value)[0] ?? '?'} value`, 'ConditionExpression');
  // A missing attribute, or one of another type, is not less than anything, as in DynamoDB.
  return attribute !== undefined && 'N' in attribute && Number(attribute.N) < Number(value.N);
}
