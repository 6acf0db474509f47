/**
 * One HTTP server on 127.0.0.1 that speaks what the current SDK v3 clients send, so the
 * unchanged clients reach the simulated world through `AWS_ENDPOINT_URL`:
 * - `X-Amz-Target` present: a JSON protocol (DynamoDB, Step Functions, Secrets Manager, CloudWatch);
 * - path under `/2013-04-01/`: Route 53 (restXml);
 * - path under `/2015-03-31/functions/`: Lambda Invoke (restJson);
 * - otherwise a form body: EC2 (`Version=2016-11-15`, ec2Query), SNS (`Version=2010-03-31`, awsQuery)
 *   or IAM (`Version=2010-05-08`, awsQuery).
 * SigV4 signatures are not verified; the access key names the caller (`world.iam`). Requests are counted per `<service>:<Operation>`, which is how a
 * test proves that a code path really went through the SDK to this server.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { World } from '#sim/world/world.js';
import { SimAwsError, SimNoAnswer } from '#sim/world/aws-error.js';
import { ec2ErrorResponse, handleEc2 } from './ec2-protocol.js';
import { handleIam, handleLambda, isLambdaRequest } from './iam-lambda-protocols.js';
import { handleJson } from './json-protocols.js';
import { formParams, header, type HandlerContext, type WireRequest, type WireResponse } from './protocol.js';
import { handleRoute53 } from './route53-protocol.js';
import { handleSns, snsErrorResponse } from './sns-protocol.js';

/** How many requests `recentRequests` keeps. */
const REQUEST_LOG_SIZE = 1000;

/** Largest request body accepted (CloudWatch allows 1 MB compressed; this is generous). */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

export interface AwsSimulatorOptions {
  readonly world: World;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  readonly host?: string;
}

export interface RequestRecord {
  readonly requestId: string;
  /** `<service>:<Operation>` as counted. */
  readonly key: string;
  readonly method: string;
  readonly path: string;
  /** `Content-Encoding` of the request body (`gzip` for large CloudWatch bodies). */
  readonly contentEncoding: string | undefined;
  readonly bodyBytes: number;
  readonly status: number;
  /** The simulated function that signed the request (its role), or undefined for any other credentials. */
  readonly principal: string | undefined;
}

export interface AwsSimulator {
  /** `http://127.0.0.1:<port>`: give it to the SDK as `endpoint` or `AWS_ENDPOINT_URL`. */
  readonly endpoint: string;
  readonly port: number;
  /** Requests so far per `<service>:<Operation>` (`ec2:ReplaceRoute`, `route53:GetChange`...). */
  requestCounts(): Record<string, number>;
  resetCounts(): void;
  /** The last requests (at most 1000), oldest first. */
  recentRequests(): readonly RequestRecord[];
  /** Failures of the simulator itself (not AWS errors), answered with HTTP 500. Empty unless it has a bug. */
  internalErrors(): readonly unknown[];
  close(): Promise<void>;
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLarge(`request body over ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function decode(raw: Buffer, encoding: string | undefined): string {
  const gzip = (encoding ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .includes('gzip');
  return (gzip ? gunzipSync(raw) : raw).toString('utf8');
}

async function dispatch(request: WireRequest, ctx: HandlerContext): Promise<WireResponse> {
  const target = header(request, 'x-amz-target');
  if (target !== undefined) return handleJson(target, request.body, ctx);
  if (request.path.includes('/2013-04-01/')) return handleRoute53(request, ctx);
  if (isLambdaRequest(request)) return handleLambda(request, ctx);
  const params = formParams(request.body);
  const version = params.get('Version');
  if (version === '2010-03-31') return handleSns(params, ctx);
  if (version === '2010-05-08') return handleIam(params, ctx);
  if (version === '2016-11-15' || params.has('Action')) return handleEc2(params, ctx);
  ctx.count(`unknown:${request.method} ${request.path}`);
  return ec2ErrorResponse(
    new SimAwsError('ec2', 'MissingAction', 'The request must contain the parameter Action'),
    ctx.requestId,
  );
}

/** A failure of the simulator itself, in the shape the caller's protocol expects. */
function internalFailure(request: WireRequest, requestId: string, e: unknown): WireResponse {
  const message = `simulator failure: ${e instanceof Error ? e.message : String(e)}`;
  if (header(request, 'x-amz-target') !== undefined) {
    return {
      status: 500,
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': requestId },
      body: JSON.stringify({ __type: 'InternalFailure', message }),
    };
  }
  const err = new SimAwsError('ec2', 'InternalError', message, { httpStatus: 500 });
  return formParams(request.body).get('Version') === '2010-03-31'
    ? snsErrorResponse(err, requestId)
    : ec2ErrorResponse(err, requestId);
}

export async function startAwsSimulator(options: AwsSimulatorOptions): Promise<AwsSimulator> {
  const { world } = options;
  const counts = new Map<string, number>();
  const internal: unknown[] = [];
  const log: RequestRecord[] = [];
  let sequence = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const requestId = `00000000-0000-4000-8000-${String(++sequence).padStart(12, '0')}`;
    const url = new URL(req.url ?? '/', 'http://localhost');
    let request: WireRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: '',
    };
    let response: WireResponse;
    let key = 'unknown';
    // SigV4: `Authorization: AWS4-HMAC-SHA256 Credential=<access key>/<date>/...`. A simulated
    // function's key makes the request its role's; any other key is the operator's.
    const principal = world.iam.principalFor(/Credential=([^/,\s]+)\//.exec(header(request, 'authorization') ?? '')?.[1]);
    let bodyBytes = 0;
    try {
      const raw = await readBody(req);
      bodyBytes = raw.length;
      request = { ...request, body: decode(raw, header(request, 'content-encoding')) };
      response = await dispatch(request, {
        world: world.actingAs(principal),
        requestId,
        count: (k) => {
          key = k;
          counts.set(k, (counts.get(k) ?? 0) + 1);
        },
      });
    } catch (e) {
      if (e instanceof SimNoAnswer) {
        // The caller's network is broken: it never hears back (the SDK sees a reset connection).
        log.push({ requestId, key, method: request.method, path: request.path, contentEncoding: undefined, bodyBytes, status: 0, principal: principal?.name });
        req.socket.destroy();
        return;
      }
      internal.push(e);
      process.stderr.write(`aws simulator: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      response = internalFailure(request, requestId, e);
    }
    log.push({
      requestId,
      key,
      method: request.method,
      path: request.path,
      contentEncoding: header(request, 'content-encoding'),
      bodyBytes,
      status: response.status,
      principal: principal?.name,
    });
    if (log.length > REQUEST_LOG_SIZE) log.splice(0, log.length - REQUEST_LOG_SIZE);
    if (res.destroyed) return;
    res.writeHead(response.status, {
      ...response.headers,
      'content-length': Buffer.byteLength(response.body),
    });
    res.end(response.body);
  };

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';

  return {
    endpoint: `http://${host}:${address.port}`,
    port: address.port,
    requestCounts: () => Object.fromEntries([...counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1))),
    resetCounts: () => counts.clear(),
    recentRequests: () => [...log],
    internalErrors: () => [...internal],
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e === undefined ? resolve() : reject(e)));
        server.closeAllConnections();
      }),
  };
}
