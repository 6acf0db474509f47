/** What every protocol handler of the wire server shares. */
import type { World } from '#sim/world/world.js';

export interface WireResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface WireRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Decoded (gunzipped) body text. */
  readonly body: string;
}

export interface HandlerContext {
  readonly world: World;
  readonly requestId: string;
  /** Counts the request under `<service>:<Operation>`. */
  count(key: string): void;
}

export function header(request: WireRequest, name: string): string | undefined {
  const v = request.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Parses a form body (`application/x-www-form-urlencoded`) into a flat map. */
export function formParams(body: string): Map<string, string> {
  return new Map(new URLSearchParams(body));
}

/** Values of `Name.1`, `Name.2`, ... in index order. */
export function listParam(params: ReadonlyMap<string, string>, prefix: string): string[] {
  const re = new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.(\\d+)$`);
  return [...params.entries()]
    .flatMap(([k, v]) => {
      const m = re.exec(k);
      return m === null ? [] : [[Number(m[1]), v] as const];
    })
    .sort((a, b) => a[0] - b[0])
    .map(([, v]) => v);
}

/** EC2 filters: `Filter.N.Name` with `Filter.N.Value.M`. */
export function filterParams(params: ReadonlyMap<string, string>): { name: string; values: string[] }[] {
  const indexes = new Set<number>();
  for (const k of params.keys()) {
    const m = /^Filter\.(\d+)\.Name$/.exec(k);
    if (m !== null) indexes.add(Number(m[1]));
  }
  return [...indexes]
    .sort((a, b) => a - b)
    .map((i) => ({
      name: params.get(`Filter.${i}.Name`) ?? '',
      values: listParam(params, `Filter.${i}.Value`),
    }));
}

export function boolParam(params: ReadonlyMap<string, string>, key: string): boolean | undefined {
  const v = params.get(key);
  return v === undefined ? undefined : v.toLowerCase() === 'true';
}
